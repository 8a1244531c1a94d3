"""`krakked universe | backfill | import-ohlcvt | ohlc` against the sandbox exchange."""

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from krakked_core.cli import app
from krakked_core.config import AppConfig
from krakked_core.db import make_engine, upgrade
from krakked_core.paths import AppPaths
from krakked_core.sim import SandboxExchange, SimSettings
from tests.market_data.history.conftest import MARCH_1

runner = CliRunner()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxExchange]:
    """On the machine's clock, as the commands are: a pinned sandbox would look hours stale to
    them. What these tests read holds on any date (liquid pairs are liquid by construction)."""
    with SandboxExchange(SimSettings(seed=1, history_days=2, tier="none")) as sim:
        yield sim


def _upgrade(config: AppConfig, paths: AppPaths) -> None:
    engine = make_engine(config.db.resolved_url(paths))
    upgrade(engine)
    engine.dispose()


def test_commands_refuse_a_database_behind_the_code(sandbox_config: AppConfig) -> None:
    result = runner.invoke(app, ["universe", "--json"])
    assert result.exit_code == 1
    assert "krakked db upgrade" in result.output


def test_universe_backfill_and_ohlc_as_json(sandbox_config: AppConfig, app_paths: AppPaths) -> None:
    _upgrade(sandbox_config, app_paths)
    universe = runner.invoke(app, ["universe", "--json"])
    assert universe.exit_code == 0, universe.output
    pairs = json.loads(universe.stdout)
    xbt = next(p for p in pairs if p["canonical"] == "XBTUSD")
    assert xbt["ws_symbol"] == "XBT/USD" and xbt["raw_name"] == "XXBTZUSD"
    assert xbt["lot_size"] == "0.00000001"  # plain decimals, never "1E-8"
    decimals = [p[k] for p in pairs for k in ("lot_size", "ordermin", "costmin", "tick_size")]
    assert not any("E" in str(value) for value in decimals)
    assert "WAVESUSD" not in {p["canonical"] for p in pairs}

    backfill = runner.invoke(app, ["backfill", "--pair", "XBTUSD", "--timeframe", "1h"])
    assert backfill.exit_code == 0, backfill.output
    assert "rest_ohlc" in backfill.output

    ohlc = runner.invoke(
        app, ["ohlc", "--pair", "XBTUSD", "--timeframe", "1h", "--lookback", "5", "--json"]
    )
    assert ohlc.exit_code == 0, ohlc.output
    bars = json.loads(ohlc.stdout)
    assert len(bars) == 5
    assert set(bars[0]) == {"time", "open", "high", "low", "close", "vwap", "volume", "count"}
    assert [b["time"] for b in bars] == sorted(b["time"] for b in bars)


def test_ohlc_errors_exit_nonzero_with_the_reason(
    sandbox_config: AppConfig, app_paths: AppPaths
) -> None:
    _upgrade(sandbox_config, app_paths)
    unknown = runner.invoke(app, ["ohlc", "--pair", "NOPE", "--timeframe", "1h", "--lookback", "5"])
    assert unknown.exit_code == 1 and "UnknownPairError" in unknown.output
    bad_tf = runner.invoke(
        app, ["ohlc", "--pair", "XBTUSD", "--timeframe", "2h", "--lookback", "5"]
    )
    assert bad_tf.exit_code == 2
    bad_date = runner.invoke(
        app, ["backfill", "--pair", "XBTUSD", "--timeframe", "1h", "--since", "March"]
    )
    assert bad_date.exit_code == 2 and "ISO date" in bad_date.output


def test_import_ohlcvt_folder(sandbox_config: AppConfig, app_paths: AppPaths, tmp_path) -> None:
    folder = tmp_path / "ohlcvt"
    folder.mkdir()
    (folder / "XBTUSD_1440.csv").write_text(f"{MARCH_1},1,2,0.5,1.5,10,7\n")
    result = runner.invoke(app, ["import-ohlcvt", str(folder)])
    assert result.exit_code == 0, result.output
    assert "XBTUSD 1d: 1 bars" in result.output
    missing = runner.invoke(app, ["import-ohlcvt", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 1
