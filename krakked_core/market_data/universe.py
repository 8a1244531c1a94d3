"""The USD spot universe: built from the exchange's listed pairs and tickers, kept in the
app DB (``universe_pairs``), so every process sees the same one.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.config import AppConfig, UniverseConfig
from krakked_core.db.market_tables import universe_pairs, universe_refreshes
from krakked_core.model.pairs import ListedPair, PairMetadata
from krakked_core.ports import MarketGateway

logger = logging.getLogger(__name__)

# --- building the USD spot universe ---------------------------------------------------------

TICKER_BATCH = 50  # pairs per Ticker call: keeps the query string short


@dataclass(frozen=True)
class UniverseBuild:
    """The result of one universe build: kept pairs, and why each other candidate was dropped."""

    pairs: list[PairMetadata]
    volume_24h_usd: dict[str, Decimal]  # canonical → v[1] × p[1], for the pairs that had a ticker
    rejected: dict[str, str]  # canonical → reason
    candidates: int  # AssetPairs entries seen

    @property
    def canonicals(self) -> list[str]:
        return [pair.canonical for pair in self.pairs]


def hard_rejection(entry: ListedPair, quote: str) -> str | None:
    """Why a pair can never be in the universe (even when included by config), or None."""
    meta = entry.metadata
    if entry.dark_pool:
        return "dark pool"
    if not entry.spot:
        return "not a spot currency pair"
    if meta.quote != quote:
        return f"quote {meta.quote}, not {quote}"
    if meta.status != "online":
        return f"status {meta.status}"
    return None


def select_universe(
    entries: Sequence[ListedPair],
    volumes: Mapping[str, Decimal],
    settings: UniverseConfig,
    quote: str,
) -> UniverseBuild:
    """Apply the contract's filters (README decisions) to parsed AssetPairs entries.

    Kept: ``quote`` pairs, ``online``, both legs spot currencies, not dark pools (``.d``),
    not in ``exclude_pairs``, and 24h USD volume at or above ``min_24h_volume_usd`` — a floor
    that ``include_pairs`` bypasses. ``exclude_pairs`` wins over ``include_pairs``; an included
    pair that fails a hard filter (not USD, not online, not spot, dark pool) stays out, with a
    warning. Pairs with leverage arrays are kept: margin is refused at order time, not here.
    """
    included, excluded = set(settings.include_pairs), set(settings.exclude_pairs)
    floor = Decimal(str(settings.min_24h_volume_usd))
    kept: dict[str, PairMetadata] = {}
    rejected: dict[str, str] = {}
    for entry in entries:
        name = entry.metadata.canonical
        reason = hard_rejection(entry, quote) or _soft_rejection(
            name, volumes, floor, included, excluded
        )
        if reason is None:
            kept.setdefault(name, entry.metadata)
        else:
            rejected[name] = reason
            if name in included and name not in excluded:
                logger.warning("included pair %s stays out: %s", name, reason)
    for name in sorted(included - kept.keys() - rejected.keys()):
        logger.warning("included pair %s is not on the exchange", name)
    pairs = [kept[name] for name in sorted(kept)]
    return UniverseBuild(
        pairs=pairs,
        volume_24h_usd={name: volumes[name] for name in kept if name in volumes},
        rejected=rejected,
        candidates=len(entries),
    )


def _soft_rejection(
    name: str,
    volumes: Mapping[str, Decimal],
    floor: Decimal,
    included: set[str],
    excluded: set[str],
) -> str | None:
    if name in excluded:
        return "excluded by config"
    if floor <= 0 or name in included:
        return None
    volume = volumes.get(name)
    if volume is None:
        return "no ticker (24h volume unknown)"
    if volume < floor:
        return f"24h volume {volume:.0f} below {floor:.0f}"
    return None


def fetch_universe(market: MarketGateway, settings: UniverseConfig, quote: str) -> UniverseBuild:
    """Fetch the listed pairs and (for the liquidity floor) their tickers; select the universe."""
    entries = market.listed_pairs()
    candidates = [entry for entry in entries if hard_rejection(entry, quote) is None]
    volumes: dict[str, Decimal] = {}
    if settings.min_24h_volume_usd > 0:
        volumes = fetch_24h_volumes(market, [entry.metadata for entry in candidates])
    return select_universe(entries, volumes, settings, quote)


def fetch_24h_volumes(market: MarketGateway, pairs: Sequence[PairMetadata]) -> dict[str, Decimal]:
    """24h quote volume (base volume × VWAP) per canonical pair, from tickers in batches."""
    volumes: dict[str, Decimal] = {}
    for start in range(0, len(pairs), TICKER_BATCH):
        for name, ticker in market.tickers(pairs[start : start + TICKER_BATCH]).items():
            volumes[name] = ticker.volume_24h * ticker.vwap_24h
    return volumes


# --- persistence ----------------------------------------------------------------------------


class UniverseRepository:
    """The universe in the app DB: every process reads the same one."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, build: UniverseBuild, refreshed_at: datetime) -> None:
        """Replace the stored universe with ``build`` in one transaction."""
        rows = [
            {
                **pair.model_dump(),
                "volume_24h_usd": build.volume_24h_usd.get(pair.canonical),
                "refreshed_at": refreshed_at,
            }
            for pair in build.pairs
        ]
        with self._engine.begin() as conn:
            conn.execute(sa.delete(universe_pairs))
            if rows:
                conn.execute(sa.insert(universe_pairs), rows)
            conn.execute(
                sa.insert(universe_refreshes).values(
                    refreshed_at=refreshed_at,
                    pair_count=len(build.pairs),
                    candidate_count=build.candidates,
                )
            )

    def load(self) -> list[PairMetadata]:
        """The stored universe, ordered by canonical name (empty when never refreshed)."""
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(universe_pairs).order_by(universe_pairs.c.canonical))
            return [_pair_from_row(row._mapping) for row in rows]

    def get(self, canonical: str) -> PairMetadata | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(universe_pairs).where(universe_pairs.c.canonical == canonical)
            ).first()
        return None if row is None else _pair_from_row(row._mapping)

    def refreshed_at(self) -> datetime | None:
        """When the universe was last built (None: never)."""
        with self._engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(universe_refreshes.c.refreshed_at))).scalar()
        return None if value is None else _as_utc(value)


def refresh_universe(
    market: MarketGateway, repository: UniverseRepository, config: AppConfig, clock: Clock
) -> UniverseBuild:
    """Re-fetch the listed pairs (+ tickers), reapply every filter, persist the result."""
    build = fetch_universe(market, config.universe, config.region.default_quote)
    repository.save(build, clock.now())
    logger.info(
        "universe refreshed: %d pairs of %d candidates",
        len(build.pairs),
        build.candidates,
        extra={"pairs": len(build.pairs), "candidates": build.candidates},
    )
    return build


_PAIR_FIELDS = tuple(PairMetadata.model_fields)


def _pair_from_row(row: sa.RowMapping) -> PairMetadata:
    return PairMetadata.model_validate({field: row[field] for field in _PAIR_FIELDS})


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
