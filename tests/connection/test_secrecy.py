"""Neither the key, the secret nor any API-Sign value shows in logs, exceptions or reprs."""

import logging
import traceback
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.connection import KrakenRestClient
from krakked_core.errors import KrakkedError
from krakked_core.secrets import Credentials
from tests.connection.conftest import TEST_KEY, TEST_SECRET, SleepRecorder, make_client
from tests.connection.loopback import (
    LoopbackKraken,
    Reply,
    kraken_error,
    ok,
    refused_url,
    silent_url,
)


def _exception_text(exc: BaseException | None) -> str:
    parts: list[str] = []
    while exc is not None:
        parts += [str(exc), repr(exc), repr(vars(exc)), "".join(traceback.format_exception(exc))]
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.text + "\n".join(repr(vars(record)) for record in caplog.records)


def _assert_nothing_secret(text: str, signatures: list[str]) -> None:
    assert TEST_KEY not in text
    assert TEST_SECRET not in text
    for signature in signatures:
        assert signature not in text


def _signatures(kraken: LoopbackKraken) -> list[str]:
    return [r.headers["API-Sign"] for r in kraken.requests if "API-Sign" in r.headers]


@pytest.mark.parametrize(
    "reply",
    [
        ok({"ZUSD": "1.0"}),
        kraken_error("EAPI:Invalid key"),
        kraken_error("EAPI:Invalid signature"),
        kraken_error("EService:Unavailable"),
        kraken_error("EOrder:Insufficient funds"),
        Reply(503, "<html>down</html>"),
        Reply(200, "not json"),
    ],
)
def test_private_calls_succeeding_or_failing_then_no_secret_anywhere(
    client: KrakenRestClient,
    kraken: LoopbackKraken,
    credentials: Credentials,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
) -> None:
    caplog.set_level(logging.DEBUG)
    kraken.script("Balance", reply)
    kraken.script("AddOrder", reply)
    caught: list[BaseException] = []

    for call in (
        client.balance,
        lambda: client.add_order("XBTUSD", "buy", "limit", "1", "100"),
    ):
        try:
            call()
        except KrakkedError as exc:
            caught.append(exc)

    signatures = _signatures(kraken)
    assert signatures  # the requests were signed and sent
    text = "\n".join(
        [_log_text(caplog), repr(client), str(client), repr(credentials), str(credentials)]
        + [_exception_text(exc) for exc in caught]
    )
    _assert_nothing_secret(text, signatures)


@pytest.mark.parametrize("where", ["refused", "silent"])
def test_network_failures_then_exception_holds_no_request_and_no_secret(
    tmp_path: Path,
    clock: ManualClock,
    sleeper: SleepRecorder,
    credentials: Credentials,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    caplog.set_level(logging.DEBUG)

    def run(url: str) -> BaseException:
        client = make_client(url, tmp_path, clock, sleeper, credentials, timeout=0.2)
        with pytest.raises(KrakkedError) as caught:
            client.cancel_all()
        return caught.value

    if where == "refused":
        error = run(refused_url())
    else:
        with silent_url() as url:
            error = run(url)

    # The transport exception (which holds the prepared request and its headers) is not chained.
    assert error.__cause__ is None and error.__context__ is None
    _assert_nothing_secret(_log_text(caplog) + _exception_text(error), [])


def test_credentials_repr_and_str_then_masked() -> None:
    credentials = Credentials.of(TEST_KEY, TEST_SECRET)

    assert "**********" in repr(credentials)
    _assert_nothing_secret(repr(credentials) + str(credentials) + f"{credentials}", [])


def test_client_registers_key_and_secret_with_the_log_scrubber(
    client: KrakenRestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    logging.getLogger("some.careless.module").info("leaked %s and %s", TEST_KEY, TEST_SECRET)

    _assert_nothing_secret(_log_text(caplog), [])
