import io
import json
import logging
import sys
import threading
from typing import NamedTuple

import pytest

from krakked_core.errors import ConfigError
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


def test_secret_in_extra_fields_is_scrubbed_for_any_handler() -> None:
    SECRET_SCRUBBER.register("extra-secret-value-1234")
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    log = logging.getLogger("krakked.test.extra")
    log.addHandler(handler)
    try:
        log.warning("sent", extra={"headers": {"API-Key": "extra-secret-value-1234"}})
    finally:
        log.removeHandler(handler)

    assert "extra-secret-value-1234" not in repr(vars(seen[0]))


def test_secret_in_a_logged_traceback_is_scrubbed(capsys, restore_root_logging) -> None:
    SECRET_SCRUBBER.register("traceback-secret-5678")
    configure_logging("INFO", json_lines=True)

    try:
        raise RuntimeError("failed with traceback-secret-5678")
    except RuntimeError:
        logging.getLogger("krakked.test").exception("request failed")

    err = capsys.readouterr().err
    assert "RuntimeError" in err
    assert "traceback-secret-5678" not in err


def test_malformed_log_call_does_not_raise_into_the_caller(caplog) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("krakked.test").warning("a %s %s", 1)  # noqa: PLE1206 - on purpose

    assert "did not match" in caplog.text


def test_unknown_log_level_is_a_config_error(monkeypatch, restore_root_logging) -> None:
    monkeypatch.setenv("KRAKKED_LOG_LEVEL", "verbose")

    with pytest.raises(ConfigError, match="KRAKKED_LOG_LEVEL"):
        configure_logging()


class Event(NamedTuple):
    kind: str
    job_name: str


def test_named_tuples_in_log_records_are_left_intact(caplog) -> None:
    event = Event("STEP_START", "job")
    with caplog.at_level(logging.INFO):
        logging.getLogger("krakked.test").info("event", extra={"dagster_event": event})

    assert caplog.records[-1].dagster_event is event


def test_stderr_replaced_and_closed_after_configuring_then_log_goes_to_the_new_one(
    restore_root_logging,
) -> None:
    # A CLI runner (or pytest's capture) swaps sys.stderr while a command configures logging,
    # then closes its stream: a thread logging later must not hit "I/O operation on closed file".
    old, first, second = sys.stderr, io.StringIO(), io.StringIO()
    try:
        sys.stderr = first
        configure_logging(json_lines=True)
        sys.stderr = second
        first.close()
        thread = threading.Thread(target=logging.getLogger("krakked.test").warning, args=("x",))
        thread.start()
        thread.join()
    finally:
        sys.stderr = old
    assert json.loads(second.getvalue())["event"] == "x"
