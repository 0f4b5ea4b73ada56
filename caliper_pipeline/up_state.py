"""One `up` per data dir, and where it runs.

A second `up` on the same data dir would share the SQLite store and, its ports taken,
quietly move to random ones: it is refused, naming the PID of the one that runs. The
lock is an `flock` on `data_dir/up.lock`, so it goes away with the process however
the process ends (no stale lock after a crash or `kill -9`). Once ready, `up` writes
`data_dir/up.json` (its PID and front door URL), which `caliper-pipeline try` reads.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import orjson

LOCK_NAME: Final = "up.lock"
STATE_NAME: Final = "up.json"


class DataDirInUseError(Exception):
    """Another running `up` holds this data dir."""


class UpLock:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.path = self.data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Not inherited by the children (O_CLOEXEC is Python's default): the lock is
        # this process's alone.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUseError(
                f"another `caliper-pipeline up` (PID {holder}) is running on the data dir "
                f"{self.data_dir} and holds its store; stop it first, or give this one its "
                "own CALIPER_DATA_DIR (and ports: CALIPER_PORT, CALIPER_KAFKA_PORT, "
                "CALIPER_ONEROSTER_DEV_PORT)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        """Unlock, leaving the file: unlinking it could let two processes lock two files."""
        fd, self._fd = self._fd, None
        if fd is not None:
            (self.data_dir / STATE_NAME).unlink(missing_ok=True)
            os.close(fd)


@dataclass(frozen=True)
class UpState:
    pid: int
    front_door: str


def write_state(data_dir: Path, state: UpState) -> None:
    path = data_dir.resolve() / STATE_NAME
    path.write_bytes(orjson.dumps({"pid": state.pid, "front_door": state.front_door}))


def read_state(data_dir: Path) -> UpState | None:
    """The running `up`'s state, or None when none runs on this data dir."""
    try:
        raw = orjson.loads((data_dir.resolve() / STATE_NAME).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    state = UpState(pid=int(raw["pid"]), front_door=str(raw["front_door"]))
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return None  # left by an `up` that was killed
    except PermissionError:
        pass  # alive, another user's
    return state
