"""What the control plane's queries return beyond the services' own types."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from krakked_core.model.decisions import ExecutionPlan
from krakked_core.portfolio.models import EquityView, PnLSummary, PortfolioSnapshot
from krakked_core.strategy.decision_store import DecisionRecord


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    equity: EquityView
    pnl: PnLSummary
    last_snapshot: PortfolioSnapshot | None


@dataclass(frozen=True, slots=True)
class ExposureShare:
    """One asset's or strategy's value and share of equity (None: not known, see AssetExposure)."""

    key: str
    value_usd: Decimal | None
    pct_of_equity: Decimal | None


@dataclass(frozen=True, slots=True)
class Exposure:
    by_asset: tuple[ExposureShare, ...]
    by_strategy: tuple[ExposureShare, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """One stored cycle: its header and its plan (intents and actions with their reasons)."""

    record: DecisionRecord
    plan: ExecutionPlan


@dataclass(frozen=True, slots=True)
class SectionSettings:
    """A config section in force (files + overlay, as JSON values) and which keys the overlay
    sets."""

    values: Mapping[str, Any]
    overridden: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Health:
    components: tuple[ComponentHealth, ...]
    mode: str
    version: str
    schema_revisions: tuple[str, ...]
    started_at: datetime

    def component(self, name: str) -> ComponentHealth:
        return next(c for c in self.components if c.name == name)
