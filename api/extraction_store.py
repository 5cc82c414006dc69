"""Writing one extraction: the job's final status and all its rows in ONE transaction.

A reader sees either the job still queued/running with no rows, or the finished job with all of
its actors, events and quotes. A re-run replaces the rows of the same job in the same way when
it succeeds; a re-run that fails keeps the rows of the last successful run (nothing is lost) and
the job's status, error and usage describe the latest run.
"""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import Engine, delete, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session, SQLModel, col, select
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from api.llm.actors import cross_article_names
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
from schemas.contract import ExtractionOutcome, OutcomeStatus
from schemas.grounded import GroundedActor, GroundedExtraction
from schemas.text import name_key

log = structlog.get_logger(__name__)


def record_outcome(
    *,
    session: Session,
    job_id: int,
    outcome: ExtractionOutcome,
    final: bool,
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
            _replace_rows(session, job, outcome.result or GroundedExtraction())
            _make_current(session, job)
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


# A write that lost a race or a lock (a unique key another job inserted first, a deadlock, a
# serialization failure, SQLite's busy database, a dropped connection) succeeds when run again
# in a fresh transaction; it must not end the job as failed.
_TRANSIENT = (IntegrityError, OperationalError, InterfaceError)
STORE_TRIES = 5


def store_outcome(
    engine: Engine, *, job_id: int, outcome: ExtractionOutcome, final: bool
) -> ExtractionJob:
    """`record_outcome` in its own session, run again (with jittered backoff) while the
    database error is one a retry can fix; the last error is raised."""
    for attempt in Retrying(
        retry=retry_if_exception_type(_TRANSIENT),
        stop=stop_after_attempt(STORE_TRIES),
        wait=wait_random_exponential(multiplier=0.05, max=2.0),
        before_sleep=lambda state: log.warning(
            "storing_extraction_retried",
            job_id=job_id,
            attempt=state.attempt_number,
            error=type(state.outcome.exception()).__name__ if state.outcome else None,
        ),
        reraise=True,
    ):
        with attempt, Session(engine) as session:
            return record_outcome(session=session, job_id=job_id, outcome=outcome, final=final)
    raise AssertionError("unreachable: tenacity reraises")


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


def _replace_rows(session: Session, job: ExtractionJob, result: GroundedExtraction) -> None:
    assert job.id is not None
    delete_rows(session, job.id)
    by_key = _insert_actors(session, job, result)
    _insert_events(session, job, result, by_key)
    _insert_quotes(session, job, result, by_key)


def _row_fields(item: BaseModel, table: type[SQLModel]) -> dict[str, Any]:
    """The item's fields that the table shares with it (schemas.extraction, .grounded)."""
    return item.model_dump(include=set(table.model_fields))


def _insert_actors(
    session: Session, job: ExtractionJob, result: GroundedExtraction
) -> dict[str, ArticleActor]:
    by_key: dict[str, ArticleActor] = {}
    for position, actor in enumerate(result.actors):
        canonical = _canonical_actor(session, actor)
        row = ArticleActor(
            **_row_fields(actor, ArticleActor),
            job_id=job.id or 0,
            article_id=job.article_id,
            canonical_actor_id=canonical.id,
            position=position,
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
        row = Event(
            **_row_fields(event, Event),
            job_id=job.id or 0,
            article_id=job.article_id,
            position=position,
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
        session.add(
            Quote(
                **_row_fields(quote, Quote),
                job_id=job.id or 0,
                article_id=job.article_id,
                position=position,
                speaker_actor_id=speaker.id if speaker else None,
                canonical_actor_id=speaker.canonical_actor_id if speaker else None,
            )
        )
    session.flush()


# ---- canonical actors across articles --------------------------------------------------------
# Jobs that meet the same new actor at once each insert it: the database's own conflict
# handling (INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike) lets the first
# win and the others read its row, instead of a unique violation failing their extraction.


def _insert_ignoring_conflict(
    session: Session, table: type[SQLModel], key: str, **values: Any
) -> None:
    dialect = session.get_bind().dialect.name
    insert: Any = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
    session.execute(insert(table).values(**values).on_conflict_do_nothing(index_elements=[key]))


def _find_canonical(session: Session, key: str) -> CanonicalActor | None:
    alias = session.exec(select(ActorAlias).where(ActorAlias.alias_key == key)).first()
    if alias is not None:
        return session.get(CanonicalActor, alias.canonical_actor_id)
    return session.exec(select(CanonicalActor).where(CanonicalActor.name_key == key)).first()


def _canonical_actor(session: Session, actor: GroundedActor) -> CanonicalActor:
    """The canonical actor the resolution named (api.llm.actors), found by any of the names
    it shares across articles or created; those names are registered as its aliases."""
    canonical_name = actor.canonical_name or actor.name
    names = cross_article_names(actor)
    keys = [k for k in dict.fromkeys(name_key(n) for n in names) if k]
    found = next((c for c in (_find_canonical(session, k) for k in keys) if c), None)
    if found is None:
        canonical_key = name_key(canonical_name) or canonical_name.casefold()
        _insert_ignoring_conflict(
            session,
            CanonicalActor,
            "name_key",
            name=canonical_name,
            name_key=canonical_key,
            kind=actor.kind.value,
            country=actor.country,
            created_at=utcnow(),
        )
        found = session.exec(
            select(CanonicalActor).where(CanonicalActor.name_key == canonical_key)
        ).one()
    assert found.id is not None
    for name in names:
        key = name_key(name)
        if key:  # an alias another actor holds already stays with it
            _insert_ignoring_conflict(
                session,
                ActorAlias,
                "alias_key",
                canonical_actor_id=found.id,
                alias=name,
                alias_key=key,
            )
    return found
