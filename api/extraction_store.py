"""Writing one extraction: the job's final status and all its rows in ONE transaction.

A reader sees either the job still queued/running with no rows, or the finished job with all of
its actors, events and quotes. A re-run replaces the rows of the same job in the same way when
it succeeds; a re-run that fails keeps the rows of the last successful run (nothing is lost) and
the job's status, error and usage describe the latest run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from api.llm.outcome import ExtractionOutcome, OutcomeStatus
from api.models import (
    ActorAlias,
    ActorRole,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    JobStatus,
    Quote,
    utcnow,
)
from schemas.grounded import GroundedActor, GroundedExtraction, Span
from schemas.text import name_key

log = structlog.get_logger(__name__)

CanonicalNamer = Callable[[GroundedActor], str]
_MINOR_WORDS = {"of", "the", "and", "for", "in", "al", "el", "de", "du", "la"}


def record_outcome(
    *,
    session: Session,
    job_id: int,
    outcome: ExtractionOutcome,
    final: bool,
    canonical_namer: CanonicalNamer | None = None,
) -> ExtractionJob:
    """Add one job-level try's usage to the job; when this try ends the job, write its status
    and (on success) its rows. Commits once; on any error nothing of it is visible."""
    job = session.get_one(ExtractionJob, job_id)
    _add_usage(job, outcome)
    job.error = outcome.error
    if final or outcome.status != OutcomeStatus.FAILED:
        job.status = JobStatus(outcome.status.value)
        job.finished_at = utcnow()
        if outcome.status == OutcomeStatus.SUCCEEDED:
            job.error = None
            _replace_rows(
                session, job, outcome.result or GroundedExtraction(), canonical_namer or _own_name
            )
            _make_current(session, job)
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def record_storage_failure(
    *, session: Session, job_id: int, outcome: ExtractionOutcome, error: str
) -> ExtractionJob:
    """The model answered but storing failed: keep usage and raw output, status failed."""
    job = session.get_one(ExtractionJob, job_id)
    _add_usage(job, outcome)
    job.status = JobStatus.FAILED
    job.error = error
    job.finished_at = utcnow()
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def _add_usage(job: ExtractionJob, outcome: ExtractionOutcome) -> None:
    job.attempts += outcome.attempts
    job.prompt_tokens += outcome.usage.prompt_tokens
    job.completion_tokens += outcome.usage.completion_tokens
    job.latency_ms += outcome.latency_ms
    job.raw_outputs = [*job.raw_outputs, *outcome.raw_outputs]  # reassign: JSON isn't tracked
    # the weights that really answered (a replay knows them only from its recordings)
    job.weights_sha256 = outcome.provenance.weights_sha256 or job.weights_sha256


def _make_current(session: Session, job: ExtractionJob) -> None:
    session.execute(
        update(ExtractionJob)
        .where(col(ExtractionJob.article_id) == job.article_id, col(ExtractionJob.id) != job.id)
        .values(is_current=False)
    )
    job.is_current = True


def delete_rows(session: Session, job_id: int) -> None:
    events = select(Event.id).where(Event.job_id == job_id)
    session.execute(delete(EventActor).where(col(EventActor.event_id).in_(events)))
    session.execute(delete(Quote).where(col(Quote.job_id) == job_id))
    session.execute(delete(Event).where(col(Event.job_id) == job_id))
    session.execute(delete(ArticleActor).where(col(ArticleActor.job_id) == job_id))


def _replace_rows(
    session: Session, job: ExtractionJob, result: GroundedExtraction, namer: CanonicalNamer
) -> None:
    assert job.id is not None
    delete_rows(session, job.id)
    by_key = _insert_actors(session, job, result, namer)
    _insert_events(session, job, result, by_key)
    _insert_quotes(session, job, result, by_key)


def _insert_actors(
    session: Session, job: ExtractionJob, result: GroundedExtraction, namer: CanonicalNamer
) -> dict[str, ArticleActor]:
    by_key: dict[str, ArticleActor] = {}
    for position, actor in enumerate(result.actors):
        canonical = _canonical_actor(session, actor, namer)
        row = ArticleActor(
            job_id=job.id or 0,
            article_id=job.article_id,
            canonical_actor_id=canonical.id,
            position=position,
            name=actor.name,
            aliases=list(actor.aliases),
            kind=actor.kind.value,
            affiliation=actor.affiliation,
            country=actor.country,
            mentions=[_span_json(m) for m in actor.mentions],
        )
        session.add(row)
        for name in (actor.name, *actor.aliases):
            by_key.setdefault(name_key(name), row)
    session.flush()
    return by_key


def _insert_events(
    session: Session,
    job: ExtractionJob,
    result: GroundedExtraction,
    by_key: dict[str, ArticleActor],
) -> None:
    for position, event in enumerate(result.events):
        span = event.evidence_span
        location = event.location
        row = Event(
            job_id=job.id or 0,
            article_id=job.article_id,
            position=position,
            event_type=event.event_type.value,
            mode=event.mode.value if event.mode else None,
            status=event.status.value,
            summary=event.summary,
            date_text=event.date_text,
            date=event.date,
            date_precision=event.date_precision.value,
            place=location.place if location else None,
            admin_area=location.admin_area if location else None,
            country=location.country if location else None,
            location_precision=location.precision.value if location else None,
            fatalities=event.fatalities,
            acled_event_type=event.acled_event_type,
            acled_sub_event_type=event.acled_sub_event_type,
            evidence=event.evidence,
            evidence_start=span.start if span else None,
            evidence_end=span.end if span else None,
            evidence_alignment=span.alignment.value if span else "none",
        )
        session.add(row)
        session.flush()
        for role, names in ((ActorRole.SOURCE, event.sources), (ActorRole.TARGET, event.targets)):
            for name in names:
                actor = by_key.get(name_key(name))
                session.add(
                    EventActor(
                        event_id=row.id or 0,
                        role=role.value,
                        name=name,
                        article_actor_id=actor.id if actor else None,
                        canonical_actor_id=actor.canonical_actor_id if actor else None,
                    )
                )
    session.flush()


def _insert_quotes(
    session: Session,
    job: ExtractionJob,
    result: GroundedExtraction,
    by_key: dict[str, ArticleActor],
) -> None:
    for position, quote in enumerate(result.quotes):
        speaker = by_key.get(name_key(quote.speaker)) if quote.speaker else None
        span, speaker_span = quote.span, quote.speaker_span
        session.add(
            Quote(
                job_id=job.id or 0,
                article_id=job.article_id,
                position=position,
                text=quote.text,
                kind=quote.kind.value,
                speaker=quote.speaker,
                speaker_mention=quote.speaker_mention,
                cue=quote.cue,
                speaker_actor_id=speaker.id if speaker else None,
                canonical_actor_id=speaker.canonical_actor_id if speaker else None,
                start=span.start if span else None,
                end=span.end if span else None,
                alignment=span.alignment.value if span else "none",
                speaker_start=speaker_span.start if speaker_span else None,
                speaker_end=speaker_span.end if speaker_span else None,
                speaker_alignment=speaker_span.alignment.value if speaker_span else None,
            )
        )
    session.flush()


def _span_json(span: Span) -> dict[str, Any]:
    return {
        "start": span.start,
        "end": span.end,
        "text": span.text,
        "alignment": span.alignment.value,
    }


# ---- canonical actors across articles --------------------------------------------------------


def _own_name(actor: GroundedActor) -> str:
    return actor.canonical_name or actor.name


def _distinctive(alias: str) -> bool:
    """A proper name or acronym ('SDF', 'Islamic State'), not a description ('the militia',
    'Kurdish-led forces'): only those are shared across articles."""
    words = [w for w in re.split(r"[\s\-]+", alias.removeprefix("the ")) if w]
    content = [w for w in words if w.casefold() not in _MINOR_WORDS]
    return bool(content) and all(w[0].isupper() or w[0].isdigit() for w in content)


def _find_canonical(session: Session, key: str) -> CanonicalActor | None:
    alias = session.exec(select(ActorAlias).where(ActorAlias.alias_key == key)).first()
    if alias is not None:
        return session.get(CanonicalActor, alias.canonical_actor_id)
    return session.exec(select(CanonicalActor).where(CanonicalActor.name_key == key)).first()


def _canonical_actor(
    session: Session, actor: GroundedActor, namer: CanonicalNamer
) -> CanonicalActor:
    canonical_name = namer(actor) or actor.name
    names = [canonical_name, actor.name, *(a for a in actor.aliases if _distinctive(a))]
    keys = [k for k in dict.fromkeys(name_key(n) for n in names) if k]
    found = next((c for c in (_find_canonical(session, k) for k in keys) if c), None)
    if found is None:
        found = CanonicalActor(
            name=canonical_name,
            name_key=name_key(canonical_name) or canonical_name.casefold(),
            kind=actor.kind.value,
            country=actor.country,
        )
        session.add(found)
        session.flush()
    assert found.id is not None
    for name in names:
        key = name_key(name)
        if (
            key
            and session.exec(select(ActorAlias).where(ActorAlias.alias_key == key)).first() is None
        ):
            session.add(ActorAlias(canonical_actor_id=found.id, alias=name, alias_key=key))
            session.flush()
    return found


def curated_canonical_namer(aliases_file: Path | None = None) -> CanonicalNamer:
    """The curated alias table's canonical name (api.llm.resolution) when it knows one of the
    actor's names, else what the extractor resolved, else the actor's own name."""
    lookup: Callable[[str], str | None] | None = None
    try:
        from api.llm.resolution import AliasTable

        lookup = AliasTable.load(aliases_file).lookup
    except Exception as error:  # the table is a help, never a reason to lose an extraction
        log.warning("alias_table_unavailable", error=str(error))

    def namer(actor: GroundedActor) -> str:
        if lookup is not None:
            for name in (actor.canonical_name, actor.name, *actor.aliases):
                found = lookup(name) if name else None
                if found:
                    return found
        return _own_name(actor)

    return namer
