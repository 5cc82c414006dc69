"""Waiting for jobs without holding a thread (`?wait`).

A waiting request awaits a future on the event loop. One poller task per process serves every
waiting request: each tick it reads, in one query run in a worker thread, which of the awaited
jobs have finished, and wakes their requests. It stops when nobody waits and starts again with
the next waiter, so an idle service runs no query at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import structlog
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.models import ExtractionJob, JobStatus

log = structlog.get_logger(__name__)

FINISHED = [s.value for s in JobStatus if s.finished]


class JobWaiter:
    """`await waiter.wait(job_id, timeout_s)`: True once the job finished, False at timeout."""

    def __init__(self, engine: Engine, *, poll_s: float = 0.025) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self._waiting: dict[int, set[asyncio.Future[None]]] = {}
        self._poller: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """Requests waiting now."""
        return sum(len(futures) for futures in self._waiting.values())

    async def wait(self, job_id: int, timeout_s: float) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.setdefault(job_id, set()).add(future)
        self._ensure_poller(loop)
        try:
            await asyncio.wait_for(asyncio.shield(future), timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            futures = self._waiting.get(job_id)
            if futures is not None:
                futures.discard(future)
                if not futures:
                    del self._waiting[job_id]

    def _ensure_poller(self, loop: asyncio.AbstractEventLoop) -> None:
        # a poller left on another loop (a test client's, since closed) serves nobody here
        if self._poller is None or self._poller.done() or self._poller.get_loop() is not loop:
            self._poller = loop.create_task(self._poll(), name="wirecoder-job-waiter")

    async def _poll(self) -> None:
        while self._waiting:
            try:
                finished = await asyncio.to_thread(self.finished_jobs, list(self._waiting))
            except Exception:  # the database hiccuped: waiters time out with a 202 at worst
                log.exception("job_wait_poll_failed", jobs=len(self._waiting))
                finished = set()
            for job_id in finished:
                for future in self._waiting.pop(job_id, ()):
                    if not future.done():
                        future.set_result(None)
            await asyncio.sleep(self.poll_s)

    def finished_jobs(self, job_ids: Iterable[int]) -> set[int]:
        """Of `job_ids`, those that finished: one query (blocking; the poller's thread)."""
        query = select(ExtractionJob.id).where(
            col(ExtractionJob.id).in_(list(job_ids)), col(ExtractionJob.status).in_(FINISHED)
        )
        with Session(self.engine) as session:
            return {job_id for job_id in session.exec(query).all() if job_id is not None}
