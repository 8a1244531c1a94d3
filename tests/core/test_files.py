"""krakked_core.files: owner-only atomic writes, and the per-path thread + file lock."""

import os
import stat
import threading
from pathlib import Path

import filelock
import pytest

from krakked_core.files import locked, write_private_file


def test_write_new_file_then_content_and_mode_0600_and_no_temp_left(tmp_path: Path) -> None:
    path = tmp_path / "state"

    write_private_file(path, b"hello")

    assert path.read_bytes() == b"hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state"]


def test_write_over_world_readable_file_then_replaced_and_0600(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_bytes(b"old")
    path.chmod(0o644)

    write_private_file(path, b"new")

    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_into_missing_directory_then_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state"

    write_private_file(path, b"x")

    assert path.read_bytes() == b"x"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_write_fails_then_old_file_intact_and_temp_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "state"
    write_private_file(path, b"old")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match="No space"):
        write_private_file(path, b"new")
    monkeypatch.undo()

    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state"]


def test_lock_held_then_other_thread_waits_until_released(tmp_path: Path) -> None:
    lock_path = tmp_path / "state.lock"
    entered = threading.Event()

    def other() -> None:
        with locked(lock_path):
            entered.set()

    with locked(lock_path):
        thread = threading.Thread(target=other)
        thread.start()
        assert not entered.wait(timeout=0.2)
    thread.join(timeout=10)

    assert entered.is_set()


def test_lock_released_then_reusable_many_times(tmp_path: Path) -> None:
    lock_path = tmp_path / "state.lock"
    for _ in range(3):
        with locked(lock_path):
            pass

    with locked(lock_path, timeout_seconds=0):  # free again: no waiting needed
        assert stat.S_IMODE(lock_path.stat().st_mode) == 0o600


def test_lock_held_too_long_by_a_thread_then_timeout_error_and_block_not_entered(
    tmp_path: Path,
) -> None:
    lock_path = tmp_path / "state.lock"
    outcome: list[object] = []

    def other() -> None:
        try:
            with locked(lock_path, timeout_seconds=0.05, timeout_error=LookupError):
                outcome.append("entered")
        except LookupError as exc:
            outcome.append(exc)

    with locked(lock_path):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=10)

    assert len(outcome) == 1 and isinstance(outcome[0], LookupError)
    assert outcome[0].args == (lock_path,)


def test_file_lock_held_elsewhere_then_timeout_error(tmp_path: Path) -> None:
    lock_path = tmp_path / "state.lock"
    # Another holder of the same lock file, as another process would be (flock is per open file).
    elsewhere = filelock.FileLock(lock_path)
    elsewhere.acquire()
    try:
        with (
            pytest.raises(TimeoutError, match=r"state\.lock"),
            locked(lock_path, timeout_seconds=0.05),
        ):
            pytest.fail("entered a lock held elsewhere")
    finally:
        elsewhere.release()


def test_lock_error_inside_block_then_released(tmp_path: Path) -> None:
    lock_path = tmp_path / "state.lock"

    with pytest.raises(RuntimeError), locked(lock_path):
        raise RuntimeError("boom")

    with locked(lock_path, timeout_seconds=0):
        pass
