"""Prometheus metrics: what this process counted, and the job table's state at scrape time.

- Counters and histograms live in this process's `REGISTRY` and are incremented where the
  thing happens: HTTP requests (`HttpMetricsMiddleware`, by route template so ids don't
  multiply series), extraction tries (api.jobs.run_try, after storing), model calls, re-asks,
  transport retries and tokens (api.llm.calls.ModelCaller.ask, by model and stage), replayed
  answers (api.llm.recording.ReplayTransport).
- Jobs by status and the queue depth are read from the database on every scrape
  (`JobTableCollector`), so they are right whichever process queued or ran the jobs.

A `wirecoder worker` in another process counts its own extractions and model calls in its own
memory: `/metrics` shows the API process's counters (all of them in the embedded default,
where the API works the queue) plus the database-derived gauges.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from api.models import ExtractionJob, JobStatus

log = structlog.get_logger(__name__)

# The process's own registry, not prometheus_client's global one: tests build many apps in
# one process, and nothing imported from elsewhere adds series to ours by surprise.
REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "wirecoder_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "wirecoder_http_request_duration_seconds",
    "Time to answer an HTTP request (a ?wait request includes its wait), by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY,
)
EXTRACTION_SECONDS = Histogram(
    "wirecoder_extraction_duration_seconds",
    "Latency of one job-level extraction try (the extractor's latency), by the stored job "
    "status and prompt.",
    ["status", "prompt"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200),
    registry=REGISTRY,
)
MODEL_CALLS = Counter(
    "wirecoder_model_calls",
    "Model questions asked (one instructor call with its re-asks), by model, stage (the "
    "answer's schema) and outcome (ok: a valid answer; error: none).",
    ["model", "stage", "outcome"],
    registry=REGISTRY,
)
MODEL_ATTEMPTS = Counter(
    "wirecoder_model_attempts",
    "Requests instructor sent for those questions: the first and every re-ask.",
    ["model", "stage"],
    registry=REGISTRY,
)
MODEL_REASKS = Counter(
    "wirecoder_model_reasks",
    "Re-asks after a validation error (instructor's retries).",
    ["model", "stage"],
    registry=REGISTRY,
)
MODEL_TRANSPORT_RETRIES = Counter(
    "wirecoder_model_transport_retries",
    "HTTP requests sent again after a 429 / 5xx / timeout / connection error.",
    ["model", "stage"],
    registry=REGISTRY,
)
MODEL_TOKENS = Counter(
    "wirecoder_model_tokens",
    "Tokens the model reported, also for attempts that failed, by kind (prompt, completion).",
    ["model", "stage", "kind"],
    registry=REGISTRY,
)
REPLAY_REQUESTS = Counter(
    "wirecoder_replay_requests",
    "Requests the replay backend was asked, by model and result (hit: a recording answered; "
    "miss: none, the call failed).",
    ["model", "result"],
    registry=REGISTRY,
)

UNMATCHED_ROUTE = "unmatched"  # any path no route serves: one series, not one per path
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_extraction(*, status: str, prompt: str, latency_ms: int) -> None:
    EXTRACTION_SECONDS.labels(status=status, prompt=prompt).observe(latency_ms / 1000)


def count_model_call(
    *,
    model: str,
    stage: str,
    ok: bool,
    attempts: int,
    transport_retries: int,
    prompt_tokens: int,
    completion_tokens: int,
) -> None:
    MODEL_CALLS.labels(model=model, stage=stage, outcome="ok" if ok else "error").inc()
    MODEL_ATTEMPTS.labels(model=model, stage=stage).inc(attempts)
    MODEL_REASKS.labels(model=model, stage=stage).inc(max(attempts - 1, 0))
    MODEL_TRANSPORT_RETRIES.labels(model=model, stage=stage).inc(transport_retries)
    MODEL_TOKENS.labels(model=model, stage=stage, kind="prompt").inc(prompt_tokens)
    MODEL_TOKENS.labels(model=model, stage=stage, kind="completion").inc(completion_tokens)


def count_replay(*, model: str, hit: bool) -> None:
    REPLAY_REQUESTS.labels(model=model, result="hit" if hit else "miss").inc()


# ---- the job table, at scrape time ----------------------------------------------------------


class JobTableCollector:
    """Jobs by status and the queue depth (queued jobs), counted in the database when scraped.
    A database that does not answer leaves these series out of that scrape (and is logged)
    rather than failing the scrape: /health/ready is where the database's state is told."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with Session(self.engine) as session:
                rows = session.exec(
                    select(ExtractionJob.status, func.count())
                    # a reviewed version (api.review) is no model run
                    .where(col(ExtractionJob.reviewed_from_job_id).is_(None))
                    .group_by(col(ExtractionJob.status))
                ).all()
        except Exception as error:
            log.warning("metrics_job_count_failed", error=f"{type(error).__name__}: {error}")
            return
        counts = {status.value: 0 for status in JobStatus} | {s: int(n) for s, n in rows}
        jobs = GaugeMetricFamily(
            "wirecoder_jobs", "Extraction jobs in the database, by status.", labels=["status"]
        )
        for status, count in sorted(counts.items()):
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily(
            "wirecoder_queue_depth",
            "Jobs waiting on the queue (status queued), across every process.",
            value=counts[JobStatus.QUEUED.value],
        )


def app_registry(engine: Engine) -> CollectorRegistry:
    """What one app's /metrics shows: this process's counters and its database's jobs."""
    registry = CollectorRegistry()
    # A registry is itself a collector; this one does not auto-describe, so registering the
    # process's adds no name check that a second app in the process would trip over.
    registry.register(REGISTRY)
    registry.register(JobTableCollector(engine))
    return registry


# ---- HTTP requests --------------------------------------------------------------------------

Scope = dict[str, Any]
Message = dict[str, Any]


class HttpMetricsMiddleware:
    """Counts every HTTP request by method, route template and status, and times it. A pure
    ASGI middleware: the router writes the matched route into the scope, read here after the
    response; an exception that escapes counts as a 500."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = route_template(scope)
            method = scope.get("method", "")
            method = method if method in _METHODS else "other"  # any token is a method to h11
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_DURATION.labels(method=method, route=route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """`/v1/articles/{article_id}` for `/v1/articles/7`; UNMATCHED_ROUTE when no route matched."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else UNMATCHED_ROUTE
