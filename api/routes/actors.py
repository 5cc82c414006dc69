"""Canonical actors across articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import browse, presenters
from api.deps import SEARCH_MAX_CHARS, PaginationDep, SearchTerm, SessionDep
from api.openapi_examples import CANONICAL_ACTOR, json_content, page
from schemas.api import CanonicalActorPublic, Page
from schemas.extraction import ActorKind

router = APIRouter(prefix="/v1/actors", tags=["actors"])


@router.get(
    "",
    response_model=Page[CanonicalActorPublic],
    responses={200: {"content": json_content(page(CANONICAL_ACTOR))}},
)
def list_actors(
    session: SessionDep,
    page: PaginationDep,
    name: Annotated[
        SearchTerm,
        Query(max_length=SEARCH_MAX_CHARS, description="A name or any alias (SDF, ISIS)"),
    ] = None,
    kind: ActorKind | None = None,
) -> Page[CanonicalActorPublic]:
    """Canonical actors with their aliases and how many articles, events and quotes of the
    current extractions involve them."""
    summaries, total = browse.list_actors(
        session=session,
        name=name,
        kind=kind.value if kind else None,
        limit=page.limit,
        offset=page.offset,
    )
    return page.of([presenters.canonical_actor_public(s) for s in summaries], total)
