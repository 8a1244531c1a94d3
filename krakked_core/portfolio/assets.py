"""The portfolio's asset codes: which asset a variant counts toward, tracking and valuing.

Kraken's spellings are turned into these codes by ``connection/symbols.py`` (the one table);
this module adds what the portfolio decides with them.
"""

from collections.abc import Mapping

from krakked_core.connection.symbols import ASSET_ALIASES, canonical_pair, normalize, root


def valuation_pair(asset: str, base_currency: str, overrides: Mapping[str, str]) -> str:
    """The pair pricing ``asset`` in the base currency: config override, else ``<asset><base>``."""
    for key in (asset, *[alias for alias, code in ASSET_ALIASES.items() if code == asset]):
        if key in overrides:
            return overrides[key]
    return canonical_pair(asset, base_currency)


def is_tracked(asset: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Apply ``portfolio.include_assets`` / ``exclude_assets`` to an asset's root code."""
    base = root(asset)
    wanted = {normalize(code) for code in include}
    unwanted = {normalize(code) for code in exclude}
    return (not wanted or base in wanted) and base not in unwanted


__all__ = ["canonical_pair", "is_tracked", "normalize", "root", "valuation_pair"]
