"""Extraction jobs: one job = one extraction of one article; run on a DBOS Transact queue.

- `run_job` is the job itself: up to `Settings.job_max_attempts` job-level tries; a try that
  ends in a transient failure is retried, an answer (succeeded or invalid) ends the job, and
  so does a permanent failure (`ExtractionOutcome.retryable` false: a replay with no
  recording for the request). Every try's tokens, attempts and raw output are added to the
  stored job.
- `DBOSJobQueue` runs `run_job`'s tries as durable DBOS steps of a workflow whose id is the
  job's workflow id (the extraction key; `key.N` for the N-th re-run), so enqueueing the same
  job twice runs it once, the queue's concurrency and rate limit hold across every process that
  shares the DBOS system database, and a dead worker's jobs are taken over by a live one
  through its lease (api/workers.py); a try whose answer is already stored is not run again.
- `InlineJobQueue` runs jobs in the calling thread: the CLI's `extract`/`ingest`, and tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from sqlalchemy import Engine
from sqlmodel import Session

from api import crud, metrics
from api.config import Settings
from api.extraction_store import record_storage_failure, store_outcome
from api.models import Article, ExtractionJob, JobStatus, extraction_key
from api.workers import InFlight, WorkerLease, default_executor_id
from schemas.contract import (
    ArticleInput,
    ExtractionOutcome,
    ExtractorLike,
    OutcomeStatus,
    Provenance,
)

log = structlog.get_logger(__name__)

QUEUE_NAME = "wirecoder_extractions"
WORKFLOW_VERSION = "extract_article-1"  # DBOS application version (see DBOSJobQueue.start)
DBOS_APP_NAME = "wirecoder"
RETRY_BACKOFF_S = 2.0  # before job-level try n+1: RETRY_BACKOFF_S * n


@dataclass
class JobContext:
    """Everything a job needs, built once per process."""

    engine: Engine
    extractor: ExtractorLike
    settings: Settings


def run_try(
    ctx: JobContext, job_id: int, *, final: bool, workflow_id: str | None = None
) -> JobStatus:
    """One job-level try: call the extractor once, store what came back. A try whose request
    already has its answer returns the stored status (`answered_status`)."""
    answered = answered_status(ctx.engine, job_id, workflow_id)
    if answered is not None:
        log.info("extraction_try_skipped", job_id=job_id, status=answered, reason="answered")
        return answered
    with Session(ctx.engine) as session:
        job = crud.mark_job_running(session=session, job_id=job_id)
        article = session.get_one(Article, job.article_id)
        article_in = ArticleInput.of(article)
        mismatch = _provenance_mismatch(job, article, ctx.extractor.provenance)
    started = time.monotonic()
    if mismatch:
        outcome = _failed(ctx, mismatch, started, retryable=False)
    else:
        try:
            outcome = ctx.extractor.extract(article_in)
        except Exception as error:  # a bug or an unexpected error: stored, never lost
            log.exception("extractor_raised", job_id=job_id)
            outcome = _failed(ctx, f"{type(error).__name__}: {error}", started)
    final = final or not outcome.retryable  # a permanent failure ends the job: no retry
    try:
        job = store_outcome(ctx.engine, job_id=job_id, outcome=outcome, final=final)
    except Exception as error:
        if _deleted(ctx.engine, job_id):  # its article was deleted while the model answered
            return JobStatus.FAILED
        log.exception("storing_extraction_failed", job_id=job_id)
        with Session(ctx.engine) as session:
            job = record_storage_failure(
                session=session,
                job_id=job_id,
                outcome=outcome,
                error=f"storing the extraction failed: {type(error).__name__}: {error}",
            )
    metrics.observe_extraction(
        status=job.status, prompt=outcome.provenance.prompt.label, latency_ms=outcome.latency_ms
    )
    log.info(
        "extraction_try",
        job_id=job_id,
        status=job.status,
        attempts=outcome.attempts,
        tokens=outcome.usage.total_tokens,
        latency_ms=outcome.latency_ms,
    )
    return JobStatus(job.status)


def answered_status(engine: Engine, job_id: int, workflow_id: str | None) -> JobStatus | None:
    """The stored status if the request this try belongs to was already answered, else None.

    A worker killed after storing a try's answer and before DBOS recorded the step runs that
    step again on recovery: it must not extract twice. Jobs are queued unfinished, so a
    finished one was answered; a job whose workflow id moved on to a re-run (which needs a
    finished job) answered this older request too, and the re-run is its own workflow's."""
    with Session(engine) as session:
        job = session.get(ExtractionJob, job_id)
    if job is None:  # its article was deleted (DELETE /v1/articles/{id}): nothing to do
        log.info("extraction_try_skipped", job_id=job_id, reason="deleted")
        return JobStatus.FAILED
    status = JobStatus(job.status)
    if status.finished or (workflow_id is not None and job.workflow_id != workflow_id):
        return status
    return None


def _deleted(engine: Engine, job_id: int) -> bool:
    """The job row is gone with its article: a try ends quietly and stores nothing (the
    FAILED it returns only ends the retry loop; there is no job left to mark)."""
    with Session(engine) as session:
        gone = session.get(ExtractionJob, job_id) is None
    if gone:
        log.info("extraction_discarded", job_id=job_id, reason="deleted")
    return gone


def _failed(
    ctx: JobContext, error: str, started: float, *, retryable: bool = True
) -> ExtractionOutcome:
    return ExtractionOutcome(
        status=OutcomeStatus.FAILED,
        error=error,
        retryable=retryable,
        latency_ms=int((time.monotonic() - started) * 1000),
        provenance=ctx.extractor.provenance,
    )


def _provenance_mismatch(job: ExtractionJob, article: Article, provenance: Provenance) -> str:
    if extraction_key(article.content_hash, provenance) == job.extraction_key:
        return ""
    return (
        f"this worker extracts with prompt {provenance.prompt.label}, model "
        f"{provenance.model} at {provenance.base_url}; the job was queued for prompt "
        f"{job.prompt.full}, model {job.model} at {job.base_url}: run it on a worker with "
        "those settings, or re-run the article here"
    )


def max_tries(settings: Settings) -> int:
    return max(1, settings.job_max_attempts)


def run_job(
    ctx: JobContext, job_id: int, *, sleep: Callable[[float], None] = time.sleep
) -> JobStatus:
    """Every job-level try of one job, in this thread."""
    return run_tries(
        max_tries(ctx.settings), lambda _n, final: run_try(ctx, job_id, final=final), sleep
    )


def run_tries(
    tries: int, attempt: Callable[[int, bool], str], sleep: Callable[[float], None]
) -> JobStatus:
    """The job-level retry policy: `attempt(number, final)` until a try ends the job (an
    answer, a permanent failure, or the last try's failure: `run_try` stores each as a
    finished status), with a growing pause between tries (in a thread or as DBOS steps and
    durable sleeps)."""
    status = JobStatus.QUEUED
    for number in range(1, tries + 1):
        status = JobStatus(attempt(number, number == tries))
        if status.finished:
            break
        sleep(RETRY_BACKOFF_S * number)
    return status


# ---- queues ---------------------------------------------------------------------------------


class JobQueue(Protocol):
    name: str
    work: bool  # this process runs the jobs (else other processes do)

    def enqueue(self, job: ExtractionJob) -> None: ...

    def shutdown(self) -> None: ...


@dataclass
class InlineJobQueue:
    """Runs each job when it is enqueued, in the caller's thread (the CLI's `extract` and
    `ingest`, tests). With `defer=True` jobs wait until `run_pending()` (tests use that to see
    a job while it is still queued); `sleep` is the pause between job-level tries."""

    ctx: JobContext
    defer: bool = False
    sleep: Callable[[float], None] = time.sleep
    name: str = "inline"
    work: bool = True
    pending: list[int] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def enqueue(self, job: ExtractionJob) -> None:
        assert job.id is not None
        if job.workflow_id in self._seen:  # same id: same run, like DBOS
            return
        self._seen.add(job.workflow_id)
        self.pending.append(job.id)
        if not self.defer:
            self.run_pending()

    def run_pending(self) -> None:
        while self.pending:
            run_job(self.ctx, self.pending.pop(0), sleep=self.sleep)

    def shutdown(self) -> None:
        self.pending.clear()


_dbos_context: JobContext | None = None  # read by the workflow; DBOS is one per process
_tries_in_flight = InFlight()  # a clean shutdown waits for these before handing its lease on
_workflow_lock = threading.Lock()
_workflow: Callable[..., str] | None = None


def _extraction_workflow() -> Callable[..., str]:
    """Registered with DBOS on first use, so importing this module stays light."""
    global _workflow
    with _workflow_lock:
        if _workflow is not None:
            return _workflow
        from dbos import DBOS

        def extraction_try(job_id: int, final: bool, workflow_id: str | None) -> str:
            assert _dbos_context is not None, "DBOSJobQueue.start() sets the job context"
            with _tries_in_flight.track():
                return run_try(_dbos_context, job_id, final=final, workflow_id=workflow_id).value

        @DBOS.workflow(name="wirecoder.extract_article")
        def extract_article(job_id: int, request_id: str | None = None) -> str:
            # request_id: of the HTTP request that queued the job, so the job's log lines in
            # whichever worker runs it carry it (None: queued by the CLI, or before it existed)
            assert _dbos_context is not None, "DBOSJobQueue.start() sets the job context"

            def attempt(number: int, final: bool) -> str:
                name = f"extraction_try_{number}"
                return DBOS.run_step(
                    {"name": name}, extraction_try, job_id, final, DBOS.workflow_id
                )

            bound = {"request_id": request_id} if request_id else {}
            with structlog.contextvars.bound_contextvars(job_id=job_id, **bound):
                return run_tries(max_tries(_dbos_context.settings), attempt, DBOS.sleep).value

        _workflow = extract_article
        return _workflow


def queue_options(settings: Settings) -> dict[str, Any]:
    """The DBOS queue's limits from the settings. The polling interval is how long a free slot
    can wait for a queued job: DBOS dequeues by polling, there is no wake-up on enqueue."""
    concurrency = max(1, settings.queue_concurrency)
    options: dict[str, Any] = {
        "global_concurrency": concurrency,
        "limiter": {"limit": settings.queue_rate_limit, "period": settings.queue_rate_period_s},
        "polling_interval_sec": settings.queue_poll_s,
    }
    if settings.queue_worker_concurrency is not None:  # DBOS refuses a share above the whole
        options["worker_concurrency"] = min(settings.queue_worker_concurrency, concurrency)
    return options


class DBOSJobQueue:
    """The DBOS Transact queue. `work=True` makes this process dequeue and run jobs (the API
    in the embedded default, `wirecoder worker`) and hold a worker lease (api/workers.py:
    a dead worker's jobs are taken over by a live one); `work=False` only enqueues. Every
    process runs under its own executor id unless `executor_id` is given."""

    name = "dbos"

    def __init__(self, ctx: JobContext, *, work: bool, executor_id: str | None = None) -> None:
        self.ctx = ctx
        self.work = work
        self.executor_id = executor_id or default_executor_id()
        self._queue: Any = None
        self._lease: WorkerLease | None = None

    def start(self) -> None:
        global _dbos_context
        from dbos import DBOS, DBOSConfig

        from api.db import make_engine, normalize_database_url

        settings = self.ctx.settings
        _dbos_context = self.ctx
        _extraction_workflow()
        url = normalize_database_url(settings.resolved_dbos_database_url)
        make_engine(url).dispose()  # creates the SQLite file's folder
        config: DBOSConfig = {
            "name": DBOS_APP_NAME,
            "system_database_url": url,
            "log_level": "WARNING",
            "executor_id": self.executor_id,
            # DBOS only dequeues and recovers workflows of its own application version, which
            # by default hashes the workflow's source: a release that touched this module
            # would strand every job queued before it. The workflow's steps keep their names
            # and order across releases, so one fixed version is safe; bump it only if not.
            "application_version": WORKFLOW_VERSION,
        }
        if self.work:
            self._lease = WorkerLease(
                self.ctx.engine,
                self.executor_id,
                heartbeat_s=settings.worker_heartbeat_s,
                lease_s=settings.worker_lease_s,
                recover=_recover_executor,
            )
            self._lease.start()  # before DBOS.launch() dequeues: a job it runs has a lease
        try:
            DBOS(config=config)
            if not self.work:
                DBOS.listen_queues([])
            DBOS.launch()
            self._queue = DBOS.register_queue(
                QUEUE_NAME,
                **queue_options(settings),
                on_conflict="always_update",  # the settings of the latest process to start win
            )
        except BaseException:
            if self._lease is not None:
                self._lease.stop(expire=True)
            raise
        if self._lease is not None:
            self._lease.start_taking_over()
        log.info(
            "job_queue_started",
            queue=QUEUE_NAME,
            executor_id=self.executor_id,
            working=self.work,
            concurrency=settings.queue_concurrency,
            worker_concurrency=settings.queue_worker_concurrency,
            poll_s=settings.queue_poll_s,
            rate_limit=f"{settings.queue_rate_limit}/{settings.queue_rate_period_s}s",
        )

    def enqueue(self, job: ExtractionJob) -> None:
        from dbos import SetWorkflowID

        assert job.id is not None and self._queue is not None
        # the request being served, if any (api.logs.RequestIdMiddleware): a workflow argument,
        # so DBOS's dedup by workflow id is unchanged and the first request's id stays
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        with SetWorkflowID(job.workflow_id):
            self._queue.enqueue(_extraction_workflow(), job.id, request_id)

    def shutdown(self) -> None:
        global _dbos_context
        from dbos import DBOS

        if self._lease is not None:
            self._lease.stop_taking_over()
        DBOS.destroy(workflow_completion_timeout_sec=0)  # dequeues no more; running tries go on
        if self._lease is not None:
            # Handing the lease on while a try still runs would let another worker start it
            # again; a try that outlasts the wait keeps the lease beating until this process
            # exits, and then it expires.
            if _tries_in_flight.wait_idle(self.ctx.settings.worker_lease_s):
                self._lease.stop(expire=True)
            else:
                log.warning("worker_stopped_with_tries_running", executor_id=self.executor_id)
            self._lease = None
        _dbos_context = None


def _recover_executor(executor_id: str) -> int:
    """DBOS puts the executor's pending workflows back on their queue (a dequeue then admits
    exactly one runner); it has no public call for this in dbos 3.4."""
    from dbos import DBOS

    return len(DBOS._recover_pending_workflows([executor_id]))
