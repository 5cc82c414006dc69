"""FastAPI dependencies: what routes take, read from what the lifespan built on app.state.

Tests swap any of them with `app.dependency_overrides`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request
from pydantic import AfterValidator
from sqlalchemy import Engine
from sqlmodel import Session

from api.config import Settings
from api.errors import invalid
from api.job_waiter import JobWaiter
from api.jobs import ExtractorLike, JobQueue
from api.models import Article
from schemas.api import Page
from schemas.text import clean_line

T = TypeVar("T")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_extractor(request: Request) -> ExtractorLike:
    extractor: ExtractorLike = request.app.state.extractor
    return extractor


def get_job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


def get_job_waiter(request: Request) -> JobWaiter:
    waiter: JobWaiter = request.app.state.job_waiter
    return waiter


def get_article_or_404(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise HTTPException(status_code=404, detail=f"article {article_id} not found")
    return article


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
ExtractorDep = Annotated[ExtractorLike, Depends(get_extractor)]
JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]
JobWaiterDep = Annotated[JobWaiter, Depends(get_job_waiter)]

# Ids are INTEGER columns (32 bits on PostgreSQL): a larger one is refused here, before it
# reaches the database; so are offsets past any row.
ID_MAX = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=ID_MAX, examples=[1])]
IdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX)]
SEARCH_MAX_CHARS = 200


def _search_term(value: str | None) -> str | None:
    """A filter's text under the rule for stored strings (schemas.text.clean_line); one
    without content is "" and filters nothing."""
    return clean_line(value, field="the filter") if value is not None else None


SearchTerm = Annotated[str | None, AfterValidator(_search_term)]


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int

    def of(self, items: list[T], total: int) -> Page[T]:
        return Page(total=total, limit=self.limit, offset=self.offset, items=items)


def get_pagination(
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=ID_MAX, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=ID_MAX, description="Items to skip.")] = 0,
) -> Pagination:
    if limit > settings.page_size_max:
        raise invalid(
            ("query", "limit"),
            f"limit {limit} is over the maximum page size {settings.page_size_max}",
            limit,
        )
    return Pagination(limit=limit, offset=offset)


PaginationDep = Annotated[Pagination, Depends(get_pagination)]
