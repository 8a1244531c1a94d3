"""Runs in a child process: wait for the others, then draw nonces and sign with them.

Each request is signed while the nonce lock is held, as the REST client does, and recorded by
appending one line to a log shared by all processes, also under the lock: the log's line order
is therefore the order in which the lock was held, across every process.
"""

import os
from pathlib import Path
from typing import Any

from krakked_core.connection.nonce import FileNonceSource
from krakked_core.connection.signing import api_sign, encode_body

URL_PATH = "/0/private/Balance"
FIELDS = (("asset", "ZUSD"),)


def sign_with_nonces(path: str, log: str, secret: str, count: int, start: Any) -> None:
    source = FileNonceSource(Path(path))
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        start.wait()  # all processes sign at the same time
        for _ in range(count):
            with source.issue() as nonce:
                body = encode_body(nonce, FIELDS)
                sign = api_sign(url_path=URL_PATH, nonce=nonce, postdata=body, secret=secret)
                os.write(fd, f"{os.getpid()} {nonce} {body} {sign}\n".encode())
    finally:
        os.close(fd)
