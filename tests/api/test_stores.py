"""The control plane's tables: the migration matches their definitions; the overlay and the
audit log read back what was written, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from krakked_core.clock import ManualClock
from krakked_core.config import AppConfig
from krakked_core.config_loading import parse_config
from krakked_core.config_overlay import (
    EXECUTION,
    RISK,
    ConfigOverlay,
    InvalidOverlayError,
    OverlayStore,
    apply_overlay,
    strategy_section,
)
from krakked_core.control.audit import Actor, AuditLog
from krakked_core.db.tables import metadata

OURS = {"audit_log", "config_overlay"}
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CONFIG = {
    "strategies": {
        "enabled": ["a"],
        "configs": {
            "a": {"type": "trend_following", "ma_fast": 3},
            "b": {"type": "mean_reversion", "enabled": False},
        },
    }
}


def _names(diff: object) -> set[str]:
    found: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif getattr(item, "name", None) is not None:
            table = getattr(item, "table", None)
            found.add(getattr(table, "name", None) or item.name)
    return found


def test_migration_when_applied_then_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if _names(d) & OURS] == []


def test_overlay_when_saved_then_loads_back_and_empty_section_removes_it(engine: Engine) -> None:
    store = OverlayStore(engine, ManualClock(NOW))
    store.save(RISK, {"max_open_positions": 3, "deadband_usd": "5"}, source="api")
    store.save(strategy_section("b"), {"enabled": True}, source="api")
    assert store.load() == ConfigOverlay(
        risk={"max_open_positions": 3, "deadband_usd": "5"}, strategies={"b": {"enabled": True}}
    )
    store.save(RISK, {}, source="api")
    assert store.load().risk == {}


def test_apply_when_strategy_enabled_then_listed_and_flag_set() -> None:
    config = parse_config(CONFIG, origin="test")
    applied = apply_overlay(config, ConfigOverlay(strategies={"b": {"enabled": True}}))
    assert applied.strategies.enabled == ("a", "b")
    assert applied.strategies.configs["b"].enabled is True
    off = apply_overlay(config, ConfigOverlay(strategies={"a": {"enabled": False}}))
    assert off.strategies.enabled == ()


def test_apply_when_mapping_limit_then_merged_key_by_key() -> None:
    config = parse_config({"risk": {"max_per_strategy_pct": {"a": 10, "b": 5}}}, origin="t")
    applied = apply_overlay(config, ConfigOverlay(risk={"max_per_strategy_pct": {"b": 7}}))
    assert applied.risk.max_per_strategy_pct == {"a": 10, "b": 7}


def test_apply_when_value_invalid_then_error_names_the_dotted_field() -> None:
    with pytest.raises(InvalidOverlayError) as caught:
        apply_overlay(AppConfig(), ConfigOverlay(risk={"max_open_positions": -1}))
    assert caught.value.fields == ("risk.max_open_positions",)
    with pytest.raises(InvalidOverlayError, match="live_mode_enabled"):
        apply_overlay(AppConfig(), ConfigOverlay(execution={"mode": "live"}))


def test_apply_when_strategy_no_longer_configured_then_its_overlay_ignored() -> None:
    config = parse_config(CONFIG, origin="test")
    assert apply_overlay(config, ConfigOverlay(strategies={"gone": {"enabled": True}})) == config


def test_apply_when_execution_mode_then_in_force() -> None:
    applied = apply_overlay(AppConfig(), ConfigOverlay(execution={"mode": "dry_run"}))
    assert applied.execution.mode == "dry_run"
    assert EXECUTION == "execution"


def test_audit_when_recorded_then_newest_first_with_params(engine: Engine) -> None:
    log = AuditLog(engine, ManualClock(NOW))
    log.record("a", {"x": 1}, Actor("api", "10.0.0.1"), "ok")
    log.record("b", {}, Actor("cli"), "refused", "why")
    second, first = log.recent()
    assert (second.action, second.outcome, second.detail, second.client) == (
        "b",
        "refused",
        "why",
        "",
    )
    assert (first.params, first.client, first.at) == ({"x": 1}, "10.0.0.1", NOW)
    assert [e.action for e in log.recent(action="a")] == ["a"]
