"""Storing a review (api.review): the reviewed version as its own ExtractionJob beside the
model's, and the Review row saying who, when and what changed — in ONE transaction, so a
reader sees the old served version or the new one with its review, never half of it."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.extraction_store import replace_rows
from api.models import Article, ExtractionJob, JobStatus, Review, utcnow
from api.review_changes import Draft
from schemas.contract import Provenance
from schemas.review import ReviewIn


def store_review(
    *,
    session: Session,
    article: Article,
    base: ExtractionJob,
    applied: Draft,
    review: ReviewIn,
    reviewer: str,
) -> tuple[Review, ExtractionJob]:
    """Write the reviewed version, make it the served one, record the review; commit."""
    assert article.id is not None and base.id is not None
    model_job = session.get_one(ExtractionJob, applied.model_job_id)
    token = uuid.uuid4().hex
    now = utcnow()
    try:
        job = ExtractionJob(
            **model_job.model_dump(include=set(Provenance.model_fields)),
            article_id=article.id,
            # unique like every job's key, and never one an extractor computes
            extraction_key=hashlib.sha256(
                f"review|{model_job.extraction_key}|{token}".encode()
            ).hexdigest(),
            workflow_id=f"review-{token}",
            status=JobStatus.SUCCEEDED,
            reviewed_from_job_id=model_job.id,
            requests=0,
            created_at=now,
            started_at=now,
            finished_at=now,
        )
        session.add(job)
        session.flush()
        replace_rows(session, job, applied.extraction())
        session.execute(
            update(ExtractionJob)
            .where(col(ExtractionJob.article_id) == article.id, col(ExtractionJob.id) != job.id)
            .values(is_current=False)
        )
        job.is_current = True
        session.add(job)
        assert job.id is not None
        row = Review(
            article_id=article.id,
            base_job_id=base.id,
            job_id=job.id,
            reviewer=reviewer,
            note=review.note,
            changes=[c.model_dump(mode="json") for c in review.changes],
            diff=applied.diff,
            lineage=applied.lineage(),
            created_at=now,
        )
        session.add(row)
        session.commit()
    except Exception:
        session.rollback()
        raise
    session.refresh(row)
    session.refresh(job)
    return row, job


def reviews_of_article(*, session: Session, article_id: int) -> list[Review]:
    """The article's reviews, oldest first (its history)."""
    return list(
        session.exec(
            select(Review).where(Review.article_id == article_id).order_by(col(Review.id))
        ).all()
    )


def review_of_job(*, session: Session, job_id: int) -> Review | None:
    return session.exec(select(Review).where(Review.job_id == job_id)).first()
