"""Worker leases (api/workers.py) on SQLite and PostgreSQL, and the guard that keeps a recovered
try from extracting twice (api.jobs.answered_status). The multi-process takeover with DBOS is
tested in tests/e2e/test_worker_takeover.py."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from structlog.testing import capture_logs

from api import crud
from api.jobs import InlineJobQueue, JobContext, answered_status, run_try
from api.models import ExtractionJob, JobStatus, WorkerHeartbeat
from api.service import Rerun, submit_article
from api.workers import InFlight, WorkerLease, default_executor_id
from schemas.api import ArticleIn

HEARTBEAT_S = 0.05
LEASE_S = 0.3


class Recovered:
    """Stands in for DBOS's recovery: which executors' jobs a lease asked to recover."""

    def __init__(self, fail: bool = False) -> None:
        self.executors: list[str] = []
        self.fail = fail

    def __call__(self, executor_id: str) -> int:
        if self.fail:
            raise RuntimeError("the system database is down")
        self.executors.append(executor_id)
        return 3


def _lease(engine: Engine, executor_id: str, recover: Recovered | None = None) -> WorkerLease:
    return WorkerLease(
        engine,
        executor_id,
        heartbeat_s=HEARTBEAT_S,
        lease_s=LEASE_S,
        recover=recover or Recovered(),
    )


def _rows(engine: Engine) -> dict[str, WorkerHeartbeat]:
    with Session(engine) as session:
        return {r.executor_id: r for r in session.exec(select(WorkerHeartbeat)).all()}


def test_default_executor_ids_are_unique_and_say_where() -> None:
    ids = {default_executor_id() for _ in range(50)}
    assert len(ids) == 50
    host, pid, _random = next(iter(ids)).rsplit("-", 2)
    assert host == socket.gethostname() and pid.isdigit()


def test_a_lease_shorter_than_two_beats_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="WIRECODER_WORKER_LEASE_S"):
        WorkerLease(engine, "w", heartbeat_s=2.0, lease_s=3.0, recover=Recovered())


def test_a_dead_workers_lease_is_taken_over_by_exactly_one_live_worker(engine: Engine) -> None:
    dead = _lease(engine, "dead")
    dead.beat()  # then nothing: killed
    recovered_by = {name: Recovered() for name in ("live-1", "live-2", "live-3")}
    live = {name: _lease(engine, name, recovered_by[name]) for name in recovered_by}
    for lease in live.values():
        lease.beat()

    assert all(lease.take_over_expired() == [] for lease in live.values())  # not expired yet
    time.sleep(LEASE_S + 0.05)
    for lease in live.values():
        lease.beat()
    barrier = threading.Barrier(len(live))
    won: dict[str, list[str]] = {}

    def race(name: str) -> None:
        barrier.wait()
        won[name] = live[name].take_over_expired()

    threads = [threading.Thread(target=race, args=(name,)) for name in live]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [name for name, taken in won.items() if taken == ["dead"]]
    assert len(winners) == 1, won
    assert [r.executors for r in recovered_by.values()].count(["dead"]) == 1
    assert set(_rows(engine)) == set(live)  # the dead one's row is gone, the live ones stay


def test_a_started_lease_takes_over_at_once_and_then_at_every_beat(engine: Engine) -> None:
    _lease(engine, "died-before").beat()
    time.sleep(LEASE_S + 0.05)
    recover = Recovered()
    live = _lease(engine, "live", recover)
    live.start()
    try:
        assert recover.executors == []  # DBOS is not running yet
        live.start_taking_over()
        assert recover.executors == ["died-before"]
        _lease(engine, "died-later").beat()
        deadline = time.monotonic() + 5 * LEASE_S
        while recover.executors != ["died-before", "died-later"]:
            assert time.monotonic() < deadline, recover.executors
            time.sleep(HEARTBEAT_S)
    finally:
        live.stop(expire=False)
    assert set(_rows(engine)) == {"live"}


def test_a_live_worker_is_never_taken_over(engine: Engine) -> None:
    recover = Recovered()
    alive = _lease(engine, "alive")
    alive.start()
    other = _lease(engine, "other", recover)
    try:
        deadline = time.monotonic() + 3 * LEASE_S
        while time.monotonic() < deadline:
            other.beat()
            assert other.take_over_expired() == []
            time.sleep(HEARTBEAT_S)
    finally:
        alive.stop(expire=False)
    assert recover.executors == []


def test_a_clean_stop_hands_its_lease_on_at_once(engine: Engine) -> None:
    stopping = _lease(engine, "stopping")
    stopping.start()
    stopping.stop(expire=True)
    recover = Recovered()
    assert _lease(engine, "next", recover).take_over_expired() == ["stopping"]
    assert recover.executors == ["stopping"]


def test_a_failed_recovery_keeps_the_claim_which_expires_and_is_retried(engine: Engine) -> None:
    _lease(engine, "dead").beat()
    time.sleep(LEASE_S + 0.05)
    assert _lease(engine, "unlucky", Recovered(fail=True)).take_over_expired() == []
    assert _rows(engine)["dead"].claimed_by == "unlucky"
    recover = Recovered()
    second = _lease(engine, "second", recover)
    assert second.take_over_expired() == []  # the claim renewed the lease
    time.sleep(LEASE_S + 0.05)
    assert second.take_over_expired() == ["dead"]
    assert "dead" not in _rows(engine)


def test_a_worker_taken_over_while_alive_says_so_and_registers_again(engine: Engine) -> None:
    stalled = _lease(engine, "stalled")
    stalled.beat()
    time.sleep(LEASE_S + 0.05)
    assert _lease(engine, "live", Recovered()).take_over_expired() == ["stalled"]
    with capture_logs() as logs:
        stalled.beat()  # it was only paused
    assert [e["event"] for e in logs] == ["worker_lease_lost"]
    assert _rows(engine)["stalled"].claimed_by is None


def test_in_flight_waits_for_running_tries() -> None:
    in_flight = InFlight()
    assert in_flight.wait_idle(0)
    release = threading.Event()

    def a_try() -> None:
        with in_flight.track():
            release.wait()

    thread = threading.Thread(target=a_try)
    thread.start()
    time.sleep(0.05)
    assert not in_flight.wait_idle(0.05)
    release.set()
    assert in_flight.wait_idle(5)
    thread.join()


# ---- a recovered try does not extract twice -------------------------------------------------


def _finished_job(
    settings: Any, engine: Engine, fake_extractor: Any, seed: Any
) -> tuple[JobContext, ExtractionJob]:
    ctx = JobContext(engine=engine, extractor=fake_extractor, settings=settings)
    with Session(engine) as session:
        job = submit_article(
            session=session,
            queue=InlineJobQueue(ctx, sleep=lambda _s: None),
            provenance=fake_extractor.provenance,
            article_in=ArticleIn(text=seed.text, dateline=seed.dateline),
            rerun=Rerun.NEVER,
        ).job
    assert job.status == JobStatus.SUCCEEDED and len(fake_extractor.calls) == 1
    return ctx, job


def test_a_try_of_an_answered_request_returns_the_stored_status(
    settings: Any, engine: Engine, fake_extractor: Any, seed: Any
) -> None:
    ctx, job = _finished_job(settings, engine, fake_extractor, seed)
    assert job.id is not None
    # killed after storing its answer, before DBOS recorded the step: recovery runs it again
    assert run_try(ctx, job.id, final=True, workflow_id=job.workflow_id) == JobStatus.SUCCEEDED
    assert len(fake_extractor.calls) == 1
    with Session(engine) as session:
        stored = session.get_one(ExtractionJob, job.id)
        assert (stored.job_attempts, stored.attempts) == (1, 1)


def test_an_old_request_recovered_after_a_rerun_does_not_extract(
    settings: Any, engine: Engine, fake_extractor: Any, seed: Any
) -> None:
    ctx, job = _finished_job(settings, engine, fake_extractor, seed)
    assert job.id is not None
    first_workflow = job.workflow_id
    with Session(engine) as session:
        rerun = crud.requeue_job(session=session, job=session.get_one(ExtractionJob, job.id))
    assert answered_status(engine, job.id, first_workflow) == JobStatus.QUEUED
    assert answered_status(engine, job.id, rerun.workflow_id) is None  # the re-run does run
    run_try(ctx, job.id, final=True, workflow_id=first_workflow)
    assert len(fake_extractor.calls) == 1
    run_try(ctx, job.id, final=True, workflow_id=rerun.workflow_id)
    assert len(fake_extractor.calls) == 2
