"""Events of the current extractions: browse with filters, export ACLED-style."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import browse, crud, presenters
from api.deps import SEARCH_MAX_CHARS, EngineDep, IdQuery, PaginationDep, SearchTerm, SessionDep
from api.errors import invalid
from api.models import ActorRole, Article
from schemas.api import EventActorPublic, EventPublic, IsoDate, Page
from schemas.extraction import EventMode, EventStatus, EventType, Location
from schemas.grounded import Span

router = APIRouter(prefix="/v1/events", tags=["events"])
log = structlog.get_logger(__name__)

EXPORT_BATCH = 500
# ACLED's time_precision: 1 = day, 2 = week, 3 = month or coarser
_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}
# ACLED's geo_precision: 1 = the place, 2 = part of a region, 3 = a province or country
_GEO_PRECISION = {"place": 1, "admin_area": 3, "country": 3}
EXPORT_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "actor2",
    "assoc_actor_2",
    "country",
    "country_code",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "geonameid",
    "geo_precision",
    "source",
    "source_url",
    "notes",
    "fatalities",
    "plover_event_type",
    "plover_mode",
    "status",
    "evidence",
    "evidence_start",
    "evidence_end",
    "article_id",
    "job_id",
]


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def event_filters(
    event_type: Annotated[EventType | None, Query(alias="type", description="PLOVER type")] = None,
    mode: EventMode | None = None,
    status: EventStatus | None = None,
    actor: Annotated[
        SearchTerm,
        Query(
            max_length=SEARCH_MAX_CHARS,
            description="A canonical actor's name or any alias (SDF, Daesh)",
        ),
    ] = None,
    role: Annotated[ActorRole | None, Query(description="With actor: source or target")] = None,
    since: Annotated[IsoDate | None, Query(description="Events on or after this date")] = None,
    until: Annotated[IsoDate | None, Query(description="Events on or before this date")] = None,
    location: Annotated[
        SearchTerm,
        Query(max_length=SEARCH_MAX_CHARS, description="Part of the place, admin area or country"),
    ] = None,
    article_id: IdQuery = None,
) -> browse.EventFilters:
    if since and until and since > until:
        raise invalid(("query", "until"), f"since {since} is after until {until}", str(until))
    return browse.EventFilters(
        event_type=event_type.value if event_type else None,
        mode=mode.value if mode else None,
        status=status.value if status else None,
        actor=actor,
        role=role.value if role else None,
        since=since,
        until=until,
        location=location,
        article_id=article_id,
    )


FiltersDep = Annotated[browse.EventFilters, Depends(event_filters)]


@router.get("", response_model=Page[EventPublic])
def list_events(session: SessionDep, filters: FiltersDep, page: PaginationDep) -> Page[EventPublic]:
    """Events of every article's current extraction, newest date first."""
    rows, total = browse.list_events(
        session=session, filters=filters, limit=page.limit, offset=page.offset
    )
    return page.of(
        presenters.events_public(rows, *crud.event_rows(session=session, events=rows)), total
    )


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_events(
    engine: EngineDep, filters: FiltersDep, format: ExportFormat = ExportFormat.CSV
) -> StreamingResponse:
    """Every matching event, one row each, with ACLED-style columns (CSV or JSON lines). CSV
    cells that a spreadsheet would run as a formula start with a quote (')."""
    # the filters are checked and the first page read before the 200 goes out: what can fail
    # here fails with a status, not in the middle of the body
    first = _export_page(engine, filters, 0)
    rows = _export_rows(engine, filters, first)
    if format == ExportFormat.JSONL:
        body: Iterator[str] = (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        media, suffix = "application/x-ndjson", "jsonl"
    else:
        body, media, suffix = _csv_lines(rows), "text/csv", "csv"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="wirecoder-events.{suffix}"'},
    )


# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: a string starting like a formula gets a leading
    quote; numbers stay numbers (a negative longitude is no formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_lines(rows: Iterator[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow({column: csv_cell(value) for column, value in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


ExportPage = list[dict[str, object]]


def _export_page(engine: Engine, filters: browse.EventFilters, offset: int) -> ExportPage:
    with Session(engine) as session:
        events, _ = browse.list_events(
            session=session, filters=filters, limit=EXPORT_BATCH, offset=offset
        )
        if not events:
            return []
        public = presenters.events_public(events, *crud.event_rows(session=session, events=events))
        ids = {e.article_id for e in events}
        articles = {a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(ids)))}
    return [_acled_row(event, articles[event.article_id]) for event in public]


def _export_rows(
    engine: Engine, filters: browse.EventFilters, first: ExportPage
) -> Iterator[dict[str, object]]:
    page, offset = first, 0
    while page:
        yield from page
        if len(page) < EXPORT_BATCH:
            return
        offset += EXPORT_BATCH
        try:
            page = _export_page(engine, filters, offset)
        except Exception:
            # the 200 is out: the connection is dropped unfinished, so the client sees a
            # truncated download rather than a short file that looks complete
            log.exception("export_failed", offset=offset)
            raise


def _names(actors: list[EventActorPublic]) -> list[str]:
    return [a.canonical_name or a.name for a in actors]


def _acled_row(event: EventPublic, article: Article) -> dict[str, object]:
    sources, targets = _names(event.sources), _names(event.targets)
    location = event.location or Location()
    span = event.evidence_span or Span(text=event.evidence)
    return {
        "event_id_cnty": f"WC{event.id}",
        "event_date": event.date.isoformat() if event.date else "",
        "year": event.date.year if event.date else "",
        "time_precision": _TIME_PRECISION.get(event.date_precision, ""),
        "event_type": event.acled_event_type or "",
        "sub_event_type": event.acled_sub_event_type or "",
        "actor1": sources[0] if sources else "",
        "assoc_actor_1": "; ".join(sources[1:]),
        "actor2": targets[0] if targets else "",
        "assoc_actor_2": "; ".join(targets[1:]),
        "country": location.country or "",
        "country_code": location.country_code or "",
        "admin1": location.admin_area or "",
        "location": location.place or "",
        "latitude": location.latitude if location.latitude is not None else "",
        "longitude": location.longitude if location.longitude is not None else "",
        "geonameid": location.geonameid or "",
        # GeoNames' precision where the place was resolved, else the level the text named
        "geo_precision": location.geo_precision or _GEO_PRECISION.get(location.precision, ""),
        "source": article.source or "",
        "source_url": article.url or "",
        "notes": event.summary,
        "fatalities": event.fatalities if event.fatalities is not None else "",
        "plover_event_type": event.event_type.value,
        "plover_mode": event.mode.value if event.mode else "",
        "status": event.status.value,
        "evidence": event.evidence,
        "evidence_start": span.start if span.start is not None else "",
        "evidence_end": span.end if span.end is not None else "",
        "article_id": event.article_id,
        "job_id": event.job_id,
    }
