"""Kraken's asset codes and pair names → the codes kept everywhere else."""

import pytest

from krakked_core.connection.symbols import normalize, root, split_pair


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("XXBT", "XBT"),
        ("ZUSD", "USD"),
        ("XXDG", "XDG"),
        ("XETH", "ETH"),
        ("XXRP", "XRP"),
        ("XLTC", "LTC"),
        ("ZEUR", "EUR"),
        ("SOL", "SOL"),
        ("XBT.F", "XBT.F"),
        ("XXBT.F", "XBT.F"),
        ("DOT.S", "DOT.S"),
        ("ETH.M", "ETH.M"),
        ("USD.B", "USD.B"),
        ("BTC", "XBT"),
    ],
)
def test_normalize_when_kraken_code_then_one_spelling(code: str, expected: str) -> None:
    assert normalize(code) == expected


def test_root_when_suffix_variant_then_counts_toward_asset() -> None:
    assert root("XBT.F") == "XBT" and root("DOT.S") == "DOT" and root("ETH") == "ETH"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("XXBTZUSD", ("XBT", "USD")),
        ("XBTUSDT", ("XBT", "USDT")),
        ("ETHUSDT", ("ETH", "USDT")),
        ("SOLUSD", ("SOL", "USD")),
        ("XETHXXBT", ("ETH", "XBT")),
        ("USDCUSD", ("USDC", "USD")),
        ("XDGUSD", ("XDG", "USD")),
        ("XBT/USD", ("XBT", "USD")),
        ("XTZUSD", ("XTZ", "USD")),  # not XT/ZUSD: a legacy quote only after a legacy base
        ("USDTZUSD", ("USDT", "USD")),
        ("XXDGZUSD", ("XDG", "USD")),
    ],
)
def test_split_pair_when_raw_name_then_base_and_quote(name: str, expected: tuple[str, str]) -> None:
    assert split_pair(name) == expected


def test_split_pair_when_unknown_quote_then_value_error() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        split_pair("FOOBAR")
