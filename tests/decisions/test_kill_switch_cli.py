"""`krakked kill-switch on|off|status` on SQLite and PostgreSQL."""

import json

import pytest
from typer.testing import CliRunner, Result

from krakked_core.cli import app


@pytest.fixture
def migrated(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KRAKKED_DB__URL", db_url)
    assert _invoke("db", "upgrade").exit_code == 0
    return db_url


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _status() -> dict[str, object]:
    result = _invoke("kill-switch", "status", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_on_when_given_a_reason_then_active_with_it(migrated: str) -> None:
    assert _status() == {"active": False, "reason": "", "source": "", "changed_at": None}
    result = _invoke("kill-switch", "on", "--reason", "exchange incident")
    assert result.exit_code == 0, result.output
    status = _status()
    assert (status["active"], status["reason"], status["source"]) == (
        True,
        "exchange incident",
        "cli",
    )
    assert str(status["changed_at"]).endswith("Z")


@pytest.mark.parametrize("phrase", [None, "", "disable kill switch", "DISABLE"])
def test_off_when_phrase_wrong_or_missing_then_refused_and_unchanged(
    migrated: str, phrase: str | None
) -> None:
    assert _invoke("kill-switch", "on", "--reason", "r").exit_code == 0
    before = _status()
    args = ["kill-switch", "off"] + ([] if phrase is None else ["--confirm", phrase])
    result = _invoke(*args)
    assert result.exit_code != 0
    assert "DISABLE KILL SWITCH" in result.output
    assert _status() == before


def test_off_when_phrase_exact_then_cleared(migrated: str) -> None:
    assert _invoke("kill-switch", "on").exit_code == 0
    result = _invoke("kill-switch", "off", "--confirm", "DISABLE KILL SWITCH", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["active"] is False
    assert _status()["active"] is False


def test_status_when_database_not_migrated_then_says_to_upgrade(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KRAKKED_DB__URL", db_url)
    result = _invoke("kill-switch", "status")
    assert result.exit_code == 1
    assert "krakked db upgrade" in result.output
