import json
import logging

import pytest

from krakked_core.log import REDACTED, SECRET_SCRUBBER, configure_logging


@pytest.fixture
def restore_root_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers, root.level = handlers, level


def test_registered_secret_is_scrubbed_from_message_and_args(caplog) -> None:
    SECRET_SCRUBBER.register("s3cr3t-value-for-scrub-test")
    log = logging.getLogger("krakked.test")

    with caplog.at_level(logging.DEBUG):
        log.warning("calling with %s", "s3cr3t-value-for-scrub-test")
        log.info("direct s3cr3t-value-for-scrub-test in text")

    assert "s3cr3t-value-for-scrub-test" not in caplog.text
    assert caplog.text.count(REDACTED) == 2


def test_api_sign_values_are_scrubbed(caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("krakked.test").debug(
            "headers {'API-Sign': 'abcdEFGH1234ijklMNOP5678=='}"
        )

    assert "abcdEFGH1234ijklMNOP5678" not in caplog.text


def test_json_lines_when_not_a_terminal(capsys, restore_root_logging) -> None:
    configure_logging("DEBUG", json_lines=True)

    logging.getLogger("krakked.test").info("drift detected", extra={"asset": "XBT"})

    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "drift detected"
    assert record["asset"] == "XBT"
    assert record["level"] == "info"
    assert record["timestamp"].endswith("Z")


def test_log_level_from_environment(monkeypatch, restore_root_logging) -> None:
    monkeypatch.setenv("KRAKKED_LOG_LEVEL", "warning")

    configure_logging()

    assert logging.getLogger().level == logging.WARNING
