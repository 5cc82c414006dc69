"""Stored rows → the API's response models (schemas/api.py). Presenters take rows that crud
read; they never query. The public models share the rows' fields, so a row becomes its public
model by `model_validate(row, update=…)` with only what the row does not hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api import browse, crud
from api.models import (
    Article,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    Quote,
    Review,
)
from schemas.api import (
    ActorPublic,
    ArticlePublic,
    ArticleSummary,
    CanonicalActorPublic,
    EventActorPublic,
    EventPublic,
    ExtractionPublic,
    JobPublic,
    JobRef,
    JobSummary,
    QuotePublic,
)
from schemas.review import ReviewPublic, ReviewSummary

Canonical = dict[int, CanonicalActor]


def job_url(job_id: int) -> str:
    return f"/v1/jobs/{job_id}"


def job_ref(job: ExtractionJob) -> JobRef:
    assert job.id is not None
    return JobRef(
        id=job.id,
        status=job.status,
        extraction_key=job.extraction_key,
        url=job_url(job.id),
        error=job.error,
        attempts=job.attempts,
        job_attempts=job.job_attempts,
    )


def job_public(job: ExtractionJob, *, raw: bool = True) -> JobPublic:
    """The job; its raw model outputs only when `raw` (they may quote the whole article)."""
    public = JobPublic.model_validate(job)
    return public if raw else public.model_copy(update={"raw_outputs": None})


def job_summary(job: ExtractionJob) -> JobSummary:
    return JobSummary.model_validate(job)


def _canonical_name(canonical: Canonical, actor_id: int | None) -> str | None:
    found = canonical.get(actor_id or 0)
    return found.name if found else None


def actor_public(actor: ArticleActor, canonical: Canonical) -> ActorPublic:
    return ActorPublic.model_validate(
        actor, update={"canonical_name": _canonical_name(canonical, actor.canonical_actor_id)}
    )


def _event_actors(rows: Sequence[EventActor], role: str, canonical: Canonical) -> list[Any]:
    return [
        EventActorPublic(
            name=row.name,
            actor_id=row.article_actor_id,
            canonical_actor_id=row.canonical_actor_id,
            canonical_name=_canonical_name(canonical, row.canonical_actor_id),
        )
        for row in rows
        if row.role == role
    ]


def event_public(event: Event, actors: Sequence[EventActor], canonical: Canonical) -> EventPublic:
    return EventPublic.model_validate(
        event,
        update={
            "sources": _event_actors(actors, "source", canonical),
            "targets": _event_actors(actors, "target", canonical),
        },
    )


def quote_public(quote: Quote, canonical: Canonical) -> QuotePublic:
    return QuotePublic.model_validate(
        quote, update={"canonical_name": _canonical_name(canonical, quote.canonical_actor_id)}
    )


def extraction_public(rows: crud.ExtractionRows) -> ExtractionPublic:
    reviewed = rows.job.reviewed_from_job_id is not None
    return ExtractionPublic(
        version="reviewed" if reviewed else "model",
        review=ReviewSummary.model_validate(rows.review) if rows.review else None,
        job=job_summary(rows.job),
        actors=[actor_public(a, rows.canonical) for a in rows.actors],
        events=events_public(rows.events, rows.event_actors, rows.canonical),
        quotes=quotes_public(rows.quotes, rows.canonical),
    )


def events_public(
    events: Sequence[Event], actors: dict[int, list[EventActor]], canonical: Canonical
) -> list[EventPublic]:
    return [event_public(e, actors.get(e.id or 0, []), canonical) for e in events]


def quotes_public(quotes: Sequence[Quote], canonical: Canonical) -> list[QuotePublic]:
    return [quote_public(q, canonical) for q in quotes]


def article_summary(article: Article) -> ArticleSummary:
    return ArticleSummary.model_validate(article)


def article_public(
    article: Article, current: crud.ExtractionRows | None, jobs: Sequence[ExtractionJob]
) -> ArticlePublic:
    return ArticlePublic.model_validate(
        article,
        update={
            "extraction": extraction_public(current) if current else None,
            "jobs": [job_summary(j) for j in jobs],
        },
    )


def canonical_actor_public(summary: browse.ActorSummary) -> CanonicalActorPublic:
    return CanonicalActorPublic.model_validate(
        summary.actor,
        update={
            "aliases": summary.aliases,
            "articles": summary.articles,
            "events": summary.events,
            "quotes": summary.quotes,
        },
    )


def review_public(review: Review) -> ReviewPublic:
    return ReviewPublic.model_validate(review)
