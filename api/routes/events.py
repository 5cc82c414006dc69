"""Events of the current extractions: browse with filters, export ACLED-style."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from api import acled_export, browse, crud, presenters
from api import openapi_examples as examples
from api.deps import SEARCH_MAX_CHARS, EngineDep, IdQuery, PaginationDep, SearchTerm, SessionDep
from api.errors import invalid
from api.models import ActorRole
from schemas.api import EventPublic, IsoDate, Page
from schemas.extraction import EventMode, EventStatus, EventType

router = APIRouter(prefix="/v1/events", tags=["events"])
log = structlog.get_logger(__name__)


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


# The docs' example row is the export's own row of the example event.
_EXAMPLE_ROW = acled_export.acled_row(
    EventPublic.model_validate(examples.EVENT),
    acled_export.RowContext(
        source=examples.ARTICLE_SUMMARY["source"],
        url=examples.ARTICLE_SUMMARY["url"],
        stored_at=dt.datetime.fromisoformat(examples.JOB_SUMMARY["finished_at"]),
        version="model",
        kinds={examples.ACTOR["id"]: examples.ACTOR["kind"]},
    ),
)
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One row per event, with these columns in this order: "
        + ", ".join(acled_export.EXPORT_COLUMNS)
        + " (ACLED's 31 columns in ACLED's order, then ours). An unknown value is an empty "
        "cell in CSV and null in JSON lines.",
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "A header line naming the columns, then one line per event.",
                },
                "example": "".join(acled_export.csv_lines(iter([_EXAMPLE_ROW]))),
            },
            "application/x-ndjson": {
                "schema": {
                    "description": "One JSON object per line, one line per event.",
                    **acled_export.json_row_schema(),
                },
                # a line as sent: an object example would lose its nulls in /openapi.json
                "example": "".join(acled_export.json_lines(iter([_EXAMPLE_ROW]))),
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
    """Every matching event of the served extractions, one row each: ACLED's 31 columns in
    ACLED's order, then ours (api.acled_export says how each is filled). CSV or JSON lines;
    an unknown value is an empty cell or null. CSV cells that a spreadsheet would run as a
    formula start with a quote (')."""
    # the filters are checked and the first page read before the 200 goes out: what can fail
    # here fails with a status, not in the middle of the body
    first = acled_export.export_page(engine, filters, 0)
    rows = _export_rows(engine, filters, first)
    if format == ExportFormat.JSONL:
        body, media, suffix = acled_export.json_lines(rows), "application/x-ndjson", "jsonl"
    else:
        body, media, suffix = acled_export.csv_lines(rows), "text/csv", "csv"
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="wirecoder-events.{suffix}"'},
    )


def _export_rows(
    engine: Engine, filters: browse.EventFilters, first: list[acled_export.Row]
) -> Iterator[acled_export.Row]:
    page, offset = first, 0
    while page:
        yield from page
        if len(page) < acled_export.EXPORT_BATCH:
            return
        offset += acled_export.EXPORT_BATCH
        try:
            page = acled_export.export_page(engine, filters, offset)
        except Exception:
            # the 200 is out: the connection is dropped unfinished, so the client sees a
            # truncated download rather than a short file that looks complete
            log.exception("export_failed", offset=offset)
            raise
