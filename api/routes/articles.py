"""Submit articles, list and read them, re-run their extraction."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlmodel import Session

from api import crud, presenters
from api import openapi_examples as examples
from api.auth import limit_reruns
from api.config import Settings
from api.deps import (
    EngineDep,
    ExtractorDep,
    IdPath,
    JobQueueDep,
    JobWaiterDep,
    PaginationDep,
    SessionDep,
    SettingsDep,
    get_article_or_404,
)
from api.job_waiter import JobWaiter
from api.models import Article, ExtractionJob, JobStatus
from api.service import (
    ArticleTooLong,
    OnConflict,
    Submission,
    check_length,
    patch_article,
    rerun_article,
    submit_article,
)
from schemas.api import (
    EXAMPLE_TEXT,
    ArticleBatchIn,
    ArticleBatchSubmitted,
    ArticleIn,
    ArticlePatch,
    ArticlePublic,
    ArticleSubmitted,
    ArticleSummary,
    ArticleUpdated,
    Page,
)

router = APIRouter(prefix="/v1/articles", tags=["articles"])

WaitQuery = Annotated[
    float | None,
    Query(
        ge=0,
        le=600,
        description="Seconds to wait for the extraction (at most WIRECODER_MAX_WAIT_S); when "
        "it finishes in time the answer is 200 with the extraction, else 202 as without wait. "
        "A waiting request holds no server thread.",
    ),
]
OnConflictQuery = Annotated[
    OnConflict,
    Query(
        description="When the text is already stored with other metadata: `keep` the stored "
        "(the answer's `metadata` is `kept` and `metadata_differs` names the fields), or "
        "`update` it with the fields sent (`updated`; a finished extraction is not re-run)."
    ),
]
Responses = dict[int | str, dict[str, Any]]
WAITED: Responses = {
    200: {
        "model": ArticleSubmitted,
        "description": "With ?wait: the job finished in time. `job.status` says how: "
        "succeeded (with the extraction), or invalid or failed (with `job.error`, the reason, "
        "and `job.attempts`).",
        "content": examples.json_examples(
            succeeded=("The extraction, stored", examples.SUCCEEDED),
            failed=("The job failed: the reason is in job.error", examples.FAILED),
        ),
    },
    202: {
        "description": "Stored and queued (or still running after ?wait): poll the job at "
        "`job.url`, the Location header.",
        "content": examples.json_content(examples.SUBMITTED),
    },
}


def _check_length(article: ArticleIn, settings: SettingsDep, where: str = "text") -> None:
    try:
        check_length(article, settings, where)
    except ArticleTooLong as error:
        raise HTTPException(
            status_code=status.HTTP_413_CONTENT_TOO_LARGE, detail=str(error)
        ) from None


def _submitted(article: Article, created: bool, job: ExtractionJob) -> ArticleSubmitted:
    assert article.id is not None
    return ArticleSubmitted(
        article_id=article.id, article_created=created, job=presenters.job_ref(job)
    )


def _submission(done: Submission) -> ArticleSubmitted:
    return _submitted(done.article, done.article_created, done.job).model_copy(
        update={"metadata": done.metadata, "metadata_differs": list(done.metadata_differs)}
    )


def _as_it_stands(engine: Engine, submitted: ArticleSubmitted) -> ArticleSubmitted:
    """The job read again, with its extraction when it succeeded (blocking)."""
    with Session(engine) as session:
        job = session.get(ExtractionJob, submitted.job.id)
        if job is None:  # DELETE /v1/articles/{id} took it while we waited
            raise HTTPException(
                status_code=status.HTTP_404_NOT_FOUND,
                detail=f"article {submitted.article_id} was deleted while its job ran",
            )
        extraction = None
        if job.status == JobStatus.SUCCEEDED:
            extraction = presenters.extraction_public(
                crud.extraction_rows(session=session, job=job)
            )
        return submitted.model_copy(
            update={"job": presenters.job_ref(job), "extraction": extraction}
        )


async def _respond(
    response: Response,
    engine: Engine,
    waiter: JobWaiter,
    settings: Settings,
    submitted: ArticleSubmitted,
    wait: float | None,
) -> ArticleSubmitted:
    """202 and the job; with `wait`, 200 and the extraction when the job finishes in time.
    The wait is on the event loop (api.job_waiter), the reads in the threadpool."""
    response.headers["Location"] = presenters.job_url(submitted.job.id)
    response.status_code = status.HTTP_202_ACCEPTED
    if wait is None:
        return submitted
    if not JobStatus(submitted.job.status).finished:
        await waiter.wait(submitted.job.id, min(wait, settings.max_wait_s))
    answer = await run_in_threadpool(_as_it_stands, engine, submitted)
    if JobStatus(answer.job.status).finished:
        response.status_code = status.HTTP_200_OK
    return answer


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, response_model=ArticleSubmitted, responses=WAITED
)
async def submit(
    article_in: ArticleIn,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
    waiter: JobWaiterDep,
    wait: WaitQuery = None,
    on_conflict: OnConflictQuery = OnConflict.KEEP,
) -> ArticleSubmitted:
    """Store an article and queue its extraction; the job's URL is in the Location header.

    Text already stored is the same article (and, for this prompt and model, the same job):
    `metadata` says what became of the title, url, source, published_at and dateline sent —
    `same`, `kept` (they differ, listed in `metadata_differs`; the stored ones stay) or, with
    `?on_conflict=update`, `updated`. New metadata does not re-run a finished extraction:
    where published_at, dateline or title changed, POST /v1/articles/{id}/extract re-codes it
    (dates and places resolve against them)."""
    _check_length(article_in, settings)

    def store() -> ArticleSubmitted:
        with Session(engine) as session:
            done = submit_article(
                session=session,
                queue=queue,
                provenance=extractor.provenance,
                article_in=article_in,
                on_conflict=on_conflict,
            )
            return _submission(done)

    submitted = await run_in_threadpool(store)
    return await _respond(response, engine, waiter, settings, submitted, wait)


@router.post(
    "/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ArticleBatchSubmitted,
    responses={
        202: {
            "description": "Every article stored and its job queued.",
            "content": examples.json_content({"items": [examples.SUBMITTED]}),
        }
    },
)
def submit_batch(
    batch: ArticleBatchIn,
    session: SessionDep,
    settings: SettingsDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
    on_conflict: OnConflictQuery = OnConflict.KEEP,
) -> ArticleBatchSubmitted:
    """Store up to 100 articles and queue their extractions (all or nothing on bad input);
    each item's `metadata` says what became of known text's metadata, as for one article."""
    for index, article_in in enumerate(batch.articles):
        _check_length(article_in, settings, f"articles[{index}].text")
    items = []
    for article_in in batch.articles:
        done = submit_article(
            session=session,
            queue=queue,
            provenance=extractor.provenance,
            article_in=article_in,
            on_conflict=on_conflict,
        )
        items.append(_submission(done))
    return ArticleBatchSubmitted(items=items)


@router.get(
    "",
    response_model=Page[ArticleSummary],
    responses={200: {"content": examples.json_content(examples.page(examples.ARTICLE_SUMMARY))}},
)
def list_articles(session: SessionDep, page: PaginationDep) -> Page[ArticleSummary]:
    """Stored articles, newest first."""
    rows, total = crud.list_articles(session=session, limit=page.limit, offset=page.offset)
    return page.of([presenters.article_summary(a) for a in rows], total)


@router.get(
    "/{article_id}",
    response_model=ArticlePublic,
    responses={200: {"content": examples.json_content(examples.article(EXAMPLE_TEXT))}},
)
def read_article(
    article_id: IdPath,
    session: SessionDep,
    version: Annotated[
        Literal["reviewed", "model"] | None,
        Query(
            description="Which extraction: the served one by default (the latest review once "
            "reviewed, else the model's); `model` the model's latest; `reviewed` the latest "
            "review (404 when none)."
        ),
    ] = None,
) -> ArticlePublic:
    """An article with its served extraction (saying which version it is) and every model
    extraction job."""
    article = get_article_or_404(session, article_id)
    current, jobs = crud.article_rows(session=session, article=article, version=version)
    if version == "reviewed" and (current is None or current.review is None):
        raise HTTPException(status_code=404, detail=f"article {article_id} has no review")
    return presenters.article_public(article, current, jobs)


@router.post(
    "/{article_id}/extract",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(limit_reruns)],
    response_model=ArticleSubmitted,
    responses=WAITED,
)
async def extract_again(
    article_id: IdPath,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
    extractor: ExtractorDep,
    queue: JobQueueDep,
    waiter: JobWaiterDep,
    wait: WaitQuery = None,
) -> ArticleSubmitted:
    """Re-run the extraction with the current prompt and model (a new prompt or model gives a
    new extraction and keeps the old one)."""

    def rerun() -> ArticleSubmitted:
        with Session(engine) as session:
            article = get_article_or_404(session, article_id)
            job = rerun_article(
                session=session, queue=queue, provenance=extractor.provenance, article=article
            )
            return _submitted(article, False, job)

    submitted = await run_in_threadpool(rerun)
    return await _respond(response, engine, waiter, settings, submitted, wait)


@router.patch(
    "/{article_id}",
    response_model=ArticleUpdated,
    responses={200: {"content": examples.json_content(examples.article_updated(EXAMPLE_TEXT))}},
)
def update_article(article_id: IdPath, patch: ArticlePatch, session: SessionDep) -> ArticleUpdated:
    """Change an article's metadata (title, url, source, published_at, dateline), validated
    as POST validates them; a field sent as null is cleared, one not sent is kept. The
    extraction is not re-run: `extraction_outdated` says when it read a value that changed
    (published_at and the dateline resolve its dates and places), and POST
    /v1/articles/{id}/extract re-codes it. A 422 names a field that is not metadata (the
    text cannot be patched) or a value POST would refuse."""
    article = get_article_or_404(session, article_id)
    changed, outdated = patch_article(session=session, article=article, changes=patch.changes())
    public = presenters.article_public(
        article, *crud.article_rows(session=session, article=article)
    )
    return ArticleUpdated(**dict(public), changed=changed, extraction_outdated=outdated)


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={204: {"description": "Deleted, with its jobs, extractions and reviews."}},
)
def delete_article(article_id: IdPath, session: SessionDep) -> Response:
    """Delete an article with its extraction jobs, their actors, events and quotes, and its
    reviews, in one transaction (canonical actors are shared across articles and stay). A
    job of it still queued or running ends without storing anything."""
    if not crud.delete_article(session=session, article_id=article_id):
        raise HTTPException(status_code=404, detail=f"article {article_id} not found")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
