"""What a sandbox exchange is made of: seed, history, fees, starting money, files."""

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SimSettings(BaseModel):
    """Settings of one sandbox exchange; two exchanges with one seed show the same market."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    history_days: int = Field(default=30, ge=1, le=3650)
    # Kraken's rate-limit tier; the server's limiter reads it, the core only carries it.
    tier: Literal["starter", "intermediate", "pro", "none"] = "intermediate"
    spread_bps: Decimal = Field(default=Decimal("5"), gt=0, le=1000)
    maker_fee_pct: Decimal = Field(default=Decimal("0.25"), ge=0, le=10)
    taker_fee_pct: Decimal = Field(default=Decimal("0.40"), ge=0, le=10)
    # Written as deposit ledger rows when the exchange is created.
    starting_balances: dict[str, Decimal] = Field(
        default_factory=lambda: {"ZUSD": Decimal("100000")}
    )
    markets_file: Path | None = None  # YAML/JSON: {"assets": …, "pairs": …, "sim": …}
    replay_ohlc_file: Path | None = None  # Kraken OHLCVT archive CSV, e.g. XBTUSD_1.csv
    state_file: Path | None = None  # orders, trades, ledgers, balances (atomic JSON)
