"""Liveness and what the service runs with."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import text

from api.deps import ExtractorDep, JobQueueDep, SessionDep
from api.errors import error_response
from schemas.api import Health

router = APIRouter(tags=["health"])


@router.get(
    "/health", response_model=Health, responses={503: error_response("The database is down.")}
)
def health(session: SessionDep, extractor: ExtractorDep, queue: JobQueueDep) -> Health:
    """The database answers; the prompt and model new extractions will use."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as error:
        raise HTTPException(status_code=503, detail=f"database unavailable: {error}") from error
    bind = session.get_bind()
    provenance = extractor.provenance
    return Health(
        status="ok",
        database=bind.dialect.name,
        job_queue=queue.name,
        prompt=provenance.prompt.label,
        model=provenance.model,
        base_url=provenance.base_url,
    )
