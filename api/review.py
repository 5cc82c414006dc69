"""Reviewing an extraction: an analyst's changes applied to the served version, validated like
a model's answer, stored as a reviewed version beside the model's (never over it).

Design (issue 10):
- The served version (`ExtractionJob.is_current`) is read back as a `GroundedExtraction`;
  the changes (schemas.review) are applied to it in order (api.review_changes); the result is
  validated as a model answer is (sources, targets and speakers must name declared actors,
  evidence must be in the article, dates not after the article's date unless planned or
  threatened, mode belonging to its type) and enriched by the pipeline's own steps for what a
  change touched: evidence located by api.llm.alignment (offsets computed, never typed),
  dates resolved, places resolved in the offline gazetteer, ACLED type recomputed from PLOVER
  type + mode, actors' mentions and canonical names as for model answers.
- The reviewed version is a new ExtractionJob row (`reviewed_from_job_id` = the model's job it
  descends from; provenance copied from it; status succeeded; no usage) whose rows are written
  with api.extraction_store.replace_rows, and a `Review` row says who (the API key's holder,
  "anonymous" where keys are not required), when, the note, the changes as sent and the diff
  per item. All in one transaction (api.review_store).
- The reviewed version becomes the served one. A later model run does not hide it: the latest
  review stays served until a newer review (`?version=model` reads the model's latest job).
- `base_job_id`, when sent, must be the served version's job: a stale one is a 409, so two
  reviewers never silently overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from api import crud
from api.llm.actors import AliasTable
from api.llm.enrichment import ArticleContext
from api.llm.extractor import article_date_of
from api.llm.gazetteer import Gazetteer, load_gazetteer
from api.models import Article, ExtractionJob, JobStatus, Review
from api.review_changes import ChangeRejected, apply_changes, served_extraction
from api.review_store import store_review
from schemas.contract import ArticleInput
from schemas.review import ReviewIn


class ReviewRejected(Exception):
    """A review that cannot be applied: 422 (a change that does not agree with the article,
    names an unknown id or actor) or 409 (stale `base_job_id`, nothing to review)."""

    def __init__(self, status_code: int, detail: str, change_index: int | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.change_index = change_index  # which of `changes` was refused (a 422)


@dataclass(frozen=True)
class ReviewResult:
    review: Review  # the stored review row
    job: ExtractionJob  # the reviewed version's job (now the served one)


@dataclass(frozen=True)
class ReviewResources:
    """What validation needs besides the article: the alias table and the gazetteer the
    pipeline uses (an extractor holds both; tests may pass their own)."""

    aliases: AliasTable | None = None
    gazetteer: Gazetteer | None = None

    @classmethod
    def default(cls, cache_dir: Path | None = None) -> ReviewResources:
        from api.config import get_settings

        settings = get_settings()
        return cls(
            aliases=AliasTable.load(settings.aliases_file),
            gazetteer=load_gazetteer(cache_dir or settings.cache_dir),
        )


def article_context(article: Article, resources: ReviewResources) -> ArticleContext:
    """The article as enrichment sees it: the same date rule as the extractor's."""
    return ArticleContext(
        text=article.text,
        article_date=article_date_of(ArticleInput.of(article)),
        dateline=article.dateline,
        aliases=resources.aliases,
        gazetteer=resources.gazetteer,
    )


def apply_review(
    *,
    session: Session,
    article: Article,
    review: ReviewIn,
    reviewer: str | None,
    resources: ReviewResources | None = None,
) -> ReviewResult:
    """Apply `review` to the article's served version and store the reviewed version and the
    review (one transaction). Raises ReviewRejected (422 / 409); nothing is stored then."""
    assert article.id is not None
    base = crud.current_job(session=session, article_id=article.id)
    if base is None or base.status != JobStatus.SUCCEEDED:
        raise ReviewRejected(409, f"article {article.id} has no succeeded extraction to review yet")
    if review.base_job_id is not None and review.base_job_id != base.id:
        raise ReviewRejected(
            409,
            f"base_job_id {review.base_job_id} is not the version served now (job {base.id}): "
            "someone reviewed the article meanwhile; read it again and review that version",
        )
    if resources is None:
        resources = _resources_of_session(session)
    context = article_context(article, resources)
    served = served_extraction(session=session, job=base)
    try:
        applied = apply_changes(served, review.changes, context)
    except ChangeRejected as error:  # says which change and why
        raise ReviewRejected(422, str(error), error.index) from None
    row, job = store_review(
        session=session,
        article=article,
        base=base,
        applied=applied,
        review=review,
        reviewer=reviewer or "anonymous",
    )
    return ReviewResult(review=row, job=job)


def _resources_of_session(session: Session) -> ReviewResources:
    """Without an extractor at hand (the CLI, a script), the configured alias table and
    gazetteer."""
    del session
    return ReviewResources.default()
