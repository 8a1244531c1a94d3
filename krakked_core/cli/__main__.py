"""`python -m krakked_core.cli`: the same CLI as the `krakked` script."""

from krakked_core.cli import main

main()
