"""Quotes of the current extractions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import browse, crud, presenters
from api.deps import SEARCH_MAX_CHARS, IdQuery, PaginationDep, SearchTerm, SessionDep
from api.openapi_examples import QUOTE, json_content, page
from schemas.api import Page, QuotePublic

router = APIRouter(prefix="/v1/quotes", tags=["quotes"])


@router.get(
    "", response_model=Page[QuotePublic], responses={200: {"content": json_content(page(QUOTE))}}
)
def list_quotes(
    session: SessionDep,
    page: PaginationDep,
    speaker: Annotated[
        SearchTerm,
        Query(
            max_length=SEARCH_MAX_CHARS,
            description="The speaker's name, or any alias of their actor",
        ),
    ] = None,
    article_id: IdQuery = None,
) -> Page[QuotePublic]:
    """Quotes with their speakers and offsets into the article."""
    rows, total = browse.list_quotes(
        session=session,
        speaker=speaker,
        article_id=article_id,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of(
        presenters.quotes_public(rows, crud.quote_canonicals(session=session, quotes=rows)), total
    )
