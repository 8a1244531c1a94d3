from decimal import Decimal

import pytest

from krakked_core.execution.fill_model import FillModel


def test_a_buy_pays_slippage_and_the_taker_fee() -> None:
    fill = FillModel(slippage_bps=Decimal(50), taker_fee_pct=Decimal("0.26")).fill(
        "buy", Decimal(100), Decimal(2)
    )
    assert fill.price == Decimal("100.5")
    assert fill.cost == Decimal("201.0")
    assert fill.fee == Decimal("0.5226")


def test_a_sell_gets_less_than_the_reference() -> None:
    fill = FillModel(slippage_bps=Decimal(100)).fill("sell", Decimal(200), Decimal("0.5"))
    assert fill.price == Decimal(198)
    assert fill.cost == Decimal(99)


def test_no_slippage_fills_at_the_reference() -> None:
    model = FillModel(slippage_bps=Decimal(0), taker_fee_pct=Decimal(0))
    fill = model.fill("buy", Decimal("3.14"), Decimal(1))
    assert (fill.price, fill.fee) == (Decimal("3.14"), Decimal(0))


@pytest.mark.parametrize(("price", "volume"), [(Decimal(0), Decimal(1)), (Decimal(1), Decimal(0))])
def test_a_fill_needs_a_positive_price_and_volume(price: Decimal, volume: Decimal) -> None:
    with pytest.raises(ValueError, match="positive"):
        FillModel().fill("buy", price, volume)


def test_negative_costs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        FillModel(slippage_bps=Decimal(-1))
