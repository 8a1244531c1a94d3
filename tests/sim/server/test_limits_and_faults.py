"""Rate-limit counters and the fault injector, on their own (no server)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from krakked_core.clock import ManualClock
from krakked_core.errors import ConfigError
from krakked_core.sim.errors import SimError
from krakked_core.sim.faults import FaultInjector, FaultProfile, HttpFault
from krakked_core.sim.limits import (
    API_RATE_LIMIT,
    ORDER_RATE_LIMIT,
    RateLimiter,
    cancel_penalty,
    private_call_cost,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def test_private_counter_when_starter_tier_then_sixteenth_call_refused(clock: ManualClock) -> None:
    limiter = RateLimiter("starter", clock.now)
    for _ in range(15):
        limiter.charge_private_call("k", "Balance")

    with pytest.raises(SimError) as caught:
        limiter.charge_private_call("k", "Balance")
    assert caught.value.kraken_error == API_RATE_LIMIT


def test_private_counter_when_time_passes_then_decays_at_tier_rate(clock: ManualClock) -> None:
    limiter = RateLimiter("intermediate", clock.now)
    for _ in range(20):
        limiter.charge_private_call("k", "Balance")

    clock.advance(2)  # −0.5/s → one call's worth

    limiter.charge_private_call("k", "Balance")
    with pytest.raises(SimError):
        limiter.charge_private_call("k", "Balance")


def test_private_counter_when_other_key_then_separate(clock: ManualClock) -> None:
    limiter = RateLimiter("pro", clock.now)
    for _ in range(20):
        limiter.charge_private_call("a", "Balance")

    limiter.charge_private_call("b", "Balance")
    assert limiter.private_level("b") == 1


def test_private_call_cost_when_history_calls_then_two_and_order_entry_zero() -> None:
    assert [private_call_cost(m) for m in ("Ledgers", "QueryTrades", "TradesHistory")] == [2, 2, 2]
    assert private_call_cost("QueryLedgers") == 2
    assert private_call_cost("Balance") == 1
    assert private_call_cost("AddOrder") == 0
    assert private_call_cost("CancelOrder") == 0


def test_private_counter_when_tier_none_then_never_refused(clock: ManualClock) -> None:
    limiter = RateLimiter("none", clock.now)
    for _ in range(500):
        limiter.charge_private_call("k", "Ledgers")
    limiter.check_trading({"XBTUSD": 10_000})


@pytest.mark.parametrize(
    ("age", "penalty"),
    [(0, 8), (4.9, 8), (5, 6), (12, 5), (30, 4), (60, 2), (200, 1), (300, 0), (4000, 0)],
)
def test_cancel_penalty_when_order_age_then_kraken_table(age: float, penalty: int) -> None:
    assert cancel_penalty(age) == penalty


def test_trading_counter_when_over_threshold_then_order_rate_limit(clock: ManualClock) -> None:
    limiter = RateLimiter("starter", clock.now)
    limiter.charge_trading({"XBTUSD": 60})

    with pytest.raises(SimError) as caught:
        limiter.check_trading({"XBTUSD": 1})
    assert caught.value.kraken_error == ORDER_RATE_LIMIT
    limiter.check_trading({"ETHUSD": 1})  # another pair has its own counter
    clock.advance(1)  # −1/s on starter
    limiter.check_trading({"XBTUSD": 1})


def test_fault_injector_when_same_seed_then_same_sequence() -> None:
    profile = FaultProfile(seed=7, http_5xx=0.2, service_busy=0.2, add_order_lost_response=0.3)
    runs = []
    for _ in range(2):
        injector = FaultInjector(profile)
        runs.append([injector.decide_http(m) for m in ["AddOrder", "Balance"] * 50])

    assert runs[0] == runs[1]
    faults = {decision.fault for decision in runs[0]}
    assert {HttpFault.HTTP_5XX, HttpFault.SERVICE_BUSY, HttpFault.NONE} <= faults
    assert HttpFault.ADD_ORDER_LOST_RESPONSE in faults
    assert all(d.status in (500, 502, 503, 504) for d in runs[0] if d.fault is HttpFault.HTTP_5XX)


def test_fault_injector_when_lost_response_then_only_add_order() -> None:
    injector = FaultInjector(FaultProfile(add_order_lost_response=1.0))

    assert injector.decide_http("Balance").fault is HttpFault.NONE
    assert injector.decide_http("AddOrder").fault is HttpFault.ADD_ORDER_LOST_RESPONSE


def test_fault_injector_when_methods_filter_then_other_methods_spared() -> None:
    injector = FaultInjector(FaultProfile(service_unavailable=1.0, methods=frozenset({"Ticker"})))

    assert injector.decide_http("Time").fault is HttpFault.NONE
    assert injector.decide_http("Ticker").fault is HttpFault.SERVICE_UNAVAILABLE


def test_fault_injector_when_profile_replaced_then_rng_restarts_from_seed() -> None:
    profile = FaultProfile(seed=3, timeout=0.5)
    injector = FaultInjector(profile)
    first = [injector.decide_http("Time").fault for _ in range(20)]

    injector.set_profile(profile)

    assert [injector.decide_http("Time").fault for _ in range(20)] == first


def test_fault_profile_when_rates_exceed_one_then_rejected() -> None:
    with pytest.raises(ValidationError, match="add up"):
        FaultProfile(http_5xx=0.6, service_busy=0.6)


def test_fault_profile_when_loaded_from_yaml_and_json_then_equal(tmp_path: Path) -> None:
    yaml_file = tmp_path / "faults.yaml"
    yaml_file.write_text("seed: 4\nservice_busy: 0.1\nsilent_channels: [ohlc]\n")
    json_file = tmp_path / "faults.json"
    json_file.write_text(json.dumps({"seed": 4, "service_busy": 0.1, "silent_channels": ["ohlc"]}))

    assert FaultProfile.from_file(yaml_file) == FaultProfile.from_file(json_file)
    assert FaultProfile.from_file(yaml_file).is_silent("ohlc", "BTC/USD")


def test_fault_profile_when_unknown_key_in_file_then_config_error(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("http_500: 0.5\n")

    with pytest.raises(ConfigError, match="http_500"):
        FaultProfile.from_file(path)


def test_is_silent_when_channel_symbol_entry_then_only_that_symbol() -> None:
    profile = FaultProfile(silent_channels=frozenset({"ticker:BTC/USD"}))

    assert profile.is_silent("ticker", "BTC/USD")
    assert not profile.is_silent("ticker", "ETH/USD")
    assert not profile.is_silent("ohlc", "BTC/USD")
