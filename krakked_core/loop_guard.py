"""Long-lived loops that obey the error tree (``errors.py``) round by round.

- A round that fails otherwise (a ``TemporaryVenueError``, a database hiccup, a bug) is logged and
  the loop goes on: the next round is the retry.
- ``AuthError`` and ``InvalidNonceError`` stop that loop: retrying a refused key earns a lockout,
  and a nonce error is a bug of ours or a key shared with another program. The stop is logged
  once, at CRITICAL, and kept in ``stopped_loops`` for the feed status, so the operator sees it
  where they look; the other loops go on.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from krakked_core.errors import AuthError, InvalidNonceError

logger = logging.getLogger(__name__)

STOPPING_ERRORS = (AuthError, InvalidNonceError)


class LoopGuard:
    """Runs named loops; remembers which an auth or nonce error stopped, and why."""

    def __init__(self) -> None:
        self._stopped: dict[str, str] = {}

    @property
    def stopped_loops(self) -> tuple[str, ...]:
        """``"<loop>: <error>"`` for each loop stopped, by name."""
        return tuple(f"{name}: {why}" for name, why in sorted(self._stopped.items()))

    async def every(
        self,
        name: str,
        interval_seconds: float,
        stop: asyncio.Event,
        round_: Callable[[], Awaitable[None]],
        *,
        wait_first: bool,
    ) -> None:
        """Run ``round_`` every ``interval_seconds`` until ``stop`` (or an error that stops it);
        ``wait_first``: the first round after one interval, else at once."""
        if wait_first:
            await _wait(stop, interval_seconds)
        while not stop.is_set():
            try:
                await round_()
            except STOPPING_ERRORS as exc:
                self._stopped[name] = f"{type(exc).__name__}: {exc}"[:300]
                logger.critical(
                    "%s stopped: %s (not retried: fix the key or nonce, then restart)",
                    name,
                    self._stopped[name],
                    extra={"loop": name, "error": type(exc).__name__},
                )
                return
            except Exception:  # one failed round must not end the loop: the next one retries
                logger.exception("%s failed, retrying next round", name, extra={"loop": name})
            await _wait(stop, interval_seconds)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
