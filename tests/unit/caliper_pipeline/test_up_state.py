"""One `up` per data dir: the lock names the holder's PID; state of a dead `up` is ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from caliper_pipeline.up_state import DataDirInUseError, UpLock, UpState, read_state, write_state


def test_a_second_lock_on_the_data_dir_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    first = UpLock(tmp_path / "data")
    first.acquire()
    try:
        with pytest.raises(DataDirInUseError) as refused:
            UpLock(tmp_path / "data").acquire()
        assert f"(PID {os.getpid()})" in str(refused.value)
        assert str((tmp_path / "data").resolve()) in str(refused.value)
        # Another data dir is another pipeline.
        other = UpLock(tmp_path / "other")
        other.acquire()
        other.release()
    finally:
        first.release()
    again = UpLock(tmp_path / "data")
    again.acquire()
    again.release()


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    """No stale lock after a crash: a killed holder's lock is free at once."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from caliper_pipeline.up_state import UpLock; "
            f"UpLock(Path({str(tmp_path)!r})).acquire(); print('locked', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(DataDirInUseError, match=f"PID {holder.pid}"):
        UpLock(tmp_path).acquire()
    holder.kill()
    holder.wait()
    holder.stdout.close()
    lock = UpLock(tmp_path)
    lock.acquire()
    lock.release()


def test_state_is_read_back_and_a_dead_ups_state_is_ignored(tmp_path: Path) -> None:
    write_state(tmp_path, UpState(os.getpid(), "http://127.0.0.1:8080"))
    assert read_state(tmp_path) == UpState(os.getpid(), "http://127.0.0.1:8080")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    write_state(tmp_path, UpState(int(gone.stdout), "http://127.0.0.1:8080"))
    assert read_state(tmp_path) is None
    assert read_state(tmp_path / "nothing-here") is None
