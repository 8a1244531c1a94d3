"""Kraken's spellings of assets and pairs → the codes used everywhere else: the one table.

Legacy asset codes (``XXBT``, ``ZUSD``), WebSocket v2's names (``BTC``, ``DOGE``), the quote
codes a pair name may end with, and the suffixes Kraken puts on balances of variants of one
asset (``XBT.F``, ``DOT.S``, ``ETH.M``, ``USD.B``). The codes kept elsewhere are Kraken's
display codes (``XBT``, ``XDG``), variants keeping their suffix.
"""

from collections.abc import Mapping

# Legacy 4-letter codes → display codes. ``Assets`` (altname) is authoritative when it was
# fetched; this table covers the codes whose altname differs from the code.
LEGACY_ASSET_CODES = {
    "XXBT": "XBT",
    "XETH": "ETH",
    "XETC": "ETC",
    "XLTC": "LTC",
    "XMLN": "MLN",
    "XREP": "REP",
    "XXDG": "XDG",
    "XXLM": "XLM",
    "XXMR": "XMR",
    "XXRP": "XRP",
    "XZEC": "ZEC",
    "ZUSD": "USD",
    "ZEUR": "EUR",
    "ZCAD": "CAD",
    "ZGBP": "GBP",
    "ZJPY": "JPY",
    "ZAUD": "AUD",
    "ZCHF": "CHF",
}
# Display codes that WebSocket v2 (and people) spell differently.
WS_V2_ASSETS = {"XBT": "BTC", "XDG": "DOGE"}
# What people write for an asset → its display code.
ASSET_ALIASES = {v2: display for display, v2 in WS_V2_ASSETS.items()}
# Suffixes Kraken puts on balances of opted-in / staked / bonded variants of one asset.
VARIANT_SUFFIXES = (".F", ".S", ".M", ".B", ".P")
# Quote codes a pair name may end with, longest first so "USDT" wins over "USD".
_QUOTES = tuple(
    sorted(
        (
            "ZUSD",
            "ZEUR",
            "ZCAD",
            "ZGBP",
            "ZJPY",
            "ZAUD",
            "ZCHF",
            "USDT",
            "USDC",
            "USD",
            "EUR",
            "CAD",
            "GBP",
            "JPY",
            "AUD",
            "CHF",
            "XXBT",
            "XBT",
            "XETH",
            "ETH",
            "DAI",
            "PYUSD",
        ),
        key=len,
        reverse=True,
    )
)


def normalize_asset(code: str, asset_names: Mapping[str, str] | None = None) -> str:
    """``XXBT`` → ``XBT``, ``ZUSD`` → ``USD``, ``XXDG`` → ``XDG``; newer codes pass unchanged."""
    if asset_names and code in asset_names:
        return asset_names[code]
    return LEGACY_ASSET_CODES.get(code, code)


def normalize(code: str) -> str:
    """Normalize an asset code, keeping a variant suffix: ``XXBT.F`` → ``XBT.F``."""
    code = code.strip().upper()
    for suffix in VARIANT_SUFFIXES:
        if code.endswith(suffix) and len(code) > len(suffix):
            return normalize_asset(code[: -len(suffix)]) + suffix
    return ASSET_ALIASES.get(code, normalize_asset(code))


def root(code: str) -> str:
    """The asset a (normalized) code counts toward: ``XBT.F`` → ``XBT``, ``ETH2.S`` → ``ETH2``."""
    for suffix in VARIANT_SUFFIXES:
        if code.endswith(suffix) and len(code) > len(suffix):
            return code[: -len(suffix)]
    return code


def split_pair(name: str, known: Mapping[str, tuple[str, str]] | None = None) -> tuple[str, str]:
    """Split a Kraken pair name (``XXBTZUSD``, ``XBTUSDT``, ``SOLUSD``) into normalized codes.

    ``known`` (raw or canonical name → (base, quote), from ``AssetPairs``) wins when given. The
    fallback guesses from the ending: a legacy quote code (``ZUSD``, ``XXBT``) only after a legacy
    or currency base code (``XXBTZUSD``, ``USDTZUSD``), so ``XTZUSD`` is XTZ/USD, not XT/ZUSD.
    """
    name = name.strip().upper().replace("/", "")
    if known and name in known:
        return known[name]
    for quote in _QUOTES:
        base = name[: -len(quote)]
        if not name.endswith(quote) or not base:
            continue
        if quote in LEGACY_ASSET_CODES and base not in LEGACY_ASSET_CODES and base not in _QUOTES:
            continue
        return normalize(base), normalize(quote)
    raise ValueError(f"cannot split pair name {name!r} into base and quote")


def canonical_pair(base: str, quote: str) -> str:
    """The canonical pair symbol of two normalized codes: ``XBT``, ``USD`` → ``XBTUSD``."""
    return f"{base}{quote}"


def ws_v2_symbol(wsname: str) -> str:
    """``XBT/USD`` (Kraken's wsname) → ``BTC/USD`` (a WebSocket v2 symbol)."""
    base, quote = wsname.split("/")
    return f"{WS_V2_ASSETS.get(base, base)}/{WS_V2_ASSETS.get(quote, quote)}"


def wsname_from_v2(symbol: str) -> str:
    """``BTC/USD`` (a WebSocket v2 symbol) → ``XBT/USD`` (Kraken's wsname)."""
    base, quote = symbol.split("/")
    return f"{ASSET_ALIASES.get(base, base)}/{ASSET_ALIASES.get(quote, quote)}"
