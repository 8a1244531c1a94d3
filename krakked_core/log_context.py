"""The ids a log line is about, carried in context variables rather than threaded by hand.

``with log_context(plan_id=..., strategy_id=...):`` adds those fields to every log line made
inside the block (in this thread or task, and nested blocks add to the outer ones); leaving the
block restores what was there before. ``log.configure_logging`` renders them.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_EMPTY: Mapping[str, object] = MappingProxyType({})
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("krakked_log_context", default=_EMPTY)


@contextmanager
def log_context(
    *,
    plan_id: str | None = None,
    local_order_id: str | None = None,
    kraken_order_id: str | None = None,
    strategy_id: str | None = None,
    userref: int | None = None,
) -> Iterator[None]:
    """Tag every log line of the block with the ids given (None: leave the outer value)."""
    given = {
        "plan_id": plan_id,
        "local_order_id": local_order_id,
        "kraken_order_id": kraken_order_id,
        "strategy_id": strategy_id,
        "userref": userref,
    }
    merged = {**_CONTEXT.get(), **{k: v for k, v in given.items() if v is not None}}
    token = _CONTEXT.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_log_context() -> Mapping[str, object]:
    return _CONTEXT.get()
