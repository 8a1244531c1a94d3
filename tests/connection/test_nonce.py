import itertools
import multiprocessing
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from krakked_core.clock import ManualClock
from krakked_core.connection.nonce import FileNonceSource
from krakked_core.connection.signing import api_sign
from tests.connection.conftest import TEST_SECRET
from tests.connection.nonce_worker import URL_PATH, sign_with_nonces

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
START_MS = int(START.timestamp() * 1000)


def test_fresh_file_then_seeded_from_clock_in_ms(tmp_path: Path) -> None:
    source = FileNonceSource(tmp_path / "nonce.state", ManualClock(START))

    assert source.next_nonce() == START_MS


def test_calls_in_same_millisecond_then_strictly_increasing(tmp_path: Path) -> None:
    source = FileNonceSource(tmp_path / "nonce.state", ManualClock(START))

    nonces = [source.next_nonce() for _ in range(5)]

    assert nonces == [START_MS + i for i in range(5)]


def test_clock_moves_ahead_of_counter_then_clock_wins(tmp_path: Path) -> None:
    clock = ManualClock(START)
    source = FileNonceSource(tmp_path / "nonce.state", clock)
    source.next_nonce()

    clock.advance(2.5)

    assert source.next_nonce() == START_MS + 2500


def test_file_ahead_of_clock_then_counter_continues(tmp_path: Path) -> None:
    path = tmp_path / "nonce.state"
    path.write_text(str(START_MS + 10_000))

    assert FileNonceSource(path, ManualClock(START)).next_nonce() == START_MS + 10_001


def test_file_wiped_then_next_nonce_still_above_earlier_ones(tmp_path: Path) -> None:
    clock = ManualClock(START)
    path = tmp_path / "nonce.state"
    source = FileNonceSource(path, clock)
    before = source.next_nonce()
    path.unlink()
    clock.advance(0.001)

    assert source.next_nonce() > before


def test_file_damaged_then_seeded_from_clock(tmp_path: Path) -> None:
    path = tmp_path / "nonce.state"
    path.write_text("garbage\x00")

    assert FileNonceSource(path, ManualClock(START)).next_nonce() == START_MS


def test_two_sources_on_one_file_then_share_the_counter(tmp_path: Path) -> None:
    clock = ManualClock(START)
    first = FileNonceSource(tmp_path / "nonce.state", clock)
    second = FileNonceSource(tmp_path / "nonce.state", clock)

    assert [first.next_nonce(), second.next_nonce(), first.next_nonce()] == [
        START_MS,
        START_MS + 1,
        START_MS + 2,
    ]


def test_many_threads_then_no_repeats_and_each_thread_increasing(tmp_path: Path) -> None:
    source = FileNonceSource(tmp_path / "nonce.state")
    results: dict[int, list[int]] = {}

    def work(index: int) -> None:
        results[index] = [source.next_nonce() for _ in range(100)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [n for seq in results.values() for n in seq]
    assert len(set(everything)) == 800
    assert all(seq == sorted(seq) and len(set(seq)) == len(seq) for seq in results.values())


def test_nonce_held_through_issue_then_other_thread_waits(tmp_path: Path) -> None:
    source = FileNonceSource(tmp_path / "nonce.state")
    got: list[int] = []
    with source.issue() as held:
        other = threading.Thread(target=lambda: got.append(source.next_nonce()))
        other.start()
        other.join(timeout=0.2)
        assert other.is_alive()  # blocked while the "request" is in flight
    other.join(timeout=10)

    assert got and got[0] > held


@pytest.mark.e2e
def test_four_processes_signing_concurrently_then_nonces_rise_in_lock_order_across_all(
    tmp_path: Path,
) -> None:
    path, log = tmp_path / "nonce.state", tmp_path / "signed.log"
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    args = (str(path), str(log), TEST_SECRET, 200, start)
    workers = [ctx.Process(target=sign_with_nonces, args=args) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]

    # One line per signed request, in the order the nonce lock was held across all processes.
    records = [line.split(" ") for line in log.read_text().splitlines()]
    nonces = [int(nonce) for _, nonce, _, _ in records]
    assert len(nonces) == 800 and len(set(nonces)) == 800
    assert Counter(pid for pid, _, _, _ in records) == {str(w.pid): 200 for w in workers}
    assert all(a < b for a, b in itertools.pairwise(nonces))
    for _, nonce, body, sign in records:
        assert body.startswith(f"nonce={nonce}&")
        assert sign == api_sign(url_path=URL_PATH, nonce=nonce, postdata=body, secret=TEST_SECRET)
    assert int(path.read_text()) == nonces[-1]
