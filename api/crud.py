"""Reads and small writes: articles, jobs and the browse queries. Keyword-only functions.

Writing an extraction's rows lives in `api.extraction_store` (one transaction per extraction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from api.llm.outcome import ArticleInput, Provenance
from api.models import (
    ActorAlias,
    Article,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    JobStatus,
    Quote,
    extraction_key,
    utcnow,
)
from schemas.text import content_hash, name_key, normalize_article_text

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


def article_input(article: Article) -> ArticleInput:
    return ArticleInput(
        text=article.text,
        title=article.title,
        published_at=article.published_at,
        dateline=article.dateline,
    )


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
        article_id=article.id,
        extraction_key=key,
        workflow_id=key,
        status=JobStatus.QUEUED,
        prompt_id=provenance.prompt_id,
        prompt_version=provenance.prompt_version,
        prompt_sha256=provenance.prompt_sha256,
        schema_sha256=provenance.schema_sha256,
        model=provenance.model,
        base_url=provenance.base_url,
        backend=provenance.backend,
        mode=provenance.mode,
        weights_sha256=provenance.weights_sha256,
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
    return list(
        session.exec(
            select(ExtractionJob)
            .where(ExtractionJob.article_id == article_id)
            .order_by(col(ExtractionJob.id).desc())
        ).all()
    )


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
    )


def _by_position(session: Session, model: type[T], where: Any) -> list[T]:
    return list(session.exec(select(model).where(where).order_by(model.position)).all())  # type: ignore[attr-defined]


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


# ---- browse ---------------------------------------------------------------------------------


def canonical_ids_for_name(*, session: Session, name: str) -> list[int]:
    """Canonical actors a name refers to: by any registered alias or the canonical name."""
    key = name_key(name)
    by_alias = select(ActorAlias.canonical_actor_id).where(ActorAlias.alias_key == key)
    by_name = select(CanonicalActor.id).where(CanonicalActor.name_key == key)
    ids = set(session.exec(by_alias).all()) | set(session.exec(by_name).all())
    return sorted(i for i in ids if i is not None)


@dataclass
class EventFilters:
    event_type: str | None = None
    mode: str | None = None
    status: str | None = None
    actor: str | None = None
    role: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    location: str | None = None
    article_id: int | None = None


def _current_jobs() -> Any:
    return select(ExtractionJob.id).where(col(ExtractionJob.is_current))


def _event_conditions(session: Session, filters: EventFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Event.job_id).in_(_current_jobs())]
    if filters.event_type:
        conditions.append(col(Event.event_type) == filters.event_type.upper())
    if filters.mode:
        conditions.append(col(Event.mode) == filters.mode.lower())
    if filters.status:
        conditions.append(col(Event.status) == filters.status.lower())
    if filters.since:
        conditions.append(col(Event.date) >= filters.since)
    if filters.until:
        conditions.append(col(Event.date) <= filters.until)
    if filters.article_id is not None:
        conditions.append(col(Event.article_id) == filters.article_id)
    if filters.location:
        pattern = f"%{filters.location.lower()}%"
        conditions.append(
            or_(
                func.lower(col(Event.place)).like(pattern),
                func.lower(col(Event.admin_area)).like(pattern),
                func.lower(col(Event.country)).like(pattern),
            )
        )
    if filters.actor:
        ids = canonical_ids_for_name(session=session, name=filters.actor)
        involved = select(EventActor.event_id).where(col(EventActor.canonical_actor_id).in_(ids))
        if filters.role:
            involved = involved.where(EventActor.role == filters.role)
        conditions.append(col(Event.id).in_(involved))
    return conditions


def list_events(
    *, session: Session, filters: EventFilters, limit: int | None, offset: int = 0
) -> tuple[list[Event], int]:
    conditions = _event_conditions(session, filters)
    total = session.exec(select(func.count()).select_from(Event).where(*conditions)).one()
    query = (
        select(Event)
        .where(*conditions)
        .order_by(col(Event.date).desc(), col(Event.article_id).desc(), col(Event.position))
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all()), total


def list_quotes(
    *,
    session: Session,
    speaker: str | None,
    article_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Quote], int]:
    conditions: list[ColumnElement[bool]] = [col(Quote.job_id).in_(_current_jobs())]
    if article_id is not None:
        conditions.append(col(Quote.article_id) == article_id)
    if speaker:
        ids = canonical_ids_for_name(session=session, name=speaker)
        conditions.append(
            or_(
                col(Quote.canonical_actor_id).in_(ids),
                func.lower(col(Quote.speaker)) == speaker.lower(),
            )
        )
    total = session.exec(select(func.count()).select_from(Quote).where(*conditions)).one()
    rows = session.exec(
        select(Quote)
        .where(*conditions)
        .order_by(col(Quote.article_id).desc(), col(Quote.position))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


@dataclass
class ActorSummary:
    actor: CanonicalActor
    aliases: list[str]
    articles: int
    events: int
    quotes: int


def list_actors(
    *, session: Session, name: str | None, kind: str | None, limit: int, offset: int
) -> tuple[list[ActorSummary], int]:
    """Canonical actors with their aliases and how often current extractions mention them."""
    conditions: list[ColumnElement[bool]] = []
    if name:
        conditions.append(
            col(CanonicalActor.id).in_(canonical_ids_for_name(session=session, name=name))
        )
    if kind:
        conditions.append(col(CanonicalActor.kind) == kind)
    total = session.exec(select(func.count()).select_from(CanonicalActor).where(*conditions)).one()
    actors = list(
        session.exec(
            select(CanonicalActor)
            .where(*conditions)
            .order_by(col(CanonicalActor.name))
            .offset(offset)
            .limit(limit)
        ).all()
    )
    ids = [a.id for a in actors if a.id is not None]
    aliases: dict[int, list[str]] = {i: [] for i in ids}
    for alias in session.exec(
        select(ActorAlias)
        .where(col(ActorAlias.canonical_actor_id).in_(ids))
        .order_by(col(ActorAlias.id))
    ).all():
        aliases[alias.canonical_actor_id].append(alias.alias)
    current = _current_jobs()
    articles = dict(
        session.exec(
            select(
                ArticleActor.canonical_actor_id, func.count(func.distinct(ArticleActor.article_id))
            )
            .where(
                col(ArticleActor.canonical_actor_id).in_(ids), col(ArticleActor.job_id).in_(current)
            )
            .group_by(col(ArticleActor.canonical_actor_id))
        ).all()
    )
    events = dict(
        session.exec(
            select(EventActor.canonical_actor_id, func.count(func.distinct(EventActor.event_id)))
            .join(Event, col(Event.id) == col(EventActor.event_id))
            .where(col(EventActor.canonical_actor_id).in_(ids), col(Event.job_id).in_(current))
            .group_by(col(EventActor.canonical_actor_id))
        ).all()
    )
    quotes = dict(
        session.exec(
            select(Quote.canonical_actor_id, func.count())
            .where(col(Quote.canonical_actor_id).in_(ids), col(Quote.job_id).in_(current))
            .group_by(col(Quote.canonical_actor_id))
        ).all()
    )
    summaries = [
        ActorSummary(
            actor=a,
            aliases=aliases.get(a.id or 0, []),
            articles=articles.get(a.id, 0),
            events=events.get(a.id, 0),
            quotes=quotes.get(a.id, 0),
        )
        for a in actors
    ]
    return summaries, total
