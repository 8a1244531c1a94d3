"""Properties of the bundled strategies and indicators over random closes (hypothesis)."""

import numpy as np
import pandas as pd
from hypothesis import event, given, settings
from hypothesis import strategies as st

from krakked_core.strategy.indicators import closes_of, ema, sma
from tests.strategy.helpers import run

closes = st.lists(
    st.floats(min_value=1.0, max_value=1000.0, allow_nan=False), min_size=40, max_size=80
)
kinds = st.sampled_from(
    [
        ("trend_following", {"ma_fast": 3, "ma_slow": 8, "min_trend_strength_pct": 0.1}),
        ("mean_reversion", {"period": 10}),
        ("mean_reversion", {"band": "rsi", "period": 10, "rsi_period": 3}),
        ("ema_cross_rsi", {"ema_fast": 3, "ema_slow": 8, "rsi_period": 3, "history_bars": 30}),
    ]
)


@settings(max_examples=60, deadline=None)
@given(closes, kinds, st.booleans())
def test_a_strategy_enters_only_when_flat_and_exits_only_what_it_holds(values, kind, held) -> None:
    name, params = kind
    intents = run(name, values, held="1" if held else None, entry="100", **params)
    event(f"{name}: {len(intents)} intent(s)")

    assert len(intents) <= 1
    for intent in intents:
        assert intent.pair == "XBTUSD" and intent.strategy_id == "s"
        assert intent.desired_exposure_usd is None
        if held:
            assert (intent.intent_type, intent.side) == ("exit", "flat")
        else:
            assert (intent.intent_type, intent.side) == ("enter", "long")


@settings(max_examples=60, deadline=None)
@given(closes, st.integers(2, 30))
def test_ema_and_sma_agree_with_pandas(values, period) -> None:
    series = closes_of(values)
    np.testing.assert_allclose(
        ema(series, period), pd.Series(values).ewm(span=period, adjust=False).mean(), rtol=1e-9
    )
    np.testing.assert_allclose(
        sma(series, period), pd.Series(values).rolling(period).mean(), rtol=1e-9, equal_nan=True
    )
