"""Extraction jobs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api import presenters
from api.deps import SessionDep
from api.models import ExtractionJob
from schemas.api import JobPublic

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic, responses={404: {}})
def read_job(job_id: int, session: SessionDep) -> JobPublic:
    """A job's status and provenance: prompt, schema, model, attempts, tokens, raw output."""
    job = session.get(ExtractionJob, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"job {job_id} not found")
    return presenters.job_public(job)
