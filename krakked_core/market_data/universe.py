"""The USD spot universe, and the one translation between Kraken's pair names.

REST and ``wsname`` say ``XBT/USD`` and ``XDG/USD``; WebSocket v2 says ``BTC/USD`` and
``DOGE/USD``. This module is the only place that knows.
"""

# Legacy asset names that WebSocket v2 spells differently.
_WS_V2_ASSET = {"XBT": "BTC", "XDG": "DOGE"}
_FROM_WS_V2_ASSET = {v2: legacy for legacy, v2 in _WS_V2_ASSET.items()}


def ws_v2_symbol(wsname: str) -> str:
    """``XBT/USD`` (Kraken's wsname) → ``BTC/USD`` (a WebSocket v2 symbol)."""
    base, quote = wsname.split("/")
    return f"{_WS_V2_ASSET.get(base, base)}/{_WS_V2_ASSET.get(quote, quote)}"


def wsname_from_v2(symbol: str) -> str:
    """``BTC/USD`` (a WebSocket v2 symbol) → ``XBT/USD`` (Kraken's wsname)."""
    base, quote = symbol.split("/")
    return f"{_FROM_WS_V2_ASSET.get(base, base)}/{_FROM_WS_V2_ASSET.get(quote, quote)}"
