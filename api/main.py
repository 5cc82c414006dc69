"""The FastAPI app: `create_app(settings)`; the lifespan builds the engine, the extractor and
the job queue once and hangs them on app.state. Nothing heavy happens at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import view_auth
from api.auth import RerunLimiter, authorize, refuse_unprotected_start
from api.config import Settings, get_settings
from api.docs import add_docs
from api.errors import ERROR_RESPONSES, method_not_allowed, validation_error
from api.job_waiter import JobWaiter
from api.jobs import DBOSJobQueue, JobQueue
from api.logs import REQUEST_ID_HEADER, RequestIdMiddleware, configure_logging, settings_secrets
from api.metrics import HttpMetricsMiddleware, app_registry
from api.routes import actors, articles, events, health, jobs, metrics, quotes, reviews, views
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
    if not structlog.is_configured():  # run by uvicorn directly: still no secret in its logs
        configure_logging(secrets=settings_secrets(settings), log_format=settings.log_format)

    def start(app: FastAPI) -> None:
        ctx = build_job_context(settings, extractor=extractor)
        refuse_unprotected_start(settings, ctx.engine)
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
        app.state.job_waiter = JobWaiter(ctx.engine)
        app.state.metrics_registry = app_registry(ctx.engine)
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
        responses=ERROR_RESPONSES,
        docs_url=None,  # add_docs serves the docs pages with local assets, not a CDN's
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.rerun_limiter = RerunLimiter(settings.rerun_rate_limit)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(405, method_not_allowed)
    if settings.cors_origins:  # off unless origins are configured
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
        )
    # outermost: every line logged while a request is served, and its metrics, see its id
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    add_docs(app)
    app.include_router(health.router)  # liveness and readiness answer anyone
    # open where anonymous callers are (the loopback default), else a `read` key
    app.include_router(metrics.router, dependencies=[Depends(authorize)])
    for module in (articles, jobs, events, actors, quotes, reviews):
        app.include_router(module.router, dependencies=[Depends(authorize)])
    # the HTML pages check their caller themselves (api.view_auth: the login cookie too, and
    # the login page instead of a JSON 401); their scripts and styles are the app's own
    app.include_router(views.router)
    app.include_router(view_auth.router)
    app.mount("/static", StaticFiles(directory=str(view_auth.STATIC_DIR)), name="static")
    return app
