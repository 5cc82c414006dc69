"""Stored rows → the API's response models (schemas/api.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from api import crud
from api.models import (
    Article,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    Quote,
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
    LocationPublic,
    PromptRef,
    QuotePublic,
    SpanPublic,
)
from schemas.extraction import LocationPrecision


def job_url(job_id: int) -> str:
    return f"/v1/jobs/{job_id}"


def job_ref(job: ExtractionJob) -> JobRef:
    assert job.id is not None
    return JobRef(
        id=job.id, status=job.status, extraction_key=job.extraction_key, url=job_url(job.id)
    )


def _prompt(job: ExtractionJob) -> PromptRef:
    return PromptRef(id=job.prompt_id, version=job.prompt_version, sha256=job.prompt_sha256)


def job_public(job: ExtractionJob) -> JobPublic:
    assert job.id is not None
    return JobPublic(
        id=job.id,
        article_id=job.article_id,
        status=job.status,
        is_current=job.is_current,
        extraction_key=job.extraction_key,
        workflow_id=job.workflow_id,
        prompt=_prompt(job),
        schema_sha256=job.schema_sha256,
        model=job.model,
        base_url=job.base_url,
        backend=job.backend,
        mode=job.mode,
        weights_sha256=job.weights_sha256,
        requests=job.requests,
        job_attempts=job.job_attempts,
        attempts=job.attempts,
        prompt_tokens=job.prompt_tokens,
        completion_tokens=job.completion_tokens,
        total_tokens=job.prompt_tokens + job.completion_tokens,
        latency_ms=job.latency_ms,
        error=job.error,
        raw_outputs=list(job.raw_outputs),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def job_summary(job: ExtractionJob) -> JobSummary:
    assert job.id is not None
    return JobSummary(
        id=job.id,
        status=job.status,
        is_current=job.is_current,
        prompt=_prompt(job),
        model=job.model,
        attempts=job.attempts,
        finished_at=job.finished_at,
        error=job.error,
    )


def _span(start: int | None, end: int | None, text: str, alignment: str | None) -> SpanPublic:
    return SpanPublic(start=start, end=end, text=text, alignment=alignment or "none")


def actor_public(actor: ArticleActor, canonical: dict[int, CanonicalActor]) -> ActorPublic:
    assert actor.id is not None
    found = canonical.get(actor.canonical_actor_id or 0)
    return ActorPublic(
        id=actor.id,
        name=actor.name,
        aliases=list(actor.aliases),
        kind=actor.kind,
        affiliation=actor.affiliation,
        country=actor.country,
        canonical_actor_id=actor.canonical_actor_id,
        canonical_name=found.name if found else None,
        mentions=[SpanPublic(**m) for m in actor.mentions],
    )


def _event_actor(row: EventActor, canonical: dict[int, CanonicalActor]) -> EventActorPublic:
    found = canonical.get(row.canonical_actor_id or 0)
    return EventActorPublic(
        name=row.name,
        actor_id=row.article_actor_id,
        canonical_actor_id=row.canonical_actor_id,
        canonical_name=found.name if found else None,
    )


def event_public(
    event: Event, actors: Sequence[EventActor], canonical: dict[int, CanonicalActor]
) -> EventPublic:
    assert event.id is not None
    return EventPublic(
        id=event.id,
        article_id=event.article_id,
        job_id=event.job_id,
        event_type=event.event_type,
        mode=event.mode,
        status=event.status,
        summary=event.summary,
        sources=[_event_actor(a, canonical) for a in actors if a.role == "source"],
        targets=[_event_actor(a, canonical) for a in actors if a.role == "target"],
        date_text=event.date_text,
        date=event.date,
        date_precision=event.date_precision,
        location=LocationPublic(
            place=event.place,
            admin_area=event.admin_area,
            country=event.country,
            precision=LocationPrecision(event.location_precision)
            if event.location_precision
            else None,
        ),
        fatalities=event.fatalities,
        acled_event_type=event.acled_event_type,
        acled_sub_event_type=event.acled_sub_event_type,
        evidence=_span(
            event.evidence_start, event.evidence_end, event.evidence, event.evidence_alignment
        ),
    )


def quote_public(quote: Quote, canonical: dict[int, CanonicalActor]) -> QuotePublic:
    assert quote.id is not None
    found = canonical.get(quote.canonical_actor_id or 0)
    speaker_span = None
    if quote.speaker_mention and quote.speaker_alignment:
        speaker_span = _span(
            quote.speaker_start, quote.speaker_end, quote.speaker_mention, quote.speaker_alignment
        )
    return QuotePublic(
        id=quote.id,
        article_id=quote.article_id,
        job_id=quote.job_id,
        text=quote.text,
        kind=quote.kind,
        speaker=quote.speaker,
        speaker_mention=quote.speaker_mention,
        cue=quote.cue,
        speaker_actor_id=quote.speaker_actor_id,
        canonical_actor_id=quote.canonical_actor_id,
        canonical_name=found.name if found else None,
        span=_span(quote.start, quote.end, quote.text, quote.alignment),
        speaker_span=speaker_span,
    )


def extraction_public(rows: crud.ExtractionRows) -> ExtractionPublic:
    return ExtractionPublic(
        job=job_summary(rows.job),
        actors=[actor_public(a, rows.canonical) for a in rows.actors],
        events=[
            event_public(e, rows.event_actors.get(e.id or 0, []), rows.canonical)
            for e in rows.events
        ],
        quotes=[quote_public(q, rows.canonical) for q in rows.quotes],
    )


def extraction_of(session: Session, job: ExtractionJob) -> ExtractionPublic:
    return extraction_public(crud.extraction_rows(session=session, job=job))


def article_summary(article: Article) -> ArticleSummary:
    assert article.id is not None
    return ArticleSummary(**_article_fields(article))


def _article_fields(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "content_hash": article.content_hash,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published_at": article.published_at,
        "dateline": article.dateline,
        "chars": len(article.text),
        "created_at": article.created_at,
    }


def article_public(session: Session, article: Article) -> ArticlePublic:
    assert article.id is not None
    current = crud.current_job(session=session, article_id=article.id)
    jobs = crud.jobs_of_article(session=session, article_id=article.id)
    return ArticlePublic(
        **_article_fields(article),
        text=article.text,
        extraction=extraction_of(session, current) if current else None,
        jobs=[job_summary(j) for j in jobs],
    )


def events_public(session: Session, events: Sequence[Event]) -> list[EventPublic]:
    actors = crud.event_actors_of(session=session, event_ids=[e.id for e in events if e.id])
    ids = {a.canonical_actor_id for rows in actors.values() for a in rows if a.canonical_actor_id}
    canonical = crud.canonical_actors_by_id(session=session, ids=ids)
    return [event_public(e, actors.get(e.id or 0, []), canonical) for e in events]


def quotes_public(session: Session, quotes: Sequence[Quote]) -> list[QuotePublic]:
    ids = {q.canonical_actor_id for q in quotes if q.canonical_actor_id}
    canonical = crud.canonical_actors_by_id(session=session, ids=ids)
    return [quote_public(q, canonical) for q in quotes]


def canonical_actor_public(summary: crud.ActorSummary) -> CanonicalActorPublic:
    actor = summary.actor
    assert actor.id is not None
    return CanonicalActorPublic(
        id=actor.id,
        name=actor.name,
        kind=actor.kind,
        country=actor.country,
        aliases=summary.aliases,
        articles=summary.articles,
        events=summary.events,
        quotes=summary.quotes,
    )
