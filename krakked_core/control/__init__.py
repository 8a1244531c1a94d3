"""The control plane's one facade (``ControlPlane``): every operator query and action.

The HTTP API calls only this (and so can the CLI). Each mutation is checked against the state
of the system first (``errors`` says why one is refused) and written to the audit log.
"""

from krakked_core.control.plane import ControlPlane

__all__ = ["ControlPlane"]
