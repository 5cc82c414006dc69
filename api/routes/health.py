"""Liveness (`/health`: what the service runs with, no I/O) and readiness (`/health/ready`: the
database and the model both answer). Both answer anyone: they name no secret, and a probe
that fails says which part failed but not the error's text (that goes to the log)."""

from __future__ import annotations

import os
import time

import httpx
import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from api.config import LLMBackend, Settings
from api.deps import EngineDep, ExtractorDep, JobQueueDep, SettingsDep
from api.llm.recording import public_url
from schemas.api import Health, QueueHealth, Readiness, ReadinessCheck

log = structlog.get_logger(__name__)

router = APIRouter(tags=["health"])

MODEL_PROBE_TIMEOUT_S = 2.0  # a readiness probe must answer well within its own timeout


@router.get("/health", response_model=Health)
def health(
    settings: SettingsDep, engine: EngineDep, extractor: ExtractorDep, queue: JobQueueDep
) -> Health:
    """Liveness: the backend, model, prompt, database and queue new extractions use."""
    provenance = extractor.provenance
    replay = provenance.backend == LLMBackend.REPLAY
    return Health(
        status="ok",
        backend=provenance.backend,
        model=provenance.model,
        base_url=None if replay else provenance.base_url,
        prompt=provenance.prompt.label,
        database=engine.dialect.name,
        queue=QueueHealth(
            name=queue.name,
            concurrency=max(1, settings.queue_concurrency),
            rate_limit=f"{settings.queue_rate_limit}/{settings.queue_rate_period_s:g}s",
            worker_in_api=queue.work,
        ),
    )


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or the model is down."}},
)
def ready(settings: SettingsDep, engine: EngineDep) -> Readiness | JSONResponse:
    """Readiness: 200 when the database and the model answer, else 503 saying which did not."""
    readiness = Readiness(
        status="ready", database=database_check(engine), model=model_check(settings)
    )
    if readiness.database.ok and readiness.model.ok:
        return readiness
    readiness.status = "not ready"
    return JSONResponse(status_code=503, content=readiness.model_dump(mode="json"))


def database_check(engine: Engine) -> ReadinessCheck:
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("readiness_database_failed", error=f"{type(error).__name__}: {error}")
        return ReadinessCheck(ok=False, detail=f"did not answer ({type(error).__name__})")
    return ReadinessCheck(ok=True, detail=f"answered in {_ms(started)} ms")


def model_check(settings: Settings) -> ReadinessCheck:
    """Replay: the recordings can be read. A live backend: its server lists its models
    (`GET {base_url}/models`, the cheapest request every OpenAI-compatible server answers)."""
    if settings.llm_backend == LLMBackend.REPLAY:
        directory = settings.recordings_dir
        if not directory.is_dir() or not os.access(directory, os.R_OK | os.X_OK):
            return ReadinessCheck(ok=False, detail="replay: the recordings folder is unreadable")
        count = sum(1 for _ in directory.glob("*.json"))
        return ReadinessCheck(ok=True, detail=f"replay: {count} recordings readable")
    url = f"{settings.resolved_llm_base_url.rstrip('/')}/models"
    shown = public_url(url)
    started = time.perf_counter()
    try:
        response = httpx.get(
            url,
            headers={"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"},
            timeout=MODEL_PROBE_TIMEOUT_S,
        )
    except httpx.HTTPError as error:
        log.warning("readiness_model_failed", url=shown, error=f"{type(error).__name__}: {error}")
        return ReadinessCheck(ok=False, detail=f"{shown} did not answer ({type(error).__name__})")
    if response.status_code != 200:
        return ReadinessCheck(
            ok=False, detail=f"{shown} answered HTTP {response.status_code} in {_ms(started)} ms"
        )
    return ReadinessCheck(ok=True, detail=f"{shown} answered in {_ms(started)} ms")


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
