"""One service path for the routes and the CLI: the job context a process builds once, the
length check, and submitting or re-running an article's extraction on a queue.

Which finished extractions a submission runs again is the caller's policy (`Rerun`): the API
keeps every answer, `wirecoder extract` retries what did not succeed, `wirecoder ingest`
retries failures (and invalid answers when asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from api import crud, llm
from api.config import Settings
from api.db import engine_from_settings, upgrade_database
from api.jobs import JobContext, JobQueue
from api.models import Article, ExtractionJob, JobStatus
from schemas.api import EXTRACTION_INPUT_FIELDS, ArticleIn
from schemas.contract import ExtractorLike, Provenance


def build_job_context(settings: Settings, *, extractor: ExtractorLike | None = None) -> JobContext:
    """Migrate the database, open its engine, build the extractor (unless given)."""
    upgrade_database(settings.resolved_database_url)
    return JobContext(
        engine=engine_from_settings(settings),
        extractor=extractor or llm.build_extractor(settings),
        settings=settings,
    )


class ArticleTooLong(ValueError):
    """The text is longer than WIRECODER_MAX_ARTICLE_CHARS (the API answers 413)."""


def check_length(article: ArticleIn, settings: Settings, where: str = "text") -> None:
    if len(article.text) > settings.max_article_chars:
        raise ArticleTooLong(
            f"{where} has {len(article.text)} characters; the limit is "
            f"{settings.max_article_chars} (WIRECODER_MAX_ARTICLE_CHARS)"
        )


class Rerun(StrEnum):
    """Which finished extractions a submission runs again."""

    NEVER = "never"
    FAILED = "failed"
    UNSUCCESSFUL = "unsuccessful"  # failed or invalid
    ALWAYS = "always"

    def wants(self, status: str) -> bool:
        return {
            Rerun.NEVER: False,
            Rerun.FAILED: status == JobStatus.FAILED,
            Rerun.UNSUCCESSFUL: status in (JobStatus.FAILED, JobStatus.INVALID),
            Rerun.ALWAYS: True,
        }[self]


class OnConflict(StrEnum):
    """What a submission of known text does with metadata that differs from the stored."""

    KEEP = "keep"
    UPDATE = "update"


@dataclass(frozen=True)
class Submission:
    article: Article
    article_created: bool
    job: ExtractionJob
    queued: bool  # this submission put the job on the queue
    metadata: str = "new"  # schemas.api.MetadataOutcome: new, same, kept or updated
    metadata_differs: tuple[str, ...] = ()  # fields sent that differ from the stored


def submit_article(
    *,
    session: Session,
    queue: JobQueue,
    provenance: Provenance,
    article_in: ArticleIn,
    rerun: Rerun = Rerun.NEVER,
    on_conflict: OnConflict = OnConflict.KEEP,
) -> Submission:
    """Store the article (deduplicated by content hash) and its job for this extractor
    (deduplicated by extraction key); queue the job unless it already ran (or `rerun` wants
    its answer again). Known text with other metadata keeps the stored metadata unless
    `on_conflict` is UPDATE; the Submission says which fields differed and what was done.
    Updated metadata does not re-run a finished extraction."""
    article, created = crud.get_or_create_article(session=session, **article_in.stored_fields())
    metadata, differs = "new", []
    if not created:
        differs = crud.metadata_differences(article=article, sent=article_in.metadata_fields())
        metadata = "same" if not differs else "kept"
        if differs and on_conflict == OnConflict.UPDATE:
            sent = article_in.metadata_fields()
            crud.update_article(
                session=session, article=article, changes={k: sent[k] for k in differs}
            )
            metadata = "updated"
    job, _ = crud.get_or_create_job(session=session, article=article, provenance=provenance)
    queued = False
    if JobStatus(job.status).finished and rerun.wants(job.status):
        job = crud.requeue_job(session=session, job=job)
    if job.status == JobStatus.QUEUED:
        # DBOS dedups on the workflow id: enqueueing a queued job again is a no-op, and it
        # picks up a job whose first enqueue was lost to a crash.
        queue.enqueue(job)
        session.refresh(job)
        queued = True
    return Submission(article, created, job, queued, metadata, tuple(differs))


def rerun_article(
    *, session: Session, queue: JobQueue, provenance: Provenance, article: Article
) -> ExtractionJob:
    """Extract the article again with this extractor: a new job when the prompt or model
    changed (the old extraction is kept), else the same job run again. A job still queued or
    running is left alone."""
    job, created = crud.get_or_create_job(session=session, article=article, provenance=provenance)
    if not created and JobStatus(job.status).finished:
        job = crud.requeue_job(session=session, job=job)
    if job.status == JobStatus.QUEUED:
        queue.enqueue(job)
        session.refresh(job)
    return job


def patch_article(
    *, session: Session, article: Article, changes: dict[str, object]
) -> tuple[list[str], bool]:
    """Apply metadata `changes`; returns the fields that changed and whether the article's
    current extraction read an old value of one (its dates, places or prompt): re-running it
    is the caller's choice, never done here."""
    assert article.id is not None
    changed = crud.update_article(session=session, article=article, changes=changes)
    if not EXTRACTION_INPUT_FIELDS.intersection(changed):
        return changed, False
    return changed, crud.current_job(session=session, article_id=article.id) is not None
