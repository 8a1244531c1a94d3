"""The sandbox's ASGI app (Kraken REST, WebSocket v2, loopback control) and its uvicorn thread.

HTTP and WebSocket share one port, as on Kraken's hosts: ``/0/public/<M>``, ``/0/private/<M>``,
``/v2``. ``/sim/...`` is the sandbox's own control surface (faults, health, and the routes of
``control.py``), refused to anything but loopback.
"""

import json
import logging
import socket
import threading
import time

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from krakked_core.sim.auth import KeyRegistry
from krakked_core.sim.control import ControlApi, forbidden, is_loopback
from krakked_core.sim.exchange import Exchange
from krakked_core.sim.faults import FaultInjector, FaultProfile
from krakked_core.sim.limits import RateLimiter
from krakked_core.sim.rest import RestApi
from krakked_core.sim.ws import WsSession

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 15.0


class SimApp:
    """The ASGI app over one Exchange; ``app`` is what uvicorn serves."""

    def __init__(
        self,
        exchange: Exchange,
        keys: KeyRegistry,
        faults: FaultInjector,
        limiter: RateLimiter,
    ) -> None:
        self.exchange = exchange
        self.keys = keys
        self.faults = faults
        self.limiter = limiter
        # Set by the runner: lets a fault abort a client's TCP connection without an answer.
        self.uvicorn_server: uvicorn.Server | None = None
        self._rest = RestApi(exchange, keys, faults, limiter, self.abort_connection)
        self.app = Starlette(
            routes=[
                Route("/0/public/{method}", self._rest.public, methods=["GET", "POST"]),
                Route("/0/private/{method}", self._rest.private, methods=["GET", "POST"]),
                WebSocketRoute("/v2", self._websocket),
                Route("/sim/faults", self._faults_endpoint, methods=["GET", "POST"]),
                Route("/sim/health", self._health, methods=["GET"]),
                *ControlApi(exchange, keys).routes(),
            ]
        )

    async def _websocket(self, websocket: WebSocket) -> None:
        session = WsSession(websocket, self.exchange, self.faults, self.abort_connection, self.keys)
        await session.run()

    def abort_connection(self, connection: HTTPConnection) -> bool:
        """Drop a client's connection with no answer (as a dying proxy would)."""
        server, client = self.uvicorn_server, connection.scope.get("client")
        if server is None or not client:
            return False
        for protocol in list(server.server_state.connections):
            if tuple(getattr(protocol, "client", None) or ()) == tuple(client):
                protocol.transport.abort()
                return True
        return False

    async def _faults_endpoint(self, request: Request) -> Response:
        if not is_loopback(request):
            return forbidden()
        if request.method == "POST":
            try:
                profile = FaultProfile.model_validate(json.loads(await request.body() or b"{}"))
            except (ValueError, ValidationError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=422)
            self.faults.set_profile(profile)
            log.info("sim fault profile set", extra={"profile": profile.model_dump(mode="json")})
        return JSONResponse(self.faults.profile.model_dump(mode="json"))

    async def _health(self, request: Request) -> Response:
        if not is_loopback(request):
            return forbidden()
        return JSONResponse({"status": "ok", "time": self.exchange.clock.now().isoformat()})


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before uvicorn starts, so port 0 yields a port we can read back."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ServerThread:
    """uvicorn serving a SimApp on a pre-bound socket, in a background thread."""

    def __init__(self, sim_app: SimApp, sock: socket.socket) -> None:
        self._sock = sock
        config = uvicorn.Config(
            sim_app.app,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        sim_app.uvicorn_server = self.server
        self._thread = threading.Thread(target=self._run, name="krakked-sim-server", daemon=True)
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        port: int = self._sock.getsockname()[1]
        return port

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._sock])
        except BaseException as exc:  # reported to the starting thread, not swallowed
            self._error = exc
            raise

    def start(self) -> None:
        """Start serving; return once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server did not start: {self._error!r}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Ask uvicorn to shut down and wait for its thread."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._sock.close()
