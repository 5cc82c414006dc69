"""Events of the current extractions: browse with filters, export ACLED-style."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import browse, crud, presenters
from api.deps import EngineDep, PaginationDep, SessionDep
from api.models import ActorRole, Article
from schemas.api import EventActorPublic, EventPublic, Page
from schemas.extraction import EventMode, EventStatus, EventType, Location
from schemas.grounded import Span

router = APIRouter(prefix="/v1/events", tags=["events"])

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
        str | None, Query(description="A canonical actor's name or any alias (SDF, Daesh)")
    ] = None,
    role: Annotated[ActorRole | None, Query(description="With actor: source or target")] = None,
    since: Annotated[dt.date | None, Query(description="Events on or after this date")] = None,
    until: Annotated[dt.date | None, Query(description="Events on or before this date")] = None,
    location: Annotated[
        str | None, Query(description="Part of the place, admin area or country")
    ] = None,
    article_id: int | None = None,
) -> browse.EventFilters:
    if since and until and since > until:
        raise HTTPException(status_code=422, detail=f"since {since} is after until {until}")
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
    """Every matching event, one row each, with ACLED-style columns (CSV or JSON lines)."""
    rows = _export_rows(engine, filters)
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


def _csv_lines(rows: Iterator[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _export_rows(engine: Engine, filters: browse.EventFilters) -> Iterator[dict[str, object]]:
    offset = 0
    while True:
        with Session(engine) as session:
            events, _ = browse.list_events(
                session=session, filters=filters, limit=EXPORT_BATCH, offset=offset
            )
            if not events:
                return
            public = presenters.events_public(
                events, *crud.event_rows(session=session, events=events)
            )
            ids = {e.article_id for e in events}
            articles = {
                a.id: a for a in session.exec(select(Article).where(col(Article.id).in_(ids)))
            }
        for event in public:
            yield _acled_row(event, articles[event.article_id])
        offset += EXPORT_BATCH


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
