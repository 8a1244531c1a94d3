"""The HTTP control plane (FastAPI): the only package of ``krakked_core`` that imports it.

``create_app`` takes its services (a ``ControlPlane``) and the ``ui`` config as arguments;
``krakked api`` (``cli/api_cmd.py``) composes and serves it.
"""

from krakked_core.api.app import create_app

__all__ = ["create_app"]
