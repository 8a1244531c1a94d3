"""`krakked sim` as a process: announcement line, credentials, SIGTERM, state across restarts."""

import json
import os
import select
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from krakked_core.paths import AppPaths
from tests.fakes.sandbox_wire import resting_buy
from tests.sim.server.raw_kraken import RawKraken

KRAKKED = Path(sys.executable).with_name("krakked")
STARTUP_SECONDS = 60.0

pytestmark = pytest.mark.e2e


class SimProcess:
    """One `krakked sim` child and what it announced."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(KRAKKED), "sim", "--port", "0", "--history-days", "1", "--seed", "5", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.announced = self._read_announcement()

    def _read_announcement(self) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], STARTUP_SECONDS)
        if not ready:
            self.process.kill()
            pytest.fail("krakked sim printed nothing")
        line = stdout.readline()
        if not line:
            _, err = self.process.communicate(timeout=10)
            pytest.fail(f"krakked sim exited {self.process.returncode}: {err}")
        data: dict[str, Any] = json.loads(line)
        return data

    def terminate(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


@pytest.fixture
def started() -> Iterator[list[SimProcess]]:
    processes: list[SimProcess] = []
    yield processes
    for process in processes:
        process.kill()


def credentials(paths: AppPaths) -> tuple[str, str]:
    data = json.loads((paths.sim_dir / "credentials.json").read_text())
    return data["api_key"], data["api_secret"]


def test_sim_when_started_then_announces_serves_and_survives_restart(
    app_paths: AppPaths, started: list[SimProcess]
) -> None:
    first = SimProcess()
    started.append(first)
    key, secret = credentials(app_paths)
    kraken = RawKraken(first.announced["rest_url"], key, secret)
    cl_ord_id = uuid.uuid4().hex[:18]

    assert set(first.announced) == {"rest_url", "ws_url", "api_key"}
    assert first.announced["api_key"] == key
    assert first.announced["ws_url"].endswith("/v2")
    assert kraken.public("Time")["error"] == []
    txid = kraken.result("AddOrder", resting_buy(kraken, cl_ord_id=cl_ord_id))["txid"][0]
    code, out, err = first.terminate()

    assert code == 0, err
    assert (app_paths.sim_dir / "state.json").exists()
    assert secret not in out and secret not in err
    assert (app_paths.sim_dir / "credentials.json").stat().st_mode & 0o777 == 0o600

    second = SimProcess()
    started.append(second)
    again = RawKraken(second.announced["rest_url"], key, secret)
    assert second.announced["api_key"] == key  # the generated pair is reused
    assert list(again.result("OpenOrders", {"cl_ord_id": cl_ord_id})["open"]) == [txid]
    code, out, err = second.terminate()
    assert code == 0, err
    assert secret not in out and secret not in err


def test_sim_when_key_pair_given_then_used_and_not_written(
    app_paths: AppPaths, started: list[SimProcess]
) -> None:
    key, secret = "given-key", "a2V5LXNlY3JldC1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5"
    process = SimProcess(
        "--api-key", key, "--api-secret", secret, "--tier", "none",
        "--balance", "ZUSD=1234.5", "--balance", "XBT=2", "--spread-bps", "40",
    )  # fmt: skip
    started.append(process)
    kraken = RawKraken(process.announced["rest_url"], key, secret)

    balance = kraken.private("Balance")
    book = next(iter(kraken.public("Depth", pair="XBTUSD", count=1)["result"].values()))
    code, out, err = process.terminate()

    assert balance["error"] == []
    assert balance["result"] == {"ZUSD": "1234.5000", "XXBT": "2.0000000000"}
    bid, ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
    assert Decimal("0.0035") < (ask - bid) / ask < Decimal("0.0045")  # 40 bps, not the default 5
    assert code == 0
    assert not (app_paths.sim_dir / "credentials.json").exists()
    assert secret not in out + err


def test_print_credentials_when_generated_then_shows_path_and_key_never_secret(
    app_paths: AppPaths, started: list[SimProcess]
) -> None:
    process = SimProcess()
    started.append(process)
    process.terminate()
    key, secret = credentials(app_paths)

    shown = subprocess.run(
        [str(KRAKKED), "sim", "--print-credentials"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    info = json.loads(shown.stdout)
    assert info == {
        "credentials_file": str(app_paths.sim_dir / "credentials.json"),
        "api_key": key,
    }
    assert secret not in shown.stdout + shown.stderr


def test_sim_when_sigint_then_saves_and_exits_zero(
    app_paths: AppPaths, started: list[SimProcess]
) -> None:
    process = SimProcess()
    started.append(process)

    process.process.send_signal(signal.SIGINT)
    process.process.communicate(timeout=30)

    assert process.process.returncode == 0
    assert (app_paths.sim_dir / "state.json").exists()


def test_export_archive_when_run_then_headerless_ohlcvt_csvs(tmp_path: Path) -> None:
    out_dir = tmp_path / "archive"

    subprocess.run(
        [str(KRAKKED), "sim", "export-archive", str(out_dir), "--seed", "3", "--history-days", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=os.environ,
    )

    files = sorted(out_dir.glob("*.csv"))
    assert files
    first_row = files[0].read_text().splitlines()[0].split(",")
    assert len(first_row) == 7  # timestamp,open,high,low,close,volume,trades
    assert int(first_row[0]) > 0


@pytest.mark.parametrize("now", ["2025-05-01T12:00:00Z", "1746100800"])
def test_sim_when_now_given_then_its_clock_starts_there(
    now: str, app_paths: AppPaths, started: list[SimProcess]
) -> None:
    process = SimProcess("--tier", "none", "--now", now)
    started.append(process)
    kraken = RawKraken(process.announced["rest_url"], "", "")

    served = kraken.public("Time")["result"]["unixtime"]
    code, _, err = process.terminate()

    assert 0 <= served - 1_746_100_800 < 60  # 2025-05-01 12:00 UTC, then running on
    assert code == 0, err
