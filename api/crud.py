"""Reads and small writes: articles, jobs and the browse queries. Keyword-only functions.

Writing an extraction's rows lives in `api.extraction_store` (one transaction per extraction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import CursorResult, delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from api.models import (
    Article,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    JobStatus,
    Quote,
    Review,
    extraction_key,
    utcnow,
)
from schemas.contract import Provenance
from schemas.text import content_hash, normalize_article_text

T = TypeVar("T", bound=SQLModel)


# ---- articles -------------------------------------------------------------------------------


def get_or_create_article(
    *,
    session: Session,
    text: str,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
    published_at: dt.date | None = None,
    dateline: str | None = None,
) -> tuple[Article, bool]:
    """The article with this normalised text, created if new. Returns (article, created)."""
    normalized = normalize_article_text(text)
    digest = content_hash(normalized)
    existing = get_article_by_hash(session=session, digest=digest)
    if existing is not None:
        return existing, False
    article = Article(
        content_hash=digest,
        text=normalized,
        title=title,
        url=url,
        source=source,
        published_at=published_at,
        dateline=dateline,
    )
    return _insert_unless_raced(
        session, article, lambda: get_article_by_hash(session=session, digest=digest)
    )


def _insert_unless_raced(session: Session, row: T, find: Callable[[], T | None]) -> tuple[T, bool]:
    """Insert `row` under a unique key; if someone else inserted the same key meanwhile, theirs
    wins. Returns (row, created)."""
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = find()
        if existing is None:
            raise
        return existing, False
    session.refresh(row)
    return row, True


def get_article_by_hash(*, session: Session, digest: str) -> Article | None:
    return session.exec(select(Article).where(Article.content_hash == digest)).first()


def metadata_differences(*, article: Article, sent: dict[str, Any]) -> list[str]:
    """The fields of `sent` (not None: a field not sent is no difference) whose value
    differs from the article's."""
    return [k for k, v in sent.items() if v is not None and getattr(article, k) != v]


def update_article(*, session: Session, article: Article, changes: dict[str, Any]) -> list[str]:
    """Set the article's metadata fields in `changes` (committed); the names of those whose
    value changed."""
    changed = [k for k, v in changes.items() if getattr(article, k) != v]
    for name in changed:
        setattr(article, name, changes[name])
    if changed:
        session.add(article)
        session.commit()
        session.refresh(article)
    return changed


def delete_article(*, session: Session, article_id: int) -> bool:
    """Delete the article; the database's ON DELETE CASCADE takes its jobs, extractions and
    reviews with it in the same statement (canonical actors are shared and stay). False when
    there was no such article."""
    deleted: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(Article).where(col(Article.id) == article_id)
    )
    session.commit()
    return bool(deleted.rowcount)


def list_articles(*, session: Session, limit: int, offset: int) -> tuple[list[Article], int]:
    total = session.exec(select(func.count()).select_from(Article)).one()
    rows = session.exec(
        select(Article).order_by(col(Article.id).desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


# ---- jobs -----------------------------------------------------------------------------------


def get_or_create_job(
    *, session: Session, article: Article, provenance: Provenance
) -> tuple[ExtractionJob, bool]:
    """The job for this article under this prompt/schema/model/base_url, created if new."""
    assert article.id is not None
    key = extraction_key(article.content_hash, provenance)
    existing = get_job_by_key(session=session, key=key)
    if existing is not None:
        return existing, False
    job = ExtractionJob(
        **provenance.model_dump(include=set(Provenance.model_fields)),
        article_id=article.id,
        extraction_key=key,
        workflow_id=key,
        status=JobStatus.QUEUED,
    )
    return _insert_unless_raced(session, job, lambda: get_job_by_key(session=session, key=key))


def get_job_by_key(*, session: Session, key: str) -> ExtractionJob | None:
    return session.exec(select(ExtractionJob).where(ExtractionJob.extraction_key == key)).first()


def requeue_job(*, session: Session, job: ExtractionJob) -> ExtractionJob:
    """Queue a finished job again under a fresh workflow id; counters describe the new run."""
    job.requests += 1
    job.workflow_id = f"{job.extraction_key}.{job.requests}"
    job.status = JobStatus.QUEUED
    job.job_attempts = 0
    job.attempts = job.prompt_tokens = job.completion_tokens = job.latency_ms = 0
    job.error = None
    job.raw_outputs = []
    job.started_at = job.finished_at = None
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def mark_job_running(*, session: Session, job_id: int) -> ExtractionJob:
    job = session.get_one(ExtractionJob, job_id)
    job.status = JobStatus.RUNNING
    job.job_attempts += 1
    job.started_at = utcnow()
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def jobs_of_article(*, session: Session, article_id: int) -> list[ExtractionJob]:
    """The article's model jobs, newest first (reviewed versions are no model runs)."""
    return list(
        session.exec(
            select(ExtractionJob)
            .where(
                ExtractionJob.article_id == article_id,
                col(ExtractionJob.reviewed_from_job_id).is_(None),
            )
            .order_by(col(ExtractionJob.id).desc())
        ).all()
    )


def latest_model_job(*, session: Session, article_id: int) -> ExtractionJob | None:
    """The model's latest succeeded extraction of the article (served unless reviewed)."""
    return session.exec(
        select(ExtractionJob)
        .where(
            ExtractionJob.article_id == article_id,
            ExtractionJob.status == JobStatus.SUCCEEDED,
            col(ExtractionJob.reviewed_from_job_id).is_(None),
        )
        .order_by(col(ExtractionJob.finished_at).desc(), col(ExtractionJob.id).desc())
    ).first()


def current_job(*, session: Session, article_id: int) -> ExtractionJob | None:
    return session.exec(
        select(ExtractionJob).where(
            ExtractionJob.article_id == article_id, col(ExtractionJob.is_current)
        )
    ).first()


@dataclass
class ExtractionRows:
    job: ExtractionJob
    actors: list[ArticleActor]
    events: list[Event]
    event_actors: dict[int, list[EventActor]]
    quotes: list[Quote]
    canonical: dict[int, CanonicalActor]
    review: Review | None = None  # the review that made it, for a reviewed version


def extraction_rows(*, session: Session, job: ExtractionJob) -> ExtractionRows:
    actors = _by_position(session, ArticleActor, ArticleActor.job_id == job.id)
    events = _by_position(session, Event, Event.job_id == job.id)
    quotes = _by_position(session, Quote, Quote.job_id == job.id)
    event_actors = event_actors_of(session=session, event_ids=[e.id for e in events if e.id])
    canonical_ids = {a.canonical_actor_id for a in actors if a.canonical_actor_id}
    return ExtractionRows(
        job=job,
        actors=actors,
        events=events,
        event_actors=event_actors,
        quotes=quotes,
        canonical=canonical_actors_by_id(session=session, ids=canonical_ids),
        review=session.exec(select(Review).where(Review.job_id == job.id)).first()
        if job.reviewed_from_job_id is not None
        else None,
    )


def _by_position(session: Session, model: type[T], where: Any) -> list[T]:
    return list(session.exec(select(model).where(where).order_by(model.position)).all())  # type: ignore[attr-defined]


def article_rows(
    *, session: Session, article: Article, version: str | None = None
) -> tuple[ExtractionRows | None, list[ExtractionJob]]:
    """An article's served extraction (if any; `version="model"`: the model's latest) and
    all its model jobs, newest first."""
    assert article.id is not None
    if version == "model":
        current = latest_model_job(session=session, article_id=article.id)
    else:
        current = current_job(session=session, article_id=article.id)
    rows = extraction_rows(session=session, job=current) if current else None
    return rows, jobs_of_article(session=session, article_id=article.id)


def event_rows(
    *, session: Session, events: Sequence[Event]
) -> tuple[dict[int, list[EventActor]], dict[int, CanonicalActor]]:
    """The sources and targets of `events`, and the canonical actors they name."""
    actors = event_actors_of(session=session, event_ids=[e.id for e in events if e.id])
    ids = {a.canonical_actor_id for rows in actors.values() for a in rows if a.canonical_actor_id}
    return actors, canonical_actors_by_id(session=session, ids=ids)


def quote_canonicals(*, session: Session, quotes: Sequence[Quote]) -> dict[int, CanonicalActor]:
    ids = {q.canonical_actor_id for q in quotes if q.canonical_actor_id}
    return canonical_actors_by_id(session=session, ids=ids)


def event_actors_of(*, session: Session, event_ids: Sequence[int]) -> dict[int, list[EventActor]]:
    grouped: dict[int, list[EventActor]] = {i: [] for i in event_ids}
    if not event_ids:
        return grouped
    rows = session.exec(
        select(EventActor)
        .where(col(EventActor.event_id).in_(event_ids))
        .order_by(col(EventActor.id))
    ).all()
    for row in rows:
        grouped[row.event_id].append(row)
    return grouped


def canonical_actors_by_id(*, session: Session, ids: set[int]) -> dict[int, CanonicalActor]:
    if not ids:
        return {}
    rows = session.exec(select(CanonicalActor).where(col(CanonicalActor.id).in_(ids))).all()
    return {r.id: r for r in rows if r.id is not None}
