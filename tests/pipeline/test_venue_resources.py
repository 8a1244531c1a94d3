"""The venue is a resource typed on its port: a test swaps Kraken's for another in one place."""

import dagster as dg
import yaml

from krakked_core.db import make_engine, upgrade
from krakked_core.market_data.universe import UniverseRepository
from krakked_core.paths import AppPaths
from krakked_core.ports import MarketGateway
from krakked_pipeline.assets.universe import pair_universe
from krakked_pipeline.resources import KrakenAccount, KrakenMarket, KrakkedSettings, build_resources
from tests.fakes.market import NOW, FakeMarket


def _settings(app_paths: AppPaths) -> KrakkedSettings:
    # Nothing listens at this URL: a call to Kraken's adapter would fail the run.
    exchange = {"rest_url": "http://127.0.0.1:9"}
    app_paths.config_file.write_text(yaml.safe_dump({"exchange": exchange}))
    engine = make_engine(f"sqlite:///{app_paths.default_db_file}")
    upgrade(engine)
    engine.dispose()
    return KrakkedSettings(config_dir=str(app_paths.config_dir), data_dir=str(app_paths.data_dir))


def test_the_code_location_uses_krakens_adapters_for_the_venue(app_paths: AppPaths) -> None:
    resources = build_resources(_settings(app_paths))

    assert isinstance(resources["market"], KrakenMarket)
    assert isinstance(resources["account"], KrakenAccount)
    assert resources["market_data"].market is resources["market"]  # type: ignore[attr-defined]
    assert resources["portfolio"].account is resources["account"]  # type: ignore[attr-defined]


def test_pair_universe_materializes_from_a_fake_venue_swapped_in_as_the_market_resource(
    app_paths: AppPaths,
) -> None:
    settings = _settings(app_paths)
    market = FakeMarket(bases=["XBT", "ETH", "SOL"])

    result = dg.materialize([pair_universe], resources=build_resources(settings, market=market))

    assert result.success
    engine = make_engine(f"sqlite:///{app_paths.default_db_file}")
    assert [pair.canonical for pair in UniverseRepository(engine).load()] == [
        "ETHUSD",
        "SOLUSD",
        "XBTUSD",
    ]
    engine.dispose()


def test_the_fake_venue_answers_every_call_of_the_port_as_a_flat_market() -> None:
    venue: MarketGateway = FakeMarket(bases=["XBT"], price="250").gateway()
    hour = 3600
    running = int(NOW.timestamp()) // hour * hour

    page = venue.bars("XBTUSD", "1h")
    later = venue.bars("XBTUSD", "1h", since=running - 3 * hour)

    assert len(page.bars) == venue.bars_window and page.running is None
    assert page.bars[-1].time == running - hour  # closed bars only
    assert {(bar.low, bar.high) for bar in page.bars} == {(250.0, 250.0)}
    assert [bar.time for bar in later.bars] == [running - 3 * hour + i * hour for i in range(3)]
    assert venue.trades("XBTUSD", since=5).trades == []
