"""The sandbox's market list: Kraken's AssetPairs and Assets, plus how each pair's price moves.

The file (bundled ``data/markets.json`` or the operator's YAML/JSON) has three parts: ``assets``
and ``pairs`` exactly in Kraken's shapes (numbers as Kraken sends them), and ``sim`` — per pair
the reference price, yearly volatility, trades per minute and mean trade size in quote currency,
and optionally the band its 24 h volume (in quote currency) always stays in:
``min_24h_volume`` keeps a pair liquid on every date, ``max_24h_volume`` keeps one illiquid.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from krakked_core.errors import ConfigError
from krakked_core.sim.errors import UNKNOWN_ASSET, UNKNOWN_PAIR, SimError

STAKED_SUFFIXES = (".S", ".M", ".F", ".B")

# WebSocket v2 says BTC/DOGE where REST and ``wsname`` say XBT/XDG (FACTS.md). The sandbox keeps
# its own table on purpose, apart from the bot's ``market_data.universe``: a wrong mapping there
# must show up as a refused subscription here, not be shared by both sides.
_V2_ASSET_NAMES = {"XBT": "BTC", "XDG": "DOGE"}


def ws_v2_symbol(wsname: str) -> str:
    """``XBT/USD`` (Kraken's wsname) → ``BTC/USD`` (the only name WebSocket v2 accepts)."""
    return "/".join(_V2_ASSET_NAMES.get(part, part) for part in wsname.split("/"))


@dataclass(frozen=True)
class PriceParams:
    """How a pair's simulated market behaves."""

    price: Decimal  # long-run level the price reverts to
    volatility: float  # yearly, of log price
    trades_per_minute: float
    trade_notional: float  # mean trade size, in quote currency
    path_of: str  # pair key whose path shape this pair shares (itself unless it follows another)
    # Bounds of every 24 h window's volume in quote currency, whatever the random walk does.
    min_24h_volume: float | None = None
    max_24h_volume: float | None = None


@dataclass(frozen=True)
class Pair:
    """One tradable pair: Kraken's AssetPairs entry plus parsed numbers the engine uses."""

    key: str
    info: Mapping[str, Any]  # the AssetPairs entry as served
    params: PriceParams

    @property
    def altname(self) -> str:
        return str(self.info["altname"])

    @property
    def wsname(self) -> str | None:
        name = self.info.get("wsname")
        return str(name) if name else None

    @property
    def ws_symbol(self) -> str | None:
        return ws_v2_symbol(self.wsname) if self.wsname else None

    @property
    def base(self) -> str:
        return str(self.info["base"])

    @property
    def quote(self) -> str:
        return str(self.info["quote"])

    @property
    def pair_decimals(self) -> int:
        return int(self.info["pair_decimals"])

    @property
    def cost_decimals(self) -> int:
        """Decimals of an order's or trade's ``cost``/``fee`` as Kraken shows them."""
        return int(self.info.get("cost_decimals", self.pair_decimals))

    @property
    def lot_decimals(self) -> int:
        return int(self.info["lot_decimals"])

    @property
    def tick(self) -> Decimal:
        """The price step: the tick size, never finer than ``pair_decimals``."""
        step = Decimal(1).scaleb(-self.pair_decimals)
        tick = self.info.get("tick_size")
        return max(step, Decimal(str(tick))) if tick else step

    @property
    def lot(self) -> Decimal:
        return Decimal(1).scaleb(-self.lot_decimals)

    @property
    def ordermin(self) -> Decimal:
        return Decimal(str(self.info.get("ordermin", "0")))

    @property
    def costmin(self) -> Decimal:
        return Decimal(str(self.info.get("costmin", "0")))

    @property
    def status(self) -> str:
        return str(self.info.get("status", "online"))

    def format_price(self, value: Decimal, decimals: int | None = None) -> str:
        places = self.pair_decimals if decimals is None else decimals
        return format(value.quantize(Decimal(1).scaleb(-places)), "f")

    def format_volume(self, value: Decimal) -> str:
        return format(value.quantize(Decimal(1).scaleb(-max(8, self.lot_decimals))), "f")


class Markets:
    """Pairs by key, altname or wsname, and the assets they trade."""

    def __init__(self, assets: Mapping[str, Mapping[str, Any]], pairs: list[Pair]) -> None:
        self.assets: dict[str, dict[str, Any]] = {k: dict(v) for k, v in assets.items()}
        self.pairs: dict[str, Pair] = {pair.key: pair for pair in pairs}
        self._by_name: dict[str, Pair] = {}
        for pair in pairs:
            for name in (pair.key, pair.altname, pair.wsname):
                if name:
                    self._by_name.setdefault(name.upper(), pair)
        # v2 symbols exactly as Kraken spells them: no legacy names, no case folding.
        self._by_ws_symbol: dict[str, Pair] = {
            pair.ws_symbol: pair for pair in pairs if pair.ws_symbol is not None
        }
        self._asset_by_name: dict[str, str] = {}
        for key, info in self.assets.items():
            self._asset_by_name.setdefault(key.upper(), key)
            self._asset_by_name.setdefault(str(info.get("altname", key)).upper(), key)

    @classmethod
    def load(cls, path: Path | None = None) -> "Markets":
        """Load the operator's file, or the bundled default list when ``path`` is None."""
        if path is None:
            text = resources.files("krakked_core.sim").joinpath("data/markets.json").read_text()
            raw = json.loads(text)
        else:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML is a superset of JSON
        return cls.from_mapping(raw)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> "Markets":
        sims: Mapping[str, Mapping[str, Any]] = raw.get("sim") or {}
        pairs = [
            Pair(key=key, info=dict(info), params=_params(key, info, sims.get(key, {})))
            for key, info in raw["pairs"].items()
        ]
        return cls(raw["assets"], pairs)

    def get(self, name: str) -> Pair:
        """The pair named by its key, altname or wsname; Kraken's error when there is none."""
        pair = self._by_name.get(name.strip().upper())
        if pair is None:
            raise SimError(UNKNOWN_PAIR)
        return pair

    def ws_pairs(self) -> list[Pair]:
        """Pairs served on WebSocket v2 (those with a wsname: dark pools have none)."""
        return [pair for pair in self.pairs.values() if pair.wsname]

    def pair_for_ws_symbol(self, symbol: str) -> str:
        """The pair key of a WebSocket v2 symbol (``BTC/USD`` → ``XXBTZUSD``).

        Only the exact v2 symbol is accepted, as on Kraken: ``XBT/USD`` (the REST wsname),
        ``btc/usd`` or ``XBTUSD`` are refused, so a client sending them fails here too.
        """
        pair = self._by_ws_symbol.get(symbol)
        if pair is None:
            raise SimError(UNKNOWN_PAIR)
        return pair.key

    def asset_key(self, name: str) -> str:
        """An asset's key from its key or altname (``XBT`` → ``XXBT``)."""
        key = self._asset_by_name.get(name.strip().upper())
        if key is None:
            raise SimError(UNKNOWN_ASSET)
        return key

    def charge_decimals(self, pair: Pair) -> int:
        """Precision of what a fill charges (cost, fee): the pair's ``cost_decimals``, never
        finer than the quote asset's ledger, so a trade's cost is exactly its ledger amount."""
        return min(pair.cost_decimals, self.asset_decimals(pair.quote))

    def asset_decimals(self, asset: str) -> int:
        """Ledger precision of an asset; staked variants (``DOT.S``) use the base asset's."""
        info = self.assets.get(asset)
        if info is None:
            base = asset.split(".", 1)[0]
            info = self.assets.get(self._asset_by_name.get(base.upper(), base), {})
        return int(info.get("decimals", 10))


def _params(key: str, info: Mapping[str, Any], sim: Mapping[str, Any]) -> PriceParams:
    low, high = _volume_bound(key, sim, "min_24h_volume"), _volume_bound(key, sim, "max_24h_volume")
    # Held hour by hour (sim/prices.py): 23 whole hours must reach the floor and 25 partial
    # ones stay under the ceiling, so a band narrower than that has no hour that fits both.
    if low is not None and high is not None and high * 23 <= low * 25:
        raise ConfigError(
            f"sim.{key}: max_24h_volume {high:g} must exceed min_24h_volume {low:g} by over 25/23"
        )
    return PriceParams(
        price=Decimal(str(sim.get("price", "100"))),
        volatility=float(sim.get("volatility", 0.8)),
        trades_per_minute=float(sim.get("trades_per_minute", 1.0)),
        trade_notional=float(sim.get("trade_notional", 100.0)),
        path_of=str(sim.get("path_of", key)),
        min_24h_volume=low,
        max_24h_volume=high,
    )


def _volume_bound(key: str, sim: Mapping[str, Any], name: str) -> float | None:
    raw = sim.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"sim.{key}.{name} must be a positive number, not {raw!r}")
    return value
