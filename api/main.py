"""The FastAPI app: `create_app(settings)`; the lifespan builds the engine, the extractor and
the job queue once and hangs them on app.state. Nothing heavy happens at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.config import Settings, get_settings
from api.jobs import DBOSJobQueue, JobQueue
from api.routes import actors, articles, events, health, jobs, quotes, views
from api.service import build_job_context
from schemas.contract import ExtractorLike

log = structlog.get_logger(__name__)

JobQueueFactory = Any  # Callable[[JobContext], JobQueue]


def create_app(
    settings: Settings | None = None,
    *,
    extractor: ExtractorLike | None = None,
    job_queue_factory: JobQueueFactory | None = None,
) -> FastAPI:
    """The service. `extractor` and `job_queue_factory` replace the real ones (tests);
    by default the lifespan builds api.llm's Extractor and the DBOS queue."""
    settings = settings or get_settings()

    def start(app: FastAPI) -> None:
        ctx = build_job_context(settings, extractor=extractor)
        queue: JobQueue
        if job_queue_factory is not None:
            queue = job_queue_factory(ctx)
        else:
            dbos_queue = DBOSJobQueue(ctx, work=settings.run_worker_in_api)
            dbos_queue.start()
            queue = dbos_queue
        app.state.engine = ctx.engine
        app.state.extractor = ctx.extractor
        app.state.job_context = ctx
        app.state.job_queue = queue
        log.info("wirecoder_started", database=ctx.engine.url.get_backend_name(), queue=queue.name)

    def stop(app: FastAPI) -> None:
        app.state.job_queue.shutdown()
        app.state.engine.dispose()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # blocking work (migrations, DBOS launch) runs off the event loop
        await asyncio.to_thread(start, app)
        try:
            yield
        finally:
            await asyncio.to_thread(stop, app)

    app = FastAPI(
        title="wirecoder",
        summary="News articles in, source-grounded events, actors and quotes out.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_exception_handler(RequestValidationError, _validation_error)
    for module in (articles, jobs, events, actors, quotes, health, views):
        app.include_router(module.router)
    return app


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    """422 with pydantic's list of what was wrong; a body that is not JSON at all is a 400."""
    assert isinstance(error, RequestValidationError)
    details = error.errors()
    if any(d.get("type") == "json_invalid" for d in details):
        where = next(d for d in details if d.get("type") == "json_invalid")
        reason = (where.get("ctx") or {}).get("error", "")
        return JSONResponse(
            status_code=400,
            content={"detail": f"malformed JSON body: {reason}".strip().rstrip(":")},
        )
    return JSONResponse(status_code=422, content={"detail": _jsonable(details)})


def _jsonable(details: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(details)
