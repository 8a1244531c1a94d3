"""A loopback HTTP server that answers like Kraken from a script, and records what it got."""

import json
import socket
import struct
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

# How the server treats a request after reading all of it: answer; reset the connection (RST);
# hold it unanswered until the server stops; or send the headers and part of the body, then close.
Delivery = Literal["answer", "reset", "hang", "cut"]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes → sent as is
    delivery: Delivery = "answer"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def ok(result: Any) -> Reply:
    return Reply(200, {"error": [], "result": result})


def kraken_error(*errors: str, status: int = 200) -> Reply:
    return Reply(status, {"error": list(errors)})


@dataclass(frozen=True)
class Recorded:
    verb: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode(), keep_blank_values=True)


@dataclass
class LoopbackKraken:
    """Replies per Kraken method name; the last reply of a script repeats."""

    scripts: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def script(self, method: str, *replies: Reply) -> None:
        self.scripts[method] = deque(replies)

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def next_reply(self, method: str) -> Reply:
        queue = self.scripts.get(method)
        if not queue:
            return kraken_error("EGeneral:Unknown method")
        return queue.popleft() if len(queue) > 1 else queue[0]


RESET = Reply(delivery="reset")
HANG = Reply(delivery="hang")


def _handler_for(kraken: LoopbackKraken, stopping: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            recorded = Recorded(
                verb=self.command,
                path=split.path,
                query=dict(parse_qsl(split.query)),
                headers={k: v for k, v in self.headers.items()},
                body=body,
            )
            kraken.requests.append(recorded)
            reply = kraken.next_reply(recorded.method)
            if reply.delivery == "reset":
                # Linger 0: close() sends RST, not FIN, so the client sees a reset connection.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            if reply.delivery == "hang":
                stopping.wait()
                self.close_connection = True
                return
            payload = reply.encoded()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if reply.delivery == "cut":
                self.wfile.write(payload[: len(payload) // 2])
                self.close_connection = True
                return
            self.wfile.write(payload)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def loopback_kraken() -> Iterator[LoopbackKraken]:
    kraken = LoopbackKraken()
    stopping = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(kraken, stopping))
    server.daemon_threads = False  # so server_close() joins the request threads
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    kraken.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield kraken
    finally:
        stopping.set()  # releases held requests
        server.shutdown()
        server.server_close()
        thread.join()


def refused_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def silent_url() -> Iterator[str]:
    """A loopback URL that accepts connections and never answers: requests time out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
