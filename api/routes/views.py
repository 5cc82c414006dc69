"""The article view: the text with every quote, evidence sentence, place and actor mention
marked from the stored offsets (a colour per actor), the events, quotes and actors beside it,
filters, and the review controls. All of it is HTML from the server, so it reads without
JavaScript; api/static/view.js adds selection and posts corrections to the JSON API.

Without JavaScript the review forms post here (`POST /articles/{id}/review`, form-encoded):
the form becomes a `ReviewIn` (api.view_forms), api.review applies it, and the answer is a
303 back to the view, or the view again with the reason as text (a 4xx).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from api import crud, presenters
from api.auth import Caller, require
from api.deps import IdPath, SessionDep, get_article_or_404
from api.errors import json_error_responses
from api.models import ApiKeyScope, Article
from api.openapi_examples import VIEW_HTML
from api.review import ReviewRejected, apply_review
from api.routes.reviews import get_review_resources
from api.view_auth import PAGE_HEADERS, ViewCallerDep
from api.view_forms import FormRejected, parse_form, review_of_form
from api.view_page import (
    Mark,
    Segment,
    actor_colours,
    actor_label,
    marks_of,
    place_label,
    segments,
)
from schemas.extraction import (
    MODES_BY_TYPE,
    ActorKind,
    EventMode,
    EventStatus,
    EventType,
    QuoteKind,
)

__all__ = ["Mark", "Segment", "router", "segments"]

router = APIRouter(tags=["views"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

Version = Literal["reviewed", "model"]
# the values the filters and review forms offer
CHOICES: dict[str, Any] = {
    "event_types": [t.value for t in EventType],
    "modes_by_type": {t.value: sorted(m.value for m in ms) for t, ms in MODES_BY_TYPE.items()},
    "modes": [m.value for m in EventMode],
    "statuses": [s.value for s in EventStatus],
    "quote_kinds": [k.value for k in QuoteKind],
    "actor_kinds": [k.value for k in ActorKind],
}


def _page(
    request: Request,
    session: Session,
    article: Article,
    caller: Caller,
    *,
    version: Version | None = None,
    filters: dict[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
    code: int = 200,
) -> HTMLResponse:
    current, jobs = crud.article_rows(session=session, article=article, version=version)
    missing = None
    if version == "reviewed" and (current is None or current.job.reviewed_from_job_id is None):
        missing = "This article has no reviewed version yet: the model's is shown."
        current, jobs = crud.article_rows(session=session, article=article)
    public = presenters.article_public(article, current, jobs)
    extraction = public.extraction
    assert article.id is not None
    served = crud.current_job(session=session, article_id=article.id)
    shown_served = extraction is not None and served is not None and served.id == extraction.job.id
    context: dict[str, Any] = {
        "article": public,
        "extraction": extraction,
        "version": getattr(extraction, "version", "model"),
        "review_info": getattr(extraction, "review", None),
        "requested_version": version or "",
        "segments": segments(
            article.text, marks_of(extraction, article.text) if extraction else []
        ),
        "colours": actor_colours(extraction.actors) if extraction else {},
        "actor_label": actor_label,
        "place_label": place_label,
        "filters": filters or {},
        "notice": notice or missing,
        "error": error,
        # corrections apply to the served version: its forms only where it is the one shown
        "can_review": shown_served and caller.allows(ApiKeyScope.WRITE),
        "served_shown": shown_served,
        "caller": caller,
        "choices": CHOICES,
    }
    return templates.TemplateResponse(
        request, "article.html", context, status_code=code, headers=PAGE_HEADERS
    )


@router.get(
    "/articles/{article_id}/view",
    response_class=HTMLResponse,
    responses={
        **json_error_responses(),
        200: {
            "description": "The article as HTML, its spans highlighted, with review controls.",
            "content": {"text/html": {"schema": {"type": "string"}, "example": VIEW_HTML}},
        },
    },
)
def view_article(
    article_id: IdPath,
    request: Request,
    session: SessionDep,
    caller: ViewCallerDep,
    version: Annotated[
        Version | None,
        Query(description="The served extraction by default; `model` the model's latest."),
    ] = None,
    event_type: Annotated[
        EventType | None, Query(alias="type", description="Show events of this type.")
    ] = None,
    status_: Annotated[
        EventStatus | None, Query(alias="status", description="Show events of this status.")
    ] = None,
    kind: Annotated[QuoteKind | None, Query(description="Show quotes of this kind.")] = None,
    saved: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """The article with its extraction highlighted, the items beside it and the review
    controls."""
    require(caller, ApiKeyScope.READ, "reading the article view")
    article = get_article_or_404(session, article_id)
    filters = {
        name: value.value
        for name, value in (("type", event_type), ("status", status_), ("kind", kind))
        if value is not None
    }
    notice = (
        f"Correction stored (review {saved}): the reviewed version is served." if saved else None
    )
    return _page(request, session, article, caller, version=version, filters=filters, notice=notice)


@router.post(
    "/articles/{article_id}/review",
    response_class=HTMLResponse,
    include_in_schema=False,  # the JSON API is POST /v1/articles/{id}/reviews
)
async def review_from_form(article_id: IdPath, request: Request, caller: ViewCallerDep) -> Response:
    """A view form's correction (form-encoded): stored, then back to the view (303); refused,
    the view again with the reason."""
    with Session(request.app.state.engine) as session:
        article = get_article_or_404(session, article_id)
        if not caller.allows(ApiKeyScope.WRITE):
            detail = f"the key of {caller.name!r} may only read: corrections need scope 'write'"
            return _page(request, session, article, caller, error=detail, code=403)
        rows, _jobs = crud.article_rows(session=session, article=article)
        if rows is None:
            detail = "this article has no extraction to correct yet"
            return _page(request, session, article, caller, error=detail, code=409)
        try:
            review = review_of_form(
                parse_form(await request.body()), presenters.extraction_public(rows)
            )
            result = apply_review(
                session=session,
                article=article,
                review=review,
                reviewer=caller.name,
                resources=get_review_resources(request),
            )
        except (FormRejected, ReviewRejected) as rejected:
            session.rollback()
            detail = f"The correction was not stored: {rejected.detail}"
            return _page(request, session, article, caller, error=detail, code=rejected.status_code)
    url = f"/articles/{article_id}/view?saved={result.review.id}"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
