"""Submit articles, list and read them, re-run their extraction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from api import crud, presenters
from api.deps import (
    EngineDep,
    ExtractorDep,
    JobQueueDep,
    PaginationDep,
    SessionDep,
    SettingsDep,
    get_article_or_404,
)
from api.jobs import wait_for_job
from api.models import Article, ExtractionJob, JobStatus
from api.service import ArticleTooLong, check_length, rerun_article, submit_article
from schemas.api import (
    ArticleBatchIn,
    ArticleBatchSubmitted,
    ArticleIn,
    ArticlePublic,
    ArticleSubmitted,
    ArticleSummary,
    Page,
)

router = APIRouter(prefix="/v1/articles", tags=["articles"])

WaitQuery = Annotated[
    float | None,
    Query(
        ge=0,
        le=600,
        description="Seconds to wait for the extraction; when it finishes in time the answer "
        "is 200 with the extraction, else 202 as without wait.",
    ),
]


def _check_length(article: ArticleIn, settings: SettingsDep, where: str = "text") -> None:
    try:
        check_length(article, settings, where)
    except ArticleTooLong as error:
        raise HTTPException(
            status_code=status.HTTP_413_CONTENT_TOO_LARGE, detail=str(error)
        ) from None


def _respond(
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    article: Article,
    created: bool,
    job: ExtractionJob,
    wait: float | None,
) -> ArticleSubmitted:
    """202 and the job; with `wait`, 200 and the extraction when the job finishes in time."""
    assert article.id is not None and job.id is not None
    response.headers["Location"] = presenters.job_url(job.id)
    response.status_code = status.HTTP_202_ACCEPTED
    extraction = None
    if wait is not None:
        job = wait_for_job(engine, job.id, wait)
        if JobStatus(job.status).finished:
            response.status_code = status.HTTP_200_OK
            if job.status == JobStatus.SUCCEEDED:
                extraction = presenters.extraction_public(
                    crud.extraction_rows(session=session, job=job)
                )
    return ArticleSubmitted(
        article_id=article.id,
        article_created=created,
        job=presenters.job_ref(job),
        extraction=extraction,
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArticleSubmitted,
    responses={
        200: {"description": "With ?wait: the extraction finished in time."},
        400: {"description": "The body is not valid JSON."},
        413: {"description": "The text is longer than the configured limit."},
        422: {"description": "A field is missing or wrong (empty text, future date, ...)."},
    },
)
def submit(
    article_in: ArticleIn,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
    wait: WaitQuery = None,
) -> ArticleSubmitted:
    """Store an article and queue its extraction; the job's URL is in the Location header."""
    _check_length(article_in, settings)
    done = submit_article(
        session=session, queue=queue, provenance=extractor.provenance, article_in=article_in
    )
    return _respond(response, session, engine, done.article, done.article_created, done.job, wait)


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArticleBatchSubmitted,
    responses={413: {"description": "An article's text is longer than the limit."}},
)
def submit_batch(
    batch: ArticleBatchIn,
    session: SessionDep,
    settings: SettingsDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
) -> ArticleBatchSubmitted:
    """Store up to 100 articles and queue their extractions (all or nothing on bad input)."""
    for index, article_in in enumerate(batch.articles):
        _check_length(article_in, settings, f"articles[{index}].text")
    items = []
    for article_in in batch.articles:
        done = submit_article(
            session=session, queue=queue, provenance=extractor.provenance, article_in=article_in
        )
        assert done.article.id is not None
        items.append(
            ArticleSubmitted(
                article_id=done.article.id,
                article_created=done.article_created,
                job=presenters.job_ref(done.job),
            )
        )
    return ArticleBatchSubmitted(items=items)


@router.get("", response_model=Page[ArticleSummary])
def list_articles(session: SessionDep, page: PaginationDep) -> Page[ArticleSummary]:
    """Stored articles, newest first."""
    rows, total = crud.list_articles(session=session, limit=page.limit, offset=page.offset)
    return page.of([presenters.article_summary(a) for a in rows], total)


@router.get("/{article_id}", response_model=ArticlePublic, responses={404: {}})
def read_article(article_id: int, session: SessionDep) -> ArticlePublic:
    """An article with its current extraction and every extraction job."""
    article = get_article_or_404(session, article_id)
    return presenters.article_public(article, *crud.article_rows(session=session, article=article))


@router.post(
    "/{article_id}/extract",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArticleSubmitted,
    responses={404: {}, 200: {"description": "With ?wait: finished in time."}},
)
def extract_again(
    article_id: int,
    response: Response,
    session: SessionDep,
    engine: EngineDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
    wait: WaitQuery = None,
) -> ArticleSubmitted:
    """Re-run the extraction with the current prompt and model (a new prompt or model gives a
    new extraction and keeps the old one)."""
    article = get_article_or_404(session, article_id)
    job = rerun_article(
        session=session, queue=queue, provenance=extractor.provenance, article=article
    )
    return _respond(response, session, engine, article, False, job, wait)
