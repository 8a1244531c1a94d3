"""Kraken's public REST methods over the sandbox's markets (results as Kraken shapes them)."""

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from krakked_core.sim.book import DEPTH_LEVELS, Level
from krakked_core.sim.errors import UNKNOWN_ASSET, SimError, invalid
from krakked_core.sim.markets import Markets, Pair
from krakked_core.sim.matching import Matcher
from krakked_core.sim.prices import NS, Candles, DayTrades, PriceModel, ns_of
from krakked_core.sim.settings import SimSettings
from krakked_core.sim.wire import int_param, names, rfc3339

OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
# Kraken returns the 720 most recent committed candles plus the running one (its real answer,
# samples/http_ohlc.json, has 721 rows).
OHLC_COMMITTED_ROWS = 720
TRADES_MAX = 1000
_PAIR_INFO_FIELDS = {
    "leverage": ("leverage_buy", "leverage_sell"),
    "fees": ("fees", "fees_maker", "fee_volume_currency"),
    "margin": ("margin_call", "margin_stop"),
}


class PublicApi:
    """Time, SystemStatus, Assets, AssetPairs, Ticker, OHLC, Trades and Depth."""

    def __init__(
        self,
        settings: SimSettings,
        markets: Markets,
        prices: PriceModel,
        matcher: Matcher,
        history_start: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._markets = markets
        self._prices = prices
        self._matcher = matcher
        self._history_start = history_start  # epoch seconds of the first minute served
        self.methods: dict[str, Callable[[Mapping[str, str], datetime], Any]] = {
            "Time": self.time,
            "SystemStatus": self.system_status,
            "Assets": self.assets,
            "AssetPairs": self.asset_pairs,
            "Ticker": self.ticker,
            "OHLC": self.ohlc,
            "Trades": self.trades,
            "Depth": self.depth,
        }

    # --- reference data ----------------------------------------------------------------------

    def time(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        return {
            "unixtime": int(now.timestamp()),
            "rfc1123": now.strftime("%a, %d %b %y %H:%M:%S +0000"),
        }

    def system_status(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        return {"status": "online", "timestamp": rfc3339(now)}

    def assets(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        aclass = params.get("aclass", "currency")
        if aclass != "currency":
            raise invalid("aclass")
        wanted = names(params.get("asset"))
        keys = (
            [self._markets.asset_key(name) for name in wanted] if wanted else self._markets.assets
        )
        if not keys:
            raise SimError(UNKNOWN_ASSET)
        return {key: dict(self._markets.assets[key]) for key in keys}

    def asset_pairs(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        info = params.get("info", "info")
        if info not in {"info", *_PAIR_INFO_FIELDS}:
            raise invalid("info")
        result: dict[str, Any] = {}
        for pair in self._pairs(params, default_all=True):
            entry = self._pair_info(pair)
            if info != "info":
                entry = {k: entry[k] for k in _PAIR_INFO_FIELDS[info] if k in entry}
            result[pair.key] = entry
        return result

    def _pair_info(self, pair: Pair) -> dict[str, Any]:
        """The AssetPairs entry, its first fee tier being what the sandbox charges."""
        entry = dict(pair.info)
        for name, pct in (
            ("fees", self._settings.taker_fee_pct),
            ("fees_maker", self._settings.maker_fee_pct),
        ):
            tiers = [list(tier) for tier in entry.get(name, [])]
            if tiers:
                tiers[0][1] = float(pct)
                entry[name] = tiers
        return entry

    # --- market data -------------------------------------------------------------------------

    def ticker(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        now_ns = _ns(now)
        return {
            pair.key: self._ticker(pair, now_ns) for pair in self._pairs(params, default_all=True)
        }

    def _ticker(self, pair: Pair, now_ns: int) -> dict[str, Any]:
        day = self.day_stats(pair, now_ns)
        top = self._matcher.book(pair, now_ns)
        decimals = max(5, pair.pair_decimals)
        last = self._prices.trades_before(pair, now_ns - 2 * 86400 * NS, now_ns, 1)
        last_units = int(last[-1].units[-1]) if last and len(last[-1].units) else 0
        price = _price_fmt(pair, decimals)
        return {
            "a": _top(top.asks[0], pair, decimals),
            "b": _top(top.bids[0], pair, decimals),
            "c": [price(day.last), pair.format_volume(last_units * pair.lot)],
            "v": [
                pair.format_volume(day.today.units * pair.lot),
                pair.format_volume(day.full.units * pair.lot),
            ],
            "p": [price(day.today.vwap), price(day.full.vwap)],
            "t": [day.today.count, day.full.count],
            "l": [price(day.today.low), price(day.full.low)],
            "h": [price(day.today.high), price(day.full.high)],
            "o": price(day.today.open),
        }

    def day_stats(self, pair: Pair, now_ns: int) -> "DayStats":
        """Today's and the last 24 hours' trading, in ticks and lots."""
        now_minute = now_ns // (60 * NS)
        rows = self._prices.candles(pair, now_minute - 1439, now_ns)
        midnight = (now_minute // 1440) * 1440
        today = rows.slice(midnight - rows.start_minute, len(rows))
        last = int(rows.close[-1])
        return DayStats(pair, last, _Window.of(today, pair, last), _Window.of(rows, pair, last))

    def ohlc(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        pair = self._one_pair(params)
        interval = int_param(params.get("interval", "1"), None)
        if interval not in OHLC_INTERVALS:
            raise invalid()
        now_ns = _ns(now)
        rows = self.ohlc_rows(pair, interval, now_ns, since=int_param(params.get("since"), None))
        running = (now_ns // (60 * NS) // interval) * interval * 60
        return {
            pair.key: [self._ohlc_row(pair, rows, i) for i in range(len(rows))],
            "last": running - interval * 60,
        }

    def ohlc_rows(
        self, pair: Pair, interval: int, now_ns: int, since: int | None = None
    ) -> Candles:
        """Candles of ``interval`` minutes: at most 720 committed plus the running one (last),
        none before history."""
        running = (now_ns // (60 * NS) // interval) * interval
        first = (self._history_start() // 60 // interval) * interval
        if since is not None:
            first = max(first, (since // (interval * 60) + 1) * interval)
        first = min(max(first, running - OHLC_COMMITTED_ROWS * interval), running)
        return self._prices.candles(pair, first, now_ns).aggregate(interval)

    def _ohlc_row(self, pair: Pair, rows: Candles, i: int) -> list[Any]:
        units = int(rows.units[i])
        return [
            (rows.start_minute + i * rows.interval) * 60,
            pair.format_price(int(rows.open[i]) * pair.tick),
            pair.format_price(int(rows.high[i]) * pair.tick),
            pair.format_price(int(rows.low[i]) * pair.tick),
            pair.format_price(int(rows.close[i]) * pair.tick),
            pair.format_price(vwap(pair, rows.pv[i], units)),
            pair.format_volume(units * pair.lot),
            int(rows.count[i]),
        ]

    def trades(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        pair = self._one_pair(params)
        count = int_param(params.get("count", str(TRADES_MAX)), "count")
        if count is None or not 1 <= count <= TRADES_MAX:
            raise invalid("count")
        now_ns, floor = _ns(now), self._history_start() * NS
        since = int_param(params.get("since"), "since")
        if since is not None and since < 10**12:
            since *= NS  # Kraken takes seconds as well as its nanosecond cursor
        if since is None:
            parts = self._prices.trades_before(pair, floor, now_ns, count)
        else:
            parts = self._prices.trades_after(pair, max(since, floor - 1), now_ns, count)
        rows = [row for part in parts for row in _trade_rows(pair, part)]
        times = [int(part.t_ns[-1]) for part in parts if len(part.t_ns)]
        cursor = times[-1] if times else (since if since is not None else now_ns)
        return {pair.key: rows, "last": str(cursor)}

    def depth(self, params: Mapping[str, str], now: datetime) -> dict[str, Any]:
        pair = self._one_pair(params)
        count = int_param(params.get("count", "100"), "count")
        if count is None or not 1 <= count <= 500:
            raise invalid("count")
        top = self._matcher.book(pair, _ns(now))
        decimals = max(5, pair.pair_decimals)
        levels = min(count, DEPTH_LEVELS)

        def side(rows: list[Level]) -> list[list[Any]]:
            return [
                [
                    pair.format_price(level.price, decimals),
                    pair.format_volume(level.volume),
                    level.timestamp,
                ]
                for level in rows[:levels]
            ]

        return {pair.key: {"asks": side(top.asks), "bids": side(top.bids)}}

    # --- arguments ---------------------------------------------------------------------------

    def _pairs(self, params: Mapping[str, str], *, default_all: bool) -> list[Pair]:
        wanted = names(params.get("pair"))
        if not wanted:
            if default_all:
                return list(self._markets.pairs.values())
            raise invalid("pair")
        return [self._markets.get(name) for name in wanted]

    def _one_pair(self, params: Mapping[str, str]) -> Pair:
        pairs = self._pairs(params, default_all=False)
        if len(pairs) != 1:
            raise invalid("pair")
        return pairs[0]


class _Window:
    """Trading of a span of minutes: open, low, high, volume, vwap, count (ticks and lots)."""

    def __init__(self, prices: tuple[int, int, int], units: int, vwap: Decimal, count: int) -> None:
        self.open, self.low, self.high = prices
        self.units, self.vwap, self.count = units, vwap, count

    @classmethod
    def of(cls, rows: Candles, pair: Pair, last: int) -> "_Window":
        traded = rows.count > 0
        if not traded.any():
            return cls((last, last, last), 0, last * pair.tick, 0)
        units = int(rows.units.sum())
        return cls(
            (int(rows.open[traded][0]), int(rows.low[traded].min()), int(rows.high[traded].max())),
            units,
            vwap(pair, sum(rows.pv[traded]), units),
            int(rows.count.sum()),
        )


class DayStats:
    """A pair's last trade price (ticks), today's window and the last 24 hours'."""

    def __init__(self, pair: Pair, last: int, today: _Window, full: _Window) -> None:
        self.pair, self.last, self.today, self.full = pair, last, today, full


def vwap(pair: Pair, pv: Any, units: int) -> Decimal:
    """Volume-weighted price on the pair's price grid (0 when nothing traded, as Kraken shows)."""
    if not units:
        return Decimal(0)
    return (Decimal(int(pv)) / units) * pair.tick


def _trade_rows(pair: Pair, part: DayTrades) -> list[list[Any]]:
    decimals = max(5, pair.pair_decimals)
    return [
        [
            pair.format_price(int(ticks) * pair.tick, decimals),
            pair.format_volume(int(units) * pair.lot),
            int(t_ns) / NS,
            "b" if buy else "s",
            "m" if market else "l",
            "",
            int(trade_id),
        ]
        for ticks, units, t_ns, buy, market, trade_id in zip(
            part.ticks, part.units, part.t_ns, part.buy, part.market, part.ids, strict=True
        )
    ]


def _top(level: Level, pair: Pair, decimals: int) -> list[str]:
    return [
        pair.format_price(level.price, decimals),
        str(int(level.volume)),
        format(level.volume.quantize(Decimal("0.001")), "f"),
    ]


def _price_fmt(pair: Pair, decimals: int) -> Callable[[Any], str]:
    def fmt(value: Any) -> str:
        price = value if isinstance(value, Decimal) else int(value) * pair.tick
        return pair.format_price(price, decimals)

    return fmt


def _ns(now: datetime) -> int:
    return ns_of(now)
