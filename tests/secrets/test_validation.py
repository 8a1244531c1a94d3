from datetime import UTC, datetime
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.secrets import Credentials, ValidationStatus, validate_credentials
from tests.connection.conftest import SleepRecorder, make_client
from tests.connection.loopback import Reply, kraken_error, loopback_kraken, ok, refused_url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 1, 5, tzinfo=UTC))


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (ok({"ZUSD": "10.0"}), ValidationStatus.VALIDATED),
        (kraken_error("EAPI:Invalid key"), ValidationStatus.AUTH_FAILED),
        (kraken_error("EAPI:Invalid signature"), ValidationStatus.AUTH_FAILED),
        (kraken_error("EGeneral:Permission denied"), ValidationStatus.AUTH_FAILED),
        (kraken_error("EAPI:Invalid nonce"), ValidationStatus.AUTH_FAILED),
        (kraken_error("EService:Unavailable"), ValidationStatus.UNREACHABLE),
        (Reply(503, "<html>maintenance</html>"), ValidationStatus.UNREACHABLE),
        (Reply(404, "not found"), ValidationStatus.UNREACHABLE),
    ],
)
def test_balance_reply_then_validation_outcome(
    tmp_path: Path,
    clock: ManualClock,
    credentials: Credentials,
    reply: Reply,
    status: ValidationStatus,
) -> None:
    with loopback_kraken() as kraken:
        kraken.script("Balance", reply)
        client = make_client(kraken.url, tmp_path, clock, SleepRecorder(clock), credentials)

        outcome = validate_credentials(client)

    assert outcome.status is status
    assert outcome.validated is (status is ValidationStatus.VALIDATED)
    assert kraken.calls("Balance")


def test_auth_failure_then_message_says_it_is_the_key(
    tmp_path: Path, clock: ManualClock, credentials: Credentials
) -> None:
    with loopback_kraken() as kraken:
        kraken.script("Balance", kraken_error("EAPI:Invalid key"))
        outcome = validate_credentials(
            make_client(kraken.url, tmp_path, clock, SleepRecorder(clock), credentials)
        )

    assert "API key" in outcome.message
    assert outcome.kraken_errors == ("EAPI:Invalid key",)


def test_connection_refused_then_unreachable_and_not_called_an_invalid_key(
    tmp_path: Path, clock: ManualClock, credentials: Credentials
) -> None:
    client = make_client(refused_url(), tmp_path, clock, SleepRecorder(clock), credentials)

    outcome = validate_credentials(client)

    assert outcome.status is ValidationStatus.UNREACHABLE
    assert "invalid" not in outcome.message.lower()
    assert "says nothing about the key" in outcome.message
