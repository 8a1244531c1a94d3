"""Asset codes and pair names: Kraken's spellings → the codes the portfolio keeps.

Legacy codes (``XXBT``, ``ZUSD``) are mapped by the one table in ``connection/parsers/market.py``;
this module adds what the account side needs: balance suffixes (``XBT.F``, ``DOT.S``, ``ETH.M``,
``USD.B``) that count toward the same asset, and splitting a trade's pair into base and quote.
"""

from collections.abc import Mapping

from krakked_core.connection.parsers.market import LEGACY_ASSET_CODES, normalize_asset

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
# What people write for an asset vs. Kraken's legacy display code.
_ALIASES = {"BTC": "XBT", "DOGE": "XDG"}


def normalize(code: str) -> str:
    """Normalize a Kraken asset code, keeping a variant suffix: ``XXBT.F`` → ``XBT.F``."""
    code = code.strip().upper()
    for suffix in VARIANT_SUFFIXES:
        if code.endswith(suffix) and len(code) > len(suffix):
            return normalize_asset(code[: -len(suffix)]) + suffix
    return _ALIASES.get(code, normalize_asset(code))


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


def valuation_pair(asset: str, base_currency: str, overrides: Mapping[str, str]) -> str:
    """The pair pricing ``asset`` in the base currency: config override, else ``<asset><base>``."""
    for key in (asset, *[alias for alias, code in _ALIASES.items() if code == asset]):
        if key in overrides:
            return overrides[key]
    return canonical_pair(asset, base_currency)


def is_tracked(asset: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Apply ``portfolio.include_assets`` / ``exclude_assets`` to an asset's root code."""
    base = root(asset)
    wanted = {normalize(code) for code in include}
    unwanted = {normalize(code) for code in exclude}
    return (not wanted or base in wanted) and base not in unwanted


__all__ = [
    "LEGACY_ASSET_CODES",
    "VARIANT_SUFFIXES",
    "canonical_pair",
    "is_tracked",
    "normalize",
    "root",
    "split_pair",
    "valuation_pair",
]
