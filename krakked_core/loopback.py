"""Loopback port checks for the processes `krakked up` starts."""

import socket

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on now (for a child to bind a moment later)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def accepts_connections(host: str, port: int, timeout_seconds: float = 1) -> bool:
    """True when something listens on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_seconds):
            return True
    except OSError:
        return False
