import base64

import pytest

from krakked_core.secrets import Credentials

KEY = "sEcReTsTeStKeY-5d2a8f1c3e7b9a4d6f0c2e8a1b3d5f7c9e0a2b4d6f8"
SECRET = base64.b64encode(bytes(range(100, 164))).decode()
PASSWORD = "correct horse battery staple"
FAST_N = 2**10  # tests only: the real default is 2**15


@pytest.fixture
def credentials() -> Credentials:
    return Credentials.of(KEY, SECRET)
