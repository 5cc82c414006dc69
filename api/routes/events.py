"""Events of the current extractions: browse with filters, export ACLED-style."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import browse, crud, presenters
from api import openapi_examples as examples
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
# The export's columns in order, ACLED's names first: (JSON type in the JSON lines export,
# meaning). An unknown value is "" in both formats, as in ACLED's own files.
_OR_EMPTY = ' or "" when unknown'
EXPORT_COLUMNS: dict[str, tuple[str | list[str], str]] = {
    "event_id_cnty": ("string", "WC and the event's id"),
    "event_date": ("string", 'YYYY-MM-DD, or ""'),
    "year": (["integer", "string"], "The event's year" + _OR_EMPTY),
    "time_precision": (["integer", "string"], "1 day, 2 week, 3 month or coarser" + _OR_EMPTY),
    "event_type": ("string", "ACLED event type, from the PLOVER type and mode"),
    "sub_event_type": ("string", "ACLED sub-event type"),
    "actor1": ("string", "The first source actor (canonical name)"),
    "assoc_actor_1": ("string", "The other source actors, separated by '; '"),
    "actor2": ("string", "The first target actor (canonical name)"),
    "assoc_actor_2": ("string", "The other target actors, separated by '; '"),
    "country": ("string", "Country of the place"),
    "country_code": ("string", "ISO 3166-1 alpha-2"),
    "admin1": ("string", "First-level administrative area"),
    "location": ("string", "The place as the article names it"),
    "latitude": (["number", "string"], "GeoNames latitude" + _OR_EMPTY),
    "longitude": (["number", "string"], "GeoNames longitude" + _OR_EMPTY),
    "geonameid": (["integer", "string"], "GeoNames id" + _OR_EMPTY),
    "geo_precision": (
        ["integer", "string"],
        "1 the place, 2 part of a region, 3 a province or country" + _OR_EMPTY,
    ),
    "source": ("string", "The article's source"),
    "source_url": ("string", "The article's URL"),
    "notes": ("string", "The event's summary"),
    "fatalities": (["integer", "string"], "Deaths, coded low when vague" + _OR_EMPTY),
    "plover_event_type": ("string", "PLOVER event type"),
    "plover_mode": ("string", "PLOVER mode"),
    "status": ("string", "asserted, claimed, denied, threatened or planned"),
    "evidence": ("string", "The article's sentence the event rests on, verbatim"),
    "evidence_start": (["integer", "string"], "Its first character in the article's text"),
    "evidence_end": (["integer", "string"], "The character after its last"),
    "article_id": ("integer", "The article"),
    "job_id": ("integer", "The extraction job"),
}


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


# ---- the export's rows ----------------------------------------------------------------------

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
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS))
    writer.writeheader()
    for row in rows:
        writer.writerow({column: csv_cell(value) for column, value in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _names(actors: list[EventActorPublic]) -> list[str]:
    return [a.canonical_name or a.name for a in actors]


def _acled_row(event: EventPublic, source: str | None, url: str | None) -> dict[str, object]:
    """One export row: the event and its article's source and URL."""
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
        "source": source or "",
        "source_url": url or "",
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


# The docs' example row is the export's own row of the example event.
_EXAMPLE_ROW = _acled_row(
    EventPublic.model_validate(examples.EVENT),
    examples.ARTICLE_SUMMARY["source"],
    examples.ARTICLE_SUMMARY["url"],
)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One row per event, with these columns in this order: "
        + ", ".join(EXPORT_COLUMNS)
        + ".",
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "A header line naming the columns, then one line per event.",
                },
                "example": "".join(_csv_lines(iter([_EXAMPLE_ROW]))),
            },
            "application/x-ndjson": {
                "schema": {
                    "description": "One JSON object per line, one line per event.",
                    "type": "object",
                    "properties": {
                        name: {"type": kind, "description": meaning}
                        for name, (kind, meaning) in EXPORT_COLUMNS.items()
                    },
                    "required": list(EXPORT_COLUMNS),
                },
                "example": _EXAMPLE_ROW,
            },
        },
    }
}


# ---- routes ---------------------------------------------------------------------------------


@router.get(
    "",
    response_model=Page[EventPublic],
    responses={200: {"content": examples.json_content(examples.page(examples.EVENT))}},
)
def list_events(session: SessionDep, filters: FiltersDep, page: PaginationDep) -> Page[EventPublic]:
    """Events of every article's current extraction, newest date first."""
    rows, total = browse.list_events(
        session=session, filters=filters, limit=page.limit, offset=page.offset
    )
    return page.of(
        presenters.events_public(rows, *crud.event_rows(session=session, events=rows)), total
    )


@router.get("/export", response_class=StreamingResponse, responses=EXPORT_RESPONSES)
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
    return [
        _acled_row(event, articles[event.article_id].source, articles[event.article_id].url)
        for event in public
    ]


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
