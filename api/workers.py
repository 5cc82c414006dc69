"""Worker leases: a dead worker's unfinished jobs are taken over by a live one.

The rule:
- Every process that works the job queue (`wirecoder worker`, the API's embedded worker) runs
  under its own DBOS executor id, `host-pid-random` (`default_executor_id`), unless one is
  given (`wirecoder worker --worker-id`). Two processes never share one by accident.
- Such a process renews its row in `worker_heartbeat` every `worker_heartbeat_s`: its lease,
  taken before DBOS dequeues anything, so every job it runs is covered by it.
- At start and at every beat it also looks for leases older than `worker_lease_s`: workers that
  died (SIGKILL, machine gone) or stopped. It claims each with a conditional update only one
  live worker can win, asks DBOS to recover that executor's pending workflows (DBOS puts them
  back on their queue, where any worker dequeues them under the queue's limits), then deletes
  the row. A claimant that dies before deleting leaves a claim that expires in turn.
- A clean shutdown waits for its running tries (up to `worker_lease_s`; a longer one keeps the
  lease beating until the process exits), then expires its own lease, so the next live worker
  takes over at once whatever DBOS left pending (jobs between tries, say).
- A restarted `wirecoder serve` is just another worker: it takes over its predecessor's jobs
  through the lease, at start after a clean stop, within `worker_lease_s` after a kill.

So a dead worker's jobs resume within about `worker_lease_s + worker_heartbeat_s` and nothing
waits for it to come back. A try killed after storing its answer and before DBOS recorded it
runs again on recovery; `api.jobs.run_try` then returns the stored status instead of
extracting twice. Clocks: PostgreSQL's own clock stamps and judges every lease, so hosts need
not agree on the time; SQLite (one machine) uses this process's clock. A lease must outlast
any pause of a live worker, or its jobs are taken over while it still runs them.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Connection, Engine, Update, delete, func, insert, select, update

from api.models import WorkerHeartbeat, utcnow

log = structlog.get_logger(__name__)

_TABLE = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
_EXPIRED = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

RecoverExecutor = Callable[[str], int]  # recovers one executor's pending jobs; how many


def default_executor_id() -> str:
    """Unique per process, and says where the process runs."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class InFlight:
    """Counts the tries running in this process, so a clean shutdown can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout=timeout_s)


class WorkerLease:
    """This process's lease, renewed by a daemon thread that also takes over expired ones."""

    def __init__(
        self,
        engine: Engine,
        executor_id: str,
        *,
        heartbeat_s: float,
        lease_s: float,
        recover: RecoverExecutor,
    ) -> None:
        if lease_s < 2 * heartbeat_s:
            raise ValueError(
                f"WIRECODER_WORKER_LEASE_S ({lease_s}) must be at least twice "
                f"WIRECODER_WORKER_HEARTBEAT_S ({heartbeat_s}): one late beat must not "
                "make a live worker look dead"
            )
        self.engine = engine
        self.executor_id = executor_id
        self.heartbeat_s = heartbeat_s
        self.lease_s = lease_s
        self.recover = recover
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._stop = threading.Event()
        self._taking_over = threading.Event()  # set once DBOS runs: recovery goes through it
        self._registered = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """The first beat here (a broken database fails the start), then renew the lease in a
        thread. Call it before DBOS starts dequeuing: a job it runs always has a lease."""
        self._warn_if_id_in_use()
        self.beat()
        self._thread = threading.Thread(target=self._run, name="wirecoder-lease", daemon=True)
        self._thread.start()

    def start_taking_over(self) -> None:
        """Once DBOS runs: take over expired leases now (a restarted `serve` resumes its
        predecessor's jobs at once after a clean stop) and at every beat."""
        self._taking_over.set()
        try:
            self.take_over_expired()
        except Exception:  # the next beat tries again; starting must not fail on it
            log.exception("worker_lease_error", executor_id=self.executor_id)

    def stop_taking_over(self) -> None:
        """Before DBOS shuts down: recovering through it is no longer possible."""
        self._taking_over.clear()

    def stop(self, *, expire: bool) -> None:
        """Stop beating; with `expire`, hand this lease to the next live worker at once."""
        self._taking_over.clear()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, 2 * self.heartbeat_s))
        if expire:
            with self.engine.begin() as conn:
                conn.execute(self._mine().values(last_seen=_EXPIRED))

    def _run(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                self.beat()
                if self._taking_over.is_set():
                    self.take_over_expired()
            except Exception:  # a database blip must not end the lease: the next beat retries
                log.exception("worker_lease_error", executor_id=self.executor_id)

    # ---- one beat, one takeover round ----------------------------------------------------

    def beat(self) -> None:
        with self.engine.begin() as conn:
            now = _now(conn)
            renewed = conn.execute(
                self._mine().values(last_seen=now, host=self.host, pid=self.pid)
            ).rowcount
            if renewed:
                return
            if self._registered:  # judged dead and taken over: its jobs now run elsewhere
                log.warning("worker_lease_lost", executor_id=self.executor_id)
            conn.execute(delete(_TABLE).where(_TABLE.c.executor_id == self.executor_id))
            conn.execute(
                insert(_TABLE).values(
                    executor_id=self.executor_id,
                    host=self.host,
                    pid=self.pid,
                    started_at=now,
                    last_seen=now,
                )
            )
        self._registered = True

    def take_over_expired(self) -> list[str]:
        """Recover the jobs of every executor whose lease expired; the ones this worker won."""
        with self.engine.begin() as conn:
            cutoff = _now(conn) - dt.timedelta(seconds=self.lease_s)
            expired = conn.execute(
                select(_TABLE.c.executor_id).where(
                    _TABLE.c.last_seen < cutoff, _TABLE.c.executor_id != self.executor_id
                )
            ).scalars()
            candidates = list(expired)
        won = []
        for dead in candidates:
            if not self._claim(dead):
                continue  # another live worker won it, or it came back to life
            try:
                recovered = self.recover(dead)
            except Exception:  # the claim expires after worker_lease_s and is retried
                log.exception("worker_takeover_failed", dead_executor=dead)
                continue
            with self.engine.begin() as conn:
                conn.execute(
                    delete(_TABLE).where(
                        _TABLE.c.executor_id == dead, _TABLE.c.claimed_by == self.executor_id
                    )
                )
            log.info(
                "worker_taken_over",
                dead_executor=dead,
                executor_id=self.executor_id,
                workflows=recovered,
            )
            won.append(dead)
        return won

    def _claim(self, dead: str) -> bool:
        """Only one live worker's update matches: the lease must still be expired, and the
        claim renews it, so a claimant that dies leaves a claim that expires in turn."""
        with self.engine.begin() as conn:
            now = _now(conn)
            claimed = conn.execute(
                update(_TABLE)
                .where(
                    _TABLE.c.executor_id == dead,
                    _TABLE.c.last_seen < now - dt.timedelta(seconds=self.lease_s),
                )
                .values(claimed_by=self.executor_id, last_seen=now)
            ).rowcount
        return claimed == 1

    def _mine(self) -> Update:
        """This worker's own lease, unless another worker has claimed it."""
        return update(_TABLE).where(
            _TABLE.c.executor_id == self.executor_id, _TABLE.c.claimed_by.is_(None)
        )

    def _warn_if_id_in_use(self) -> None:
        with self.engine.begin() as conn:
            now = _now(conn)
            row = conn.execute(
                select(_TABLE).where(_TABLE.c.executor_id == self.executor_id)
            ).first()
        if row is None or (row.host, row.pid) == (self.host, self.pid):
            return
        if _aware(row.last_seen) > now - dt.timedelta(seconds=self.lease_s):
            log.warning(
                "worker_id_in_use",
                executor_id=self.executor_id,
                other_host=row.host,
                other_pid=row.pid,
                hint="give each worker its own --worker-id, or leave it to the default",
            )


def _now(conn: Connection) -> dt.datetime:
    """The database's clock on PostgreSQL (shared by every host), this process's on SQLite."""
    if conn.dialect.name == "sqlite":
        return utcnow()
    return _aware(conn.execute(select(func.now())).scalar_one())


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite reads back naive
