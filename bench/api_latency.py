"""Print the control plane API's latency at a steady 200 requests/s on loopback.

    .venv/bin/python bench/api_latency.py [--rate 200] [--seconds 5]

Starts a sandbox exchange, a migrated SQLite app DB in a throwaway dir, an account holding USD
and XBT bought by hand (synced into the books), fresh tickers in the live tables (as the sidecar
publishes them), and `krakked api` as its own process. Then, per endpoint (portfolio summary,
positions, risk status; open orders once the OMS is in the API), it sends ``--rate`` requests a
second for ``--seconds`` from a pool of keep-alive clients, each request timed from when it was
due (a slow answer delays the ones behind it, and that counts), and prints p50/p99 in ms.

Beside it, two baselines measured in the same run: a naive client opening a new connection
per request, and the same calls made in-process on a facade that recomputes every answer (no
shared recent answer: what each request would cost the server without ``READ_TTL_SECONDS``).
The goal is p99 ≤ 50 ms over HTTP. A script that prints figures; it asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import yaml
from pydantic import SecretStr

from krakked_core.clock import SystemClock
from krakked_core.config_loading import parse_config
from krakked_core.control.compose import build_control_plane
from krakked_core.db import make_engine, upgrade
from krakked_core.loopback import free_port
from krakked_core.market_data.live_store import LiveStore
from krakked_core.model.market import DataStatus, TickerSnapshot
from krakked_core.paths import AppPaths
from krakked_core.portfolio.compose import build_portfolio_service
from krakked_core.secrets import Credentials
from krakked_core.sim import SandboxExchange, SimSettings

ENDPOINTS = {
    "portfolio summary": "/api/portfolio/summary",
    "positions": "/api/portfolio/positions",
    "risk status": "/api/risk/status",
}
CLIENTS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxExchange(SimSettings(seed=1, history_days=1, tier="none")) as sim,
    ):
        paths = AppPaths(config_dir=Path(tmp) / "config", data_dir=Path(tmp) / "data").ensure()
        config_data = _config(sim, Path(tmp))
        config = parse_config(config_data, origin="bench")
        db = make_engine(config_data["db"]["url"])
        upgrade(db)
        credentials = Credentials(
            api_key=SecretStr(sim.api_key), api_secret=SecretStr(sim.api_secret)
        )
        _trade_and_sync(sim, config, paths, db, credentials)
        live = LiveStore(db, SystemClock(), config.market_data.ws.stale_tolerance_seconds)
        plane = build_control_plane(
            config, paths, db, credentials, clock=SystemClock(), read_ttl_seconds=0
        )
        in_process: dict[str, Callable[[], Any]] = {
            "portfolio summary": plane.portfolio_summary,
            "positions": plane.positions,
            "risk status": plane.risk_status,
        }
        paths.config_file.write_text(yaml.safe_dump(config_data))
        env = {
            **os.environ,
            "KRAKKED_CONFIG_DIR": str(paths.config_dir),
            "KRAKKED_DATA_DIR": str(paths.data_dir),
            "KRAKKED_API_KEY": sim.api_key,
            "KRAKKED_API_SECRET": sim.api_secret,
        }
        port = free_port()
        api = subprocess.Popen(
            [sys.executable, "-m", "krakked_core.cli", "api", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait(url)
            print(f"{args.rate} req/s for {args.seconds:g} s per endpoint, {CLIENTS} clients")
            print(
                f"{'endpoint':20} {'HTTP p50':>9} {'p99':>7} | {'new conn p50':>12} {'p99':>7}"
                f" | {'recompute p50':>14} {'p99':>7}"
            )
            for name, path in ENDPOINTS.items():
                _publish(live, sim)
                http = _load(url + path, args.rate, args.seconds, keep_alive=True)
                naive = _load(url + path, args.rate, args.seconds, keep_alive=False)
                direct = _direct(in_process[name], int(args.rate * args.seconds))
                print(
                    f"{name:20} {_p(http, 50):>9} {_p(http, 99):>7} | {_p(naive, 50):>12}"
                    f" {_p(naive, 99):>7} | {_p(direct, 50):>14} {_p(direct, 99):>7}"
                )
            print("open orders: not served yet (the OMS is not part of the API process)")
        finally:
            api.terminate()
            api.wait(timeout=10)
            db.dispose()


def _config(sim: SandboxExchange, root: Path) -> dict[str, Any]:
    return {
        "exchange": {"rest_url": sim.rest_url, "public_rate_per_second": 100, "tier": "pro"},
        "db": {"url": f"sqlite:///{root / 'app.db'}"},
        "market_data": {"ohlc_store": {"root_dir": str(root / "ohlc")}},
        "strategies": {
            "enabled": ["trend_v1"],
            "configs": {"trend_v1": {"type": "trend_following", "timeframes": ["1h"]}},
        },
    }


def _trade_and_sync(
    sim: SandboxExchange, config: Any, paths: AppPaths, db: Any, creds: Any
) -> None:
    sim.exchange.deposit("USD", Decimal(5000))
    sim.exchange.place_manual_order(
        pair="XBTUSD", side="buy", ordertype="market", volume=Decimal("0.02")
    )
    sim.exchange.step()
    build_portfolio_service(config, paths, db, creds, clock=SystemClock()).sync()


def _publish(live: LiveStore, sim: SandboxExchange) -> None:
    """Fresh tickers and a connected feed, as the sidecar would publish them."""
    now = datetime.now(UTC)
    ticker = requests.get(f"{sim.rest_url}/0/public/Ticker", params={"pair": "XBTUSD"}, timeout=5)
    last = Decimal(next(iter(ticker.json()["result"].values()))["c"][0])
    snapshot = TickerSnapshot(
        pair="XBTUSD",
        bid=last,
        ask=last,
        last=last,
        volume_24h=Decimal(1000),
        vwap_24h=last,
        updated_at=now,
    )
    status = DataStatus(
        rest_ok=True,
        ws_connected=True,
        last_message_at=now,
        fresh_pairs=("XBTUSD",),
        stale_pairs=(),
        subscription_errors=(),
    )
    live.publish(tickers=[snapshot], status=status)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/system/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit("krakked api did not start")


def _load(url: str, rate: int, seconds: float, *, keep_alive: bool) -> list[float]:
    """Send ``rate`` requests a second; each latency runs from when the request was due."""
    count = int(rate * seconds)
    start = time.perf_counter() + 0.1
    local = threading.local()

    def one(i: int) -> float:
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        if keep_alive:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            response = session.get(url, timeout=10)
        else:
            response = requests.get(url, timeout=10, headers={"Connection": "close"})
        response.raise_for_status()
        return time.perf_counter() - due

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(one, range(count)))


def _direct(call: Callable[[], Any], count: int) -> list[float]:
    out = []
    for _ in range(count):
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def _p(samples: list[float], pct: int) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{cuts[pct - 1] * 1000:.1f}ms" if pct < 100 else f"{max(samples) * 1000:.1f}ms"


if __name__ == "__main__":
    main()
