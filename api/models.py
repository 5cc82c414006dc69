"""SQLModel tables: articles, extraction jobs with provenance, actors, events, quotes.

One ExtractionJob is one extraction of one article under one prompt/schema/model/base_url
(its `extraction_key`). The actors, events and quotes it produced hang off the job and are
written in the same transaction as the job's final status. Offsets index `Article.text`.
The item tables inherit their fields from the schemas (schemas.extraction, schemas.grounded):
a field added there is a column here (and a migration).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Text
from sqlmodel import Field, SQLModel

from schemas.contract import Provenance
from schemas.extraction import ActorFields, EventFields, QuoteFields
from schemas.grounded import ActorGrounding, EventGrounding, QuoteGrounding


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def _optional_timestamp() -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True))


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    INVALID = "invalid"  # the model never gave an answer that passed validation
    FAILED = "failed"  # transport error, timeout, missing recording, storage error, bug

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.INVALID, JobStatus.FAILED)


class ActorRole(StrEnum):
    SOURCE = "source"
    TARGET = "target"


def extraction_key(content_hash: str, provenance: Provenance) -> str:
    """sha256(content_hash | prompt id@version+sha | schema sha | model | base_url)."""
    parts = (
        content_hash,
        provenance.prompt.full,
        provenance.schema_sha256,
        provenance.model,
        provenance.base_url,
    )
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


class Article(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(sa_type=String(64), unique=True, index=True)
    title: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, sa_type=Text)
    source: str | None = Field(default=None, sa_type=String(200))
    published_at: dt.date | None = Field(default=None, index=True)
    dateline: str | None = Field(default=None, sa_type=String(200))
    text: str = Field(sa_type=Text)  # normalised: what is hashed and offset into
    created_at: dt.datetime = _timestamp()

    @property
    def chars(self) -> int:
        return len(self.text)


class ExtractionJob(SQLModel, Provenance, table=True):
    """One extraction of one article under one provenance (prompt, schema, model, server)."""

    __tablename__ = "extraction_job"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    extraction_key: str = Field(sa_type=String(64), unique=True, index=True)
    workflow_id: str = Field(sa_type=String(80))  # the DBOS workflow of the latest request
    status: str = Field(default=JobStatus.QUEUED, sa_type=String(16), index=True)
    # the current extraction of its article: the latest succeeded job, or its latest review
    is_current: bool = Field(default=False, index=True)
    # set on a reviewed version (api.review): the model's job it was corrected from; such a
    # job is no model run (never queued, no usage) and model-job listings leave it out
    reviewed_from_job_id: int | None = Field(
        default=None, foreign_key="extraction_job.id", index=True, ondelete="CASCADE"
    )

    requests: int = 1  # times queued: the first POST plus re-runs
    job_attempts: int = 0  # job-level tries of the latest request
    attempts: int = 0  # model calls, summed over job-level tries
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    raw_outputs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    created_at: dt.datetime = _timestamp()
    started_at: dt.datetime | None = _optional_timestamp()
    finished_at: dt.datetime | None = _optional_timestamp()

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class CanonicalActor(SQLModel, table=True):
    __tablename__ = "canonical_actor"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(200))
    name_key: str = Field(sa_type=String(200), unique=True, index=True)
    kind: str | None = Field(default=None, sa_type=String(40))
    country: str | None = Field(default=None, sa_type=String(100))
    created_at: dt.datetime = _timestamp()


class ActorAlias(SQLModel, table=True):
    """A name (or acronym) that resolves to one canonical actor in every article."""

    __tablename__ = "actor_alias"

    id: int | None = Field(default=None, primary_key=True)
    canonical_actor_id: int = Field(
        foreign_key="canonical_actor.id", index=True, ondelete="CASCADE"
    )
    alias: str = Field(sa_type=String(200))
    alias_key: str = Field(sa_type=String(200), unique=True, index=True)


class ArticleActor(SQLModel, ActorFields, ActorGrounding, table=True):
    """An actor as one extraction found it, linked to its canonical actor. `mentions` are
    spans into Article.text."""

    __tablename__ = "article_actor"

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="extraction_job.id", index=True, ondelete="CASCADE")
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    canonical_actor_id: int | None = Field(
        default=None, foreign_key="canonical_actor.id", index=True, ondelete="SET NULL"
    )
    position: int  # order in the extraction


class Event(SQLModel, EventFields, EventGrounding, table=True):
    """An event of one extraction; its sources and targets are EventActor rows."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="extraction_job.id", index=True, ondelete="CASCADE")
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    position: int


class EventActor(SQLModel, table=True):
    """A source or target of an event, as named and as resolved."""

    __tablename__ = "event_actor"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    role: str = Field(sa_type=String(10))
    name: str = Field(sa_type=String(200))
    article_actor_id: int | None = Field(
        default=None, foreign_key="article_actor.id", index=True, ondelete="SET NULL"
    )
    canonical_actor_id: int | None = Field(
        default=None, foreign_key="canonical_actor.id", index=True, ondelete="SET NULL"
    )


class Quote(SQLModel, QuoteFields, QuoteGrounding, table=True):
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="extraction_job.id", index=True, ondelete="CASCADE")
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    position: int
    speaker_actor_id: int | None = Field(
        default=None, foreign_key="article_actor.id", index=True, ondelete="SET NULL"
    )
    canonical_actor_id: int | None = Field(
        default=None, foreign_key="canonical_actor.id", index=True, ondelete="SET NULL"
    )


class Review(SQLModel, table=True):
    """An analyst's correction of one version of an article's extraction (api.review). The
    corrected version is its own ExtractionJob (`job_id`); the version reviewed is kept."""

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    base_job_id: int = Field(foreign_key="extraction_job.id", index=True, ondelete="CASCADE")
    job_id: int = Field(
        foreign_key="extraction_job.id", unique=True, index=True, ondelete="CASCADE"
    )
    reviewer: str = Field(sa_type=String(100))  # the API key's holder, or "anonymous"
    note: str | None = Field(default=None, sa_type=Text)
    changes: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # as sent
    diff: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )  # per item changed: what it was, what it became
    # per kind, for each item of the reviewed version in order, the ids of the model job's
    # items it comes from (empty: added by a reviewer): what review stats compare
    lineage: dict[str, list[list[int]]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: dt.datetime = _timestamp()


class WorkerHeartbeat(SQLModel, table=True):
    """A live worker process's lease on its jobs, renewed every `worker_heartbeat_s`.

    A row older than `worker_lease_s` is a dead worker's: the live worker whose conditional
    update sets `claimed_by` recovers that executor's pending DBOS workflows, then deletes the
    row (api/workers.py).
    """

    __tablename__ = "worker_heartbeat"

    executor_id: str = Field(sa_type=String(128), primary_key=True)  # the DBOS executor id
    host: str = Field(sa_type=String(255))
    pid: int
    started_at: dt.datetime = _timestamp()
    last_seen: dt.datetime = _timestamp(index=True)
    claimed_by: str | None = Field(default=None, sa_type=String(128))  # a live worker taking over


class ApiKeyScope(StrEnum):
    """What a key may do; each scope includes the ones before it."""

    READ = "read"  # read articles, extractions, jobs; export
    WRITE = "write"  # submit articles, re-run extractions
    ADMIN = "admin"  # raw model outputs

    def allows(self, needed: ApiKeyScope) -> bool:
        order = list(ApiKeyScope)
        return order.index(self) >= order.index(needed)


class ApiKey(SQLModel, table=True):
    """An API key, stored as the sha256 of its secret (api.auth): the secret itself is shown
    once, when `wirecoder keys create` makes it, and is never stored."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(100))  # who holds it
    scope: str = Field(sa_type=String(10))
    prefix: str = Field(sa_type=String(16))  # the secret's first characters, to tell keys apart
    key_hash: str = Field(sa_type=String(64), unique=True, index=True)
    created_at: dt.datetime = _timestamp()
    last_used_at: dt.datetime | None = _optional_timestamp()
    revoked_at: dt.datetime | None = _optional_timestamp()


ALL_TABLES = [
    Article,
    ExtractionJob,
    CanonicalActor,
    ActorAlias,
    ArticleActor,
    Event,
    EventActor,
    Quote,
    Review,
    WorkerHeartbeat,
    ApiKey,
]
