"""SandboxExchange: the whole sandbox (exchange, keys, faults, server, stepping) in one object.

    with SandboxExchange(SimSettings(seed=1, history_days=2, tier="none")) as sim:
        requests.get(f"{sim.rest_url}/0/public/Time")

Tests and ``krakked sim`` both use it; it leaves no thread running once stopped. Its data is a
function of its clock: pin one (``now=``, or a ``clock``) wherever the date matters.
"""

import logging
import threading
from datetime import datetime
from types import TracebackType
from typing import Self

from krakked_core.clock import Clock, PinnedClock, SystemClock
from krakked_core.sim.auth import ApiKey, KeyRegistry
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.faults import FaultInjector, FaultProfile
from krakked_core.sim.limits import RateLimiter
from krakked_core.sim.server import ServerThread, SimApp, bind_socket
from krakked_core.sim.settings import SimSettings

log = logging.getLogger(__name__)

STEP_SECONDS = 0.25


class SandboxExchange:
    """A Kraken-compatible exchange on loopback, started and stopped as a context manager."""

    def __init__(
        self,
        settings: SimSettings | None = None,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultProfile | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        step_seconds: float = STEP_SECONDS,
        now: datetime | None = None,
    ) -> None:
        if (api_key is None) != (api_secret is None):
            raise ValueError("give both api_key and api_secret, or neither")
        if now is not None and clock is not None:
            raise ValueError("give a clock or a start time (now), not both")
        self.settings = settings or SimSettings()
        # ``now`` pins the start; the exchange then runs at real speed (trades, candles, matching).
        self.clock: Clock = PinnedClock(now) if now is not None else clock or SystemClock()
        self.host = host
        self._requested_port = port
        self._step_seconds = step_seconds
        self.keys = KeyRegistry()
        self._main_key: ApiKey = (
            self.keys.add(api_key, api_secret)
            if api_key is not None and api_secret is not None
            else self.keys.create()
        )
        self.fault_injector = FaultInjector(faults)
        self.exchange = Exchange(self.settings, self.clock)
        self.limiter = RateLimiter(self.settings.tier, self.clock.now)
        self.sim_app = SimApp(self.exchange, self.keys, self.fault_injector, self.limiter)
        self._server: ServerThread | None = None
        self._stop_stepping = threading.Event()
        self._stepper: threading.Thread | None = None
        self.port: int | None = None

    # --- addresses and keys ----------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        return f"http://{self._host_for_url()}:{self._bound_port()}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._host_for_url()}:{self._bound_port()}/v2"

    @property
    def api_key(self) -> str:
        return self._main_key.key

    @property
    def api_secret(self) -> str:
        return self._main_key.secret

    def create_key(self, read_only: bool = False) -> tuple[str, str]:
        """Register a new key pair; ``read_only`` keys get Permission denied on trading calls."""
        key = self.keys.create(read_only=read_only)
        return key.key, key.secret

    def set_faults(self, profile: FaultProfile) -> None:
        """Replace the fault profile (its RNG restarts from its seed)."""
        self.fault_injector.set_profile(profile)

    @property
    def faults(self) -> FaultProfile:
        return self.fault_injector.profile

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind, serve, and start stepping the exchange; return once connections are accepted."""
        if self._server is not None:
            raise RuntimeError("this sandbox is already running")
        sock = bind_socket(self.host, self._requested_port)
        self.port = int(sock.getsockname()[1])
        self._server = ServerThread(self.sim_app, sock)
        self._server.start()
        self._stop_stepping.clear()
        self._stepper = threading.Thread(target=self._step_loop, name="krakked-sim-step")
        self._stepper.start()
        log.info("sandbox exchange listening", extra={"rest_url": self.rest_url})
        return self

    def stop(self) -> None:
        """Stop stepping and serving, then save the exchange's state (when it has a file)."""
        self._stop_stepping.set()
        if self._stepper is not None:
            self._stepper.join()
            self._stepper = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.exchange.save()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _step_loop(self) -> None:
        while not self._stop_stepping.wait(self._step_seconds):
            try:
                self.exchange.step()
            except Exception:  # a failed step must not stop matching for the next one
                log.exception("sandbox step failed")

    def _bound_port(self) -> int:
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return self.port

    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host
