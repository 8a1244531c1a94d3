"""Gauges read at scrape time: the system's state from the app DB, the sidecar's WS counters.

Reading at scrape time (not pushing from where things change) means any process serving
``/metrics`` — the sidecar, the API — shows the same state, with no process keeping its own copy.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from krakked_core.clock import Clock
from krakked_core.control_state import ControlStateStore
from krakked_core.errors import ConfigError
from krakked_core.market_data.live_store import LiveStore
from krakked_core.metrics import Metrics
from krakked_core.model.live import WsCounters
from krakked_core.portfolio.store.snapshots import SnapshotStore
from krakked_core.risk.context import daily_drawdown_pct
from krakked_core.strategy.decision_store import DecisionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemState:
    """What the state gauges show; None: not known yet (that gauge is left out)."""

    stale_pairs: int
    kill_switch_active: bool
    drift_flag: bool | None = None
    equity_usd: Decimal | None = None
    daily_realized_pnl_usd: Decimal | None = None
    daily_drawdown_pct: Decimal | None = None


def read_system_state(engine: Engine, clock: Clock, live: LiveStore) -> SystemState:
    """The state now: live data, manual and risk kill switches, the latest snapshots."""
    now = clock.now()
    manual = ControlStateStore(engine, clock).kill_switch().active
    recent = DecisionStore(engine).recent(limit=1)
    automatic = bool(recent and recent[0].kill_switch_active)
    snapshots = SnapshotStore(engine).get_snapshots(since=now - timedelta(days=2))
    base = SystemState(
        stale_pairs=len(live.data_status().stale_pairs), kill_switch_active=manual or automatic
    )
    if not snapshots:
        return base
    latest = snapshots[0]  # newest first
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    before_today = next((s for s in snapshots if s.timestamp < midnight), snapshots[-1])
    history = [(s.timestamp, s.equity_base) for s in snapshots]
    return SystemState(
        stale_pairs=base.stale_pairs,
        kill_switch_active=base.kill_switch_active,
        drift_flag=latest.drift_flag,
        equity_usd=latest.equity_base,
        daily_realized_pnl_usd=latest.realized_pnl_base_total
        - before_today.realized_pnl_base_total,
        daily_drawdown_pct=daily_drawdown_pct(latest.equity_base, history, now),
    )


_GAUGES = (
    ("stale_pairs", "krakked_market_data_stale_pairs", "Pairs whose live data is stale."),
    ("kill_switch_active", "krakked_kill_switch_active", "1 while a kill switch is on."),
    ("drift_flag", "krakked_portfolio_drift", "1 while books and exchange disagree."),
    ("equity_usd", "krakked_equity_usd", "Equity of the latest complete snapshot (USD)."),
    ("daily_realized_pnl_usd", "krakked_daily_realized_pnl_usd", "Realized PnL today (UTC)."),
    ("daily_drawdown_pct", "krakked_daily_drawdown_pct", "Below the 24 h equity peak (%)."),
)


class StateCollector(Collector):
    """The state gauges, read through ``read`` at each scrape."""

    def __init__(self, read: Callable[[], SystemState]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        state = self._read()
        for attribute, name, help_text in _GAUGES:
            value = getattr(state, attribute)
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=float(value))


class WsCollector(Collector):
    """The sidecar's WebSocket session counters (kept by the session itself)."""

    def __init__(self, counters: Callable[[], WsCounters]) -> None:
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        counters = self._counters()
        yield CounterMetricFamily(
            "krakked_ws_reconnects", "WebSocket reconnects.", value=counters.reconnects
        )
        yield CounterMetricFamily(
            "krakked_ws_connection_errors",
            "WebSocket connection failures.",
            value=counters.connection_errors,
        )


class MetricsServer:
    """``/metrics`` over HTTP on its own thread (the sidecar's; the API mounts ``asgi_app``)."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        try:
            self._server, self._thread = start_http_server(port, host, registry=metrics.registry)
        except OSError as exc:
            raise ConfigError(
                f"cannot serve metrics on {host}:{port} ({exc}): set ops.sidecar_metrics_port "
                "to a free port"
            ) from exc
        self.port: int = self._server.server_port
        log.info("metrics at http://%s:%d/metrics", host, self.port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "MetricsServer":
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()
