"""``StrategyState`` (contract Phase 4 §7.2, Phase 6 §4.4): each strategy's health for the UI."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from krakked_core.config import StrategiesConfig
from krakked_core.model.market import Timeframe
from krakked_core.portfolio.models import Position
from krakked_core.strategy.decision_store import StrategyActivity
from krakked_core.strategy.sources import PortfolioReader


@dataclass(frozen=True, slots=True)
class StrategyState:
    strategy_id: str
    type: str
    enabled: bool
    userref: int | None
    timeframes: tuple[Timeframe, ...]
    max_positions: int
    current_positions: tuple[Position, ...]  # positions attributed to this strategy
    realized_pnl_usd: Decimal
    unrealized_pnl_usd: Decimal
    last_intents_at: datetime | None
    last_actions_at: datetime | None


def strategy_states(
    strategies: StrategiesConfig,
    portfolio: PortfolioReader,
    activity: Mapping[str, StrategyActivity],
) -> list[StrategyState]:
    """Every configured strategy, by id; PnL and positions as the portfolio attributes them."""
    positions = portfolio.get_positions()
    realized: dict[str, Decimal] = {}
    for trade in portfolio.get_trade_history(include_manual=True):
        realized[trade.strategy_tag] = (
            realized.get(trade.strategy_tag, Decimal(0)) + trade.pnl_quote
        )
    enabled = set(strategies.enabled)
    states = []
    for sid, config in sorted(strategies.configs.items()):
        held = tuple(p for p in positions if p.strategy_tag == sid)
        seen = activity.get(sid, StrategyActivity(None, None))
        states.append(
            StrategyState(
                strategy_id=sid,
                type=config.type,
                enabled=sid in enabled and config.enabled,
                userref=config.userref,
                timeframes=config.timeframes,
                max_positions=config.max_positions,
                current_positions=held,
                realized_pnl_usd=realized.get(sid, Decimal(0)),
                unrealized_pnl_usd=sum(
                    (p.unrealized_pnl_base or Decimal(0) for p in held), Decimal(0)
                ),
                last_intents_at=seen.last_intents_at,
                last_actions_at=seen.last_actions_at,
            )
        )
    return states
