"""The job waiter: one poller, one query per tick for every awaited job, none when idle."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from api import crud
from api.job_waiter import JobWaiter
from api.models import ExtractionJob, JobStatus
from tests.fakes import FakeExtractor

POLL_S = 0.05


def _jobs(engine: Any, count: int) -> list[int]:
    provenance = FakeExtractor().provenance
    ids = []
    with Session(engine) as session:
        for n in range(count):
            article, _ = crud.get_or_create_article(session=session, text=f"Article {n}.")
            job, _ = crud.get_or_create_job(session=session, article=article, provenance=provenance)
            assert job.id is not None
            ids.append(job.id)
    return ids


def _finish(engine: Any, job_id: int) -> None:
    with Session(engine) as session:
        job = session.get_one(ExtractionJob, job_id)
        job.status = JobStatus.SUCCEEDED
        session.add(job)
        session.commit()


def _count_job_queries(engine: Any) -> list[str]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM extraction_job" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements


def test_one_query_per_tick_for_every_waiting_job(engine: Any) -> None:
    ids = _jobs(engine, 10)
    waiter = JobWaiter(engine, poll_s=POLL_S)
    queries = _count_job_queries(engine)

    async def scenario() -> list[bool]:
        waits = [asyncio.create_task(waiter.wait(job_id, 0.5)) for job_id in ids]
        await asyncio.sleep(0.2)
        await asyncio.to_thread(_finish, engine, ids[0])
        return list(await asyncio.gather(*waits))

    results = asyncio.run(scenario())
    assert results == [True] + [False] * 9  # the finished job woke its request; the rest timed out
    ticks = 0.5 / POLL_S
    # ten waiters polling for themselves would send ten queries a tick
    assert 1 <= len(queries) <= ticks + 3, len(queries)
    assert waiter.waiting == 0


def test_a_finished_job_wakes_every_request_waiting_on_it(engine: Any) -> None:
    (job_id,) = _jobs(engine, 1)
    waiter = JobWaiter(engine, poll_s=POLL_S)

    async def scenario() -> list[bool]:
        waits = [asyncio.create_task(waiter.wait(job_id, 5)) for _ in range(3)]
        await asyncio.sleep(0.1)
        await asyncio.to_thread(_finish, engine, job_id)
        return list(await asyncio.wait_for(asyncio.gather(*waits), 2))

    assert asyncio.run(scenario()) == [True, True, True]


def test_no_query_when_nobody_waits(engine: Any) -> None:
    (job_id,) = _jobs(engine, 1)
    waiter = JobWaiter(engine, poll_s=POLL_S)
    queries = _count_job_queries(engine)

    async def scenario() -> int:
        assert await waiter.wait(job_id, 0.1) is False
        await asyncio.sleep(POLL_S * 2)  # the poller ends its last tick
        before = len(queries)
        await asyncio.sleep(POLL_S * 5)
        return len(queries) - before

    assert asyncio.run(scenario()) == 0


def test_a_failing_poll_is_a_timeout_not_an_error(engine: Any) -> None:
    (job_id,) = _jobs(engine, 1)
    waiter = JobWaiter(engine, poll_s=POLL_S)

    def broken(_ids: Any) -> set[int]:
        raise RuntimeError("database gone")

    waiter.finished_jobs = broken  # type: ignore[method-assign]
    assert asyncio.run(waiter.wait(job_id, 0.2)) is False
