"""Writing one extraction: the job's final status and all its rows in ONE transaction.

A reader sees either the job still queued/running with no rows, or the finished job with all of
its actors, events and quotes. A re-run replaces the rows of the same job in the same way when
it succeeds; a re-run that fails keeps the rows of the last successful run (nothing is lost) and
the job's status, error and usage describe the latest run.

The rows go in bulk: every actor name is looked up in one query, and each table gets one
INSERT for the whole extraction (about ten statements and one ORM flush per extraction, where
one per row cost ~60 statements and ~15 flushes: benchmarks/storage_writes.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast

import structlog
from pydantic import BaseModel
from sqlalchemy import (
    Engine,
    Table,
    delete,
    exists,
    insert,
    literal,
    or_,
    union_all,
    update,
)
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
            # nothing in here reads this job's pending changes back: the commit writes them
            # in one UPDATE, instead of a flush before the first statement and another after
            with session.no_autoflush:
                replace_rows(session, job, outcome.result or GroundedExtraction())
                _make_current(session, job)
    session.add(job)
    session.commit()
    if session.expire_on_commit:  # else what it holds is what was just written
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
        # the job it returns outlives the session: not expired, no SELECT to refresh it
        with attempt, Session(engine, expire_on_commit=False) as session:
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
    """The job becomes its article's served extraction, unless an analyst's reviewed version
    is served (api.review): a later model run never hides a correction; it is read with
    `?version=model`, and the reviewed version stays served until a newer review."""
    reviewed = select(ExtractionJob.id).where(
        col(ExtractionJob.article_id) == job.article_id,
        col(ExtractionJob.reviewed_from_job_id).is_not(None),
        col(ExtractionJob.is_current),
    )
    if job.reviewed_from_job_id is None and session.exec(reviewed).first() is not None:
        return
    session.execute(
        update(ExtractionJob)
        .where(col(ExtractionJob.article_id) == job.article_id, col(ExtractionJob.id) != job.id)
        .values(is_current=False)
    )
    job.is_current = True


def delete_rows(session: Session, job_id: int) -> None:
    # Core deletes on the tables: none of these rows is ever loaded into a session, so the
    # ORM's bulk-delete bookkeeping (synchronizing the identity map) is not needed
    event, event_actor = _table(Event), _table(EventActor)
    events = select(event.c.id).where(event.c.job_id == job_id)
    session.execute(delete(event_actor).where(event_actor.c.event_id.in_(events)))
    for model in (Quote, Event, ArticleActor):
        table = _table(model)
        session.execute(delete(table).where(table.c.job_id == job_id))


def _has_rows(session: Session, job_id: int) -> bool:
    """Whether the job has rows to replace (its event actors hang off its events)."""
    models: tuple[type[SQLModel], ...] = (ArticleActor, Event, Quote)
    found = [exists().where(_table(model).c.job_id == job_id) for model in models]
    return bool(session.scalar(select(or_(*found))))


def replace_rows(session: Session, job: ExtractionJob, result: GroundedExtraction) -> None:
    """The job's rows become `result`'s (its old rows deleted), in the caller's transaction:
    the caller commits (with the job's status) or rolls back.

    Each table gets one bulk INSERT (Core executemany: SQLAlchemy sends it as multi-row
    VALUES, RETURNING the ids where later rows need them), not an ORM flush per row."""
    assert job.id is not None
    if _has_rows(session, job.id):  # a re-run, a review; most jobs are stored once
        delete_rows(session, job.id)
    by_key = _insert_actors(session, job, result)
    _insert_events(session, job, result, by_key)
    _insert_quotes(session, job, result, by_key)


class _StoredActor(NamedTuple):
    id: int
    canonical_actor_id: int


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _row_fields(item: BaseModel, table: type[SQLModel]) -> dict[str, Any]:
    """The item's fields that the table shares with it (schemas.extraction, .grounded)."""
    return item.model_dump(include=set(table.model_fields))


def _insert_positioned(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> dict[int, int]:
    """Insert rows of one job (`position` unique among them); returns position -> new id."""
    if not rows:
        return {}
    table = _table(model)
    inserted = session.execute(insert(table).returning(table.c.position, table.c.id), rows)
    return {position: row_id for position, row_id in inserted}


def _insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    if rows:  # an empty executemany would be one INSERT of no values
        session.execute(insert(_table(model)), rows)


def _insert_actors(
    session: Session, job: ExtractionJob, result: GroundedExtraction
) -> dict[str, _StoredActor]:
    canonical_ids = resolve_canonical_actors(session, result.actors)
    actors = list(enumerate(zip(result.actors, canonical_ids, strict=True)))
    rows = [
        {
            **_row_fields(actor, ArticleActor),
            "job_id": job.id,
            "article_id": job.article_id,
            "canonical_actor_id": canonical_id,
            "position": position,
        }
        for position, (actor, canonical_id) in actors
    ]
    ids = _insert_positioned(session, ArticleActor, rows)
    by_key: dict[str, _StoredActor] = {}
    for position, (actor, canonical_id) in actors:
        stored = _StoredActor(ids[position], canonical_id)
        for name in (actor.name, *actor.aliases):
            by_key.setdefault(name_key(name), stored)
    return by_key


def _insert_events(
    session: Session,
    job: ExtractionJob,
    result: GroundedExtraction,
    by_key: dict[str, _StoredActor],
) -> None:
    rows = [
        {
            **_row_fields(event, Event),
            "job_id": job.id,
            "article_id": job.article_id,
            "position": position,
        }
        for position, event in enumerate(result.events)
    ]
    ids = _insert_positioned(session, Event, rows)
    event_actors = []
    for position, event in enumerate(result.events):
        for role, names in ((ActorRole.SOURCE, event.sources), (ActorRole.TARGET, event.targets)):
            for name in names:
                actor = by_key.get(name_key(name))
                event_actors.append(
                    {
                        "event_id": ids[position],
                        "role": role.value,
                        "name": name,
                        "article_actor_id": actor.id if actor else None,
                        "canonical_actor_id": actor.canonical_actor_id if actor else None,
                    }
                )
    _insert_rows(session, EventActor, event_actors)


def _insert_quotes(
    session: Session,
    job: ExtractionJob,
    result: GroundedExtraction,
    by_key: dict[str, _StoredActor],
) -> None:
    rows = []
    for position, quote in enumerate(result.quotes):
        speaker = by_key.get(name_key(quote.speaker)) if quote.speaker else None
        rows.append(
            {
                **_row_fields(quote, Quote),
                "job_id": job.id,
                "article_id": job.article_id,
                "position": position,
                "speaker_actor_id": speaker.id if speaker else None,
                "canonical_actor_id": speaker.canonical_actor_id if speaker else None,
            }
        )
    _insert_rows(session, Quote, rows)


# ---- canonical actors across articles --------------------------------------------------------
# Every name of the extraction is looked up in one query; what is new is inserted in one
# statement per table. Jobs that meet the same new actor at once each insert it: the
# database's own conflict handling (INSERT ... ON CONFLICT DO NOTHING, on PostgreSQL and SQLite
# alike) lets the first win and the others read its row back, instead of a unique violation
# failing their extraction. Rows go in sorted by key, so that concurrent jobs take the unique
# index's locks in one order (no deadlock between two inserts of the same keys).


def _insert_ignoring_conflict(
    session: Session, model: type[SQLModel], key: str, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert the rows whose `key` is not taken; returns key -> id of those inserted."""
    dialect = session.get_bind().dialect.name
    insert_: Any = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[dialect]
    table = _table(model)
    statement = insert_(table).on_conflict_do_nothing(index_elements=[key])
    ordered = sorted(rows, key=lambda row: str(row[key]))
    inserted = session.execute(statement.returning(table.c[key], table.c.id), ordered)
    return {row_key: row_id for row_key, row_id in inserted}


def _known_keys(session: Session, keys: set[str]) -> tuple[dict[str, int], dict[str, int]]:
    """The canonical actor id of every key that is an alias, and of every key that is a
    canonical name_key, in one query."""
    if not keys:
        return {}, {}
    alias, canonical = _table(ActorAlias), _table(CanonicalActor)
    is_alias, is_name = literal(True).label("is_alias"), literal(False).label("is_alias")
    aliases = select(is_alias, alias.c.alias_key, alias.c.canonical_actor_id)
    names = select(is_name, canonical.c.name_key, canonical.c.id)
    both = union_all(
        aliases.where(alias.c.alias_key.in_(keys)), names.where(canonical.c.name_key.in_(keys))
    )
    aliased: dict[str, int] = {}
    named: dict[str, int] = {}
    for alias_row, key, canonical_id in session.execute(both):
        (aliased if alias_row else named)[key] = canonical_id
    return aliased, named


class _New(NamedTuple):
    """A canonical actor this extraction creates, by its name_key, until its id is known."""

    key: str


def _canonical_key(actor: GroundedActor) -> str:
    canonical_name = actor.canonical_name or actor.name
    return name_key(canonical_name) or canonical_name.casefold()


def resolve_canonical_actors(session: Session, actors: Sequence[GroundedActor]) -> list[int]:
    """The canonical actor id of each actor, as the resolution named it (api.llm.actors).

    An actor is found by the first of the names it shares across articles that is an alias
    (else a canonical name_key), or its canonical actor is created; those names become
    aliases of it unless another actor holds them already. Actors are taken in order, so a
    later one finds what an earlier one created: the rule runs in memory on one lookup of
    every key, and only its new rows are written."""
    names_of = [cross_article_names(actor) for actor in actors]
    keys_of = [[k for k in dict.fromkeys(map(name_key, names)) if k] for names in names_of]
    wanted = {k for keys in keys_of for k in keys} | {_canonical_key(a) for a in actors}
    stored_aliases, stored_names = _known_keys(session, wanted)
    aliased: dict[str, int | _New] = {**stored_aliases}  # and the aliases made here
    named: dict[str, int | _New] = {**stored_names}  # and the canonical actors made here
    found_of: list[int | _New] = []
    new_actors: dict[str, dict[str, Any]] = {}
    new_aliases: dict[str, tuple[int | _New, str]] = {}
    for actor, names, keys in zip(actors, names_of, keys_of, strict=True):
        known = (aliased[k] if k in aliased else named.get(k) for k in keys)
        found = next((ref for ref in known if ref is not None), None)
        if found is None:
            key = _canonical_key(actor)
            found = named.get(key)
            if found is None:
                found = named[key] = _New(key)
                new_actors[key] = {
                    "name": actor.canonical_name or actor.name,
                    "name_key": key,
                    "kind": actor.kind.value,
                    "country": actor.country,
                    "created_at": utcnow(),
                }
        found_of.append(found)
        for name in names:
            key = name_key(name)
            if key and key not in aliased:  # an alias another actor holds already stays
                aliased[key] = found
                new_aliases[key] = (found, name)
    created: dict[str, int] = {}
    if new_actors:
        created = _insert_ignoring_conflict(
            session, CanonicalActor, "name_key", list(new_actors.values())
        )
        if missing := new_actors.keys() - created.keys():  # another job inserted them first
            canonical = _table(CanonicalActor)
            taken = select(canonical.c.name_key, canonical.c.id)
            taken = taken.where(canonical.c.name_key.in_(missing))
            created |= {key: canonical_id for key, canonical_id in session.execute(taken)}

    def resolved(ref: int | _New) -> int:
        return created[ref.key] if isinstance(ref, _New) else ref

    if new_aliases:
        rows = [
            {"canonical_actor_id": resolved(ref), "alias": name, "alias_key": key}
            for key, (ref, name) in new_aliases.items()
        ]
        _insert_ignoring_conflict(session, ActorAlias, "alias_key", rows)
    return [resolved(found) for found in found_of]
