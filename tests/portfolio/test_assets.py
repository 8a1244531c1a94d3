from krakked_core.portfolio.assets import is_tracked, valuation_pair


def test_valuation_pair_when_override_by_alias_then_used() -> None:
    assert valuation_pair("XBT", "USD", {"BTC": "XBTUSDC"}) == "XBTUSDC"
    assert valuation_pair("ETH", "USD", {}) == "ETHUSD"


def test_is_tracked_when_include_and_exclude_then_filtered_by_root() -> None:
    assert is_tracked("XBT.F", ("XBT",), ())
    assert not is_tracked("ETH", ("XBT",), ())
    assert not is_tracked("DOT.S", (), ("DOT",))
