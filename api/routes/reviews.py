"""Reviewing extractions: correct an article's served version, read its review history, and
how much reviewers agree with the model (api.review)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from api import crud, presenters, review_stats, review_store
from api import openapi_examples as examples
from api.auth import CallerDep
from api.deps import IdPath, SessionDep, get_article_or_404
from api.errors import error_response, invalid
from api.llm.actors import AliasTable
from api.llm.gazetteer import load_gazetteer
from api.review import ReviewRejected, ReviewResources, apply_review
from schemas.api import ReviewCreated
from schemas.review import ReviewIn, ReviewPublic, ReviewStats

router = APIRouter(tags=["reviews"])


def get_review_resources(request: Request) -> ReviewResources:
    """The alias table and gazetteer the app's extractor uses (built once when it has none,
    e.g. a test's fake extractor: from the app's settings)."""
    state = request.app.state
    found: ReviewResources | None = getattr(state, "review_resources", None)
    if found is None:
        extractor = state.extractor
        aliases = getattr(extractor, "aliases", None)
        gazetteer = getattr(extractor, "gazetteer", None)
        found = ReviewResources(
            aliases=aliases
            if aliases is not None
            else AliasTable.load(state.settings.aliases_file),
            gazetteer=gazetteer
            if gazetteer is not None
            else load_gazetteer(state.settings.cache_dir),
        )
        state.review_resources = found
    return found


ResourcesDep = Annotated[ReviewResources, Depends(get_review_resources)]

REVIEW_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "reviewer": "desk",
    "created_at": "2026-12-03T09:12:00Z",
    "note": "the deal is an evacuation agreement, not aid",
    "base_job_id": 1,
    "job_id": 2,
    "article_id": 1,
    "changes": [{"op": "update_event", "event_id": 1, "event_type": "AGREE", "mode": "evacuation"}],
    "diff": [
        {
            "change": 0,
            "op": "update_event",
            "kind": "event",
            "id": 1,
            "before": {"event_type": "AID", "mode": "evacuation"},
            "after": {"event_type": "AGREE", "mode": "evacuation"},
        }
    ],
}
REVIEWED_EXTRACTION_EXAMPLE = {
    **examples.EXTRACTION,
    "version": "reviewed",
    "review": {
        k: REVIEW_EXAMPLE[k]
        for k in ("id", "reviewer", "created_at", "note", "base_job_id", "job_id")
    },
}


def _agreement(kept: int, changed: dict[str, int], **counts: int) -> dict[str, Any]:
    return {
        "model_items": counts.get("model_items", kept + counts.get("deleted", 0)),
        "reviewed_items": kept + counts.get("added", 0),
        "kept": kept,
        "deleted": counts.get("deleted", 0),
        "added": counts.get("added", 0),
        "changed": changed,
        "agreement": {k: round(1 - n / kept, 4) for k, n in changed.items()},
        **({"merged": counts["merged"]} if "merged" in counts else {}),
    }


STATS_EXAMPLE: dict[str, Any] = {
    "reviewed_articles": 3,
    "reviews": 4,
    "events": _agreement(
        9,
        {
            "event_type": 2,
            "mode": 1,
            "status": 0,
            "roles": 1,
            "date": 0,
            "location": 1,
            "fatalities": 0,
        },
        deleted=1,
        added=1,
    ),
    "quotes": _agreement(11, {"speaker": 2, "kind": 0}, deleted=1),
    "actors": _agreement(8, {"name": 1, "kind": 1}, deleted=2, merged=1, model_items=11),
}


@router.post(
    "/v1/articles/{article_id}/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewCreated,
    responses={
        201: {
            "description": "Stored: the review and the reviewed version, now served.",
            "content": examples.json_content(
                {"review": REVIEW_EXAMPLE, "extraction": REVIEWED_EXTRACTION_EXAMPLE}
            ),
        },
        409: error_response(
            "`base_job_id` is not the version served now (someone reviewed meanwhile), or "
            "the article has no succeeded extraction to review."
        ),
    },
)
def create_review(
    article_id: IdPath,
    review_in: ReviewIn,
    session: SessionDep,
    caller: CallerDep,
    resources: ResourcesDep,
) -> ReviewCreated:
    """Correct the article's served extraction; stored as a reviewed version beside the
    model's (422 says which change does not agree with the article, and why)."""
    article = get_article_or_404(session, article_id)
    try:
        result = apply_review(
            session=session,
            article=article,
            review=review_in,
            reviewer=caller.name,
            resources=resources,
        )
    except ReviewRejected as rejected:
        if rejected.status_code == status.HTTP_422_UNPROCESSABLE_CONTENT:
            # a 422 has FastAPI's shape everywhere: the refused change's place and the reason
            index = rejected.change_index
            loc = ("body", "changes", index) if index is not None else ("body",)
            sent = review_in.changes[index].model_dump(mode="json") if index is not None else None
            raise invalid(loc, rejected.detail, sent) from None
        raise HTTPException(status_code=rejected.status_code, detail=rejected.detail) from None
    rows = crud.extraction_rows(session=session, job=result.job)
    return ReviewCreated(
        review=presenters.review_public(result.review),
        extraction=presenters.extraction_public(rows),
    )


@router.get(
    "/v1/articles/{article_id}/reviews",
    response_model=list[ReviewPublic],
    responses={200: {"content": {"application/json": {"example": [REVIEW_EXAMPLE]}}}},
)
def list_reviews(article_id: IdPath, session: SessionDep) -> list[ReviewPublic]:
    """The article's review history, oldest first: who, when, the note, what changed."""
    article = get_article_or_404(session, article_id)
    assert article.id is not None
    rows = review_store.reviews_of_article(session=session, article_id=article.id)
    return [presenters.review_public(r) for r in rows]


@router.get(
    "/v1/review/stats",
    response_model=ReviewStats,
    responses={200: {"content": examples.json_content(STATS_EXAMPLE)}},
)
def read_review_stats(session: SessionDep) -> ReviewStats:
    """Agreement between the model's version and the reviewed one per kind and field, over
    every reviewed article: what reviewers change most."""
    return review_stats.review_stats(session=session)
