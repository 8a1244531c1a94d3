"""`krakked api`: refuses to expose an unauthenticated control plane to the network."""

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.cli.api_cmd import is_loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_api_when_non_loopback_bind_without_auth_then_refuses_to_start(host: str) -> None:
    result = CliRunner().invoke(app, ["api", "--host", host, "--port", "1"])
    assert result.exit_code == 1
    assert f"refused: binding {host} with ui.auth.enabled false" in result.output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.5.0.1", True), ("::1", True), ("localhost", True)],
        *[("0.0.0.0", False), ("10.0.0.1", False), ("krakked.lan", False)],
    ],
)
def test_is_loopback_when_address_given_then_only_this_machine_counts(
    host: str, loopback: bool
) -> None:
    assert is_loopback(host) is loopback


def test_api_when_database_not_migrated_then_says_to_upgrade(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("KRAKKED_DB__URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["api", "--port", "1"])
    assert result.exit_code == 1
    assert "krakked db upgrade" in result.output
