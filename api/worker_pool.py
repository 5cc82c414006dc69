"""`wirecoder serve --workers N`: N `wirecoder worker` processes beside the API, supervised.

One interpreter runs one extraction's Python at a time (the GIL), so the embedded default
tops out at one core. With workers the API only enqueues and N processes share the DBOS queue
(SQLite on one machine, or PostgreSQL): the queue's concurrency and rate limit hold across all
of them, and each runs at most its share of the concurrency, so every one gets work.

- `prepare_shared_databases` migrates the app database and DBOS's system database once, here,
  before the processes start: N processes migrating one SQLite file at once would race.
- `WorkerPool` starts the workers, restarts one that exits on its own (after a pause that grows
  while they keep dying, so a broken setting does not spin), and stops them on `stop()`:
  SIGTERM, then SIGKILL past the grace period. A worker stops by itself when this process
  is gone (`--parent-pid`), so a killed `serve` leaves none behind. A worker killed mid-job
  is taken over through its lease (api/workers.py) like any other.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog

from api.config import Settings

log = structlog.get_logger(__name__)

WORKER_COMMAND = (sys.executable, "-c", "from api.cli import app; app()", "worker")
RESTART_PAUSE_S = (1.0, 30.0)  # first pause before a restart, and the longest
STAYED_UP_S = 30.0  # a worker that ran this long resets the pause


def worker_share(settings: Settings, workers: int) -> int:
    """Jobs one of `workers` processes runs at once: the queue's concurrency split evenly
    (rounded up, so together they can always fill it)."""
    return math.ceil(max(1, settings.queue_concurrency) / max(1, workers))


def worker_environment(settings: Settings, workers: int) -> dict[str, str]:
    """What `serve --workers` sets in its own environment, so the API and every worker read
    the same queue settings (the latest process to register the queue sets it for all)."""
    env = {"WIRECODER_RUN_WORKER_IN_API": "false"}
    if settings.queue_worker_concurrency is None:
        env["WIRECODER_QUEUE_WORKER_CONCURRENCY"] = str(worker_share(settings, workers))
    return env


def prepare_shared_databases(settings: Settings) -> None:
    """Migrate both databases once, before several processes open them."""
    from dbos import DBOS

    from api.db import make_engine, normalize_database_url, upgrade_database

    upgrade_database(settings.resolved_database_url)
    url = normalize_database_url(settings.resolved_dbos_database_url)
    make_engine(url).dispose()  # creates the SQLite file's folder
    DBOS.migrate(url)


@dataclass
class _Slot:
    number: int
    pause_s: float
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restart_at: float | None = None


@dataclass
class WorkerPool:
    """`count` worker processes; `command` and `env` replace the real ones in tests."""

    count: int
    grace_s: float = 30.0  # a stopping worker finishes its running tries first
    command: Sequence[str] = WORKER_COMMAND
    env: dict[str, str] | None = None
    check_s: float = 0.5
    clock: Callable[[], float] = time.monotonic
    _slots: list[_Slot] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [s.proc.pid for s in self._slots if s.proc is not None]

    def start(self) -> None:
        with self._lock:
            self._slots = [_Slot(n, pause_s=RESTART_PAUSE_S[0]) for n in range(1, self.count + 1)]
            for slot in self._slots:
                self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="wirecoder-workers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """SIGTERM every worker, wait up to `grace_s` for them all, SIGKILL the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            procs = [s.proc for s in self._slots if s.proc is not None and s.proc.poll() is None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        deadline = self.clock() + self.grace_s
        for proc in procs:
            try:
                proc.wait(timeout=max(0.0, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                log.warning("worker_killed", pid=proc.pid, reason="did not stop in time")
                proc.kill()
                proc.wait()
        log.info("workers_stopped", workers=len(procs))

    def _spawn(self, slot: _Slot) -> None:
        args = [*self.command, "--parent-pid", str(os.getpid())]
        slot.proc = subprocess.Popen(args, env=self.env)  # its logs go to our stderr
        slot.started = self.clock()
        slot.restart_at = None
        log.info("worker_started", worker=slot.number, pid=slot.proc.pid)

    def _watch(self) -> None:
        while not self._stop.wait(self.check_s):
            with self._lock:
                if self._stop.is_set():
                    return
                for slot in self._slots:
                    self._check(slot)

    def _check(self, slot: _Slot) -> None:
        now = self.clock()
        if slot.restart_at is not None:
            if now >= slot.restart_at:
                self._spawn(slot)
            return
        if slot.proc is None or slot.proc.poll() is None:
            return
        if now - slot.started >= STAYED_UP_S:
            slot.pause_s = RESTART_PAUSE_S[0]
        log.error(
            "worker_exited",
            worker=slot.number,
            pid=slot.proc.pid,
            returncode=slot.proc.returncode,
            restart_in_s=slot.pause_s,
        )
        slot.restart_at = now + slot.pause_s
        slot.pause_s = min(slot.pause_s * 2, RESTART_PAUSE_S[1])
