"""`serve --workers`: the worker processes' settings, and their supervision (with stand-in
processes: the real `wirecoder worker`s run in tests/e2e/test_serve_workers.py)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from api import worker_pool
from api.config import Settings
from api.worker_pool import WorkerPool, worker_environment, worker_share

# a stand-in worker: writes its pid, exits 0 on SIGTERM unless told to ignore it
STAND_IN = """
import os, signal, sys, time
from pathlib import Path
out = Path(sys.argv[1]); mode = sys.argv[2]
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
(out / str(os.getpid())).write_text(" ".join(sys.argv[3:]))
if mode == "dies":
    sys.exit(3)
while True:
    time.sleep(0.05)
"""


def _pool(tmp_path: Path, mode: str, count: int = 2, grace_s: float = 10.0) -> WorkerPool:
    return WorkerPool(
        count,
        grace_s=grace_s,
        command=[sys.executable, "-c", STAND_IN, str(tmp_path), mode],
        check_s=0.05,
    )


def _started(tmp_path: Path) -> dict[int, str]:
    return {int(p.name): p.read_text() for p in tmp_path.iterdir()}


def _wait_for(done: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie not yet reaped is gone for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_each_worker_gets_a_share_that_together_fills_the_queue(settings: Settings) -> None:
    cases = {(16, 2): 8, (16, 3): 6, (1, 2): 1, (5, 1): 5}
    for (concurrency, workers), share in cases.items():
        assert (
            worker_share(settings.model_copy(update={"queue_concurrency": concurrency}), workers)
            == share
        )
    env = worker_environment(settings.model_copy(update={"queue_concurrency": 16}), 2)
    assert env == {
        "WIRECODER_RUN_WORKER_IN_API": "false",
        "WIRECODER_QUEUE_WORKER_CONCURRENCY": "8",
    }
    chosen = settings.model_copy(update={"queue_worker_concurrency": 3})
    assert "WIRECODER_QUEUE_WORKER_CONCURRENCY" not in worker_environment(chosen, 2)  # yours wins


def test_workers_start_with_the_parent_pid_and_stop_on_sigterm(tmp_path: Path) -> None:
    pool = _pool(tmp_path, "obedient")
    pool.start()
    try:
        _wait_for(lambda: len(_started(tmp_path)) == 2)
        assert set(_started(tmp_path).values()) == {f"--parent-pid {os.getpid()}"}
        pids = pool.pids
    finally:
        began = time.monotonic()
        pool.stop()
    assert time.monotonic() - began < 5  # they stopped on SIGTERM, not at the grace's end
    assert not any(_alive(pid) for pid in pids)


def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    pool = _pool(tmp_path, "stubborn", count=1, grace_s=0.5)
    pool.start()
    _wait_for(lambda: len(_started(tmp_path)) == 1)
    (pid,) = pool.pids
    pool.stop()
    assert not _alive(pid)


def test_a_worker_that_exits_is_restarted_after_a_growing_pause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_pool, "RESTART_PAUSE_S", (0.1, 0.4))
    pool = _pool(tmp_path, "dies", count=1)
    pool.start()
    try:
        _wait_for(lambda: len(_started(tmp_path)) >= 4)
    finally:
        pool.stop()
    (slot,) = pool._slots
    assert slot.pause_s == 0.4  # doubled at each exit, up to the cap
