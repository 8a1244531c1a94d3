"""A Kraken-compatible sandbox exchange (REST + WebSocket v2 on loopback) with fault injection.

The names below load lazily, so importing one core module (``krakked_core.sim.settings``) does
not pull in the server (Starlette, uvicorn).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from krakked_core.sim.exchange import Exchange
    from krakked_core.sim.faults import FaultProfile
    from krakked_core.sim.service import SandboxExchange
    from krakked_core.sim.settings import SimSettings

__all__ = ["Exchange", "FaultProfile", "SandboxExchange", "SimSettings"]

_HOMES = {
    "Exchange": "krakked_core.sim.exchange",
    "FaultProfile": "krakked_core.sim.faults",
    "SandboxExchange": "krakked_core.sim.service",
    "SimSettings": "krakked_core.sim.settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)
