"""Extraction jobs."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api import presenters
from api.auth import CallerDep
from api.deps import IdPath, SessionDep
from api.models import ApiKeyScope, ExtractionJob
from api.openapi_examples import JOB, json_content
from schemas.api import JobPublic

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobPublic, responses={200: {"content": json_content(JOB)}})
def read_job(job_id: IdPath, session: SessionDep, caller: CallerDep) -> JobPublic:
    """A job's status and provenance: prompt, schema, model, attempts, tokens; its raw model
    output for a key with the admin scope."""
    job = session.get(ExtractionJob, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail=f"job {job_id} not found")
    return presenters.job_public(job, raw=caller.allows(ApiKeyScope.ADMIN))
