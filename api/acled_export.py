"""The ACLED-style export: every column of ACLED's public data in ACLED's order, then ours.

A row is built from one event of an article's served extraction, its sources and targets
(with the kinds their extraction gave them), its location as GeoNames resolved it, its
article and its job. A value the extraction does not have is None: an empty cell in CSV,
null in JSON lines. Conventions (tables in api.acled_codes):

- event_id_cnty: the country's ISO alpha-3 ("XXX" when the event has no country) and the
  event's id. The id stays the event's while its extraction stands; a re-run of the
  extraction or a review writes the events again under new ids (the old ones are not reused
  on PostgreSQL; SQLite may reuse the highest ids after a delete).
- time_precision from date_precision: 1 day, 2 week, 3 month or year; unknown: empty.
- disorder_type, event_type and sub_event_type from the PLOVER type and mode (the crosswalk,
  schemas.acled); empty where ACLED has no category (verbal events, aid).
- inter1 / inter2 from actor kinds where the kind decides the code (state 1, international
  organisation 8, civilians 7, or 6 / 5 as the sources of a protest / riot); interaction the
  pair, lower first (17), or the one actor's code and 0 (10).
- civilian_targeting: "Civilian targeting" for political violence with a civilian target.
- admin2, admin3: empty (the offline gazetteer has first-level areas only); source_scale
  and tags: empty (not extracted).
- fatalities: the number the article gives; empty when it gives none (ACLED writes 0 there:
  `fillna(0)` to match).
- timestamp: Unix time the served version was stored (the model's run or the review).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api import acled_codes, browse, crud, presenters
from api.models import Article, ArticleActor, ExtractionJob
from schemas.api import EventActorPublic, EventPublic
from schemas.extraction import Location
from schemas.grounded import Span

EXPORT_BATCH = 500
UNKNOWN_COUNTRY = "XXX"
_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}
# ACLED's geo_precision where the place was not resolved: the level the text named
_GEO_PRECISION = {"place": 1, "admin_area": 3, "country": 3}

_S, _I, _N = "string", "integer", "number"
# (JSON type, meaning); every column may be null (an empty CSV cell) unless marked required
ACLED_COLUMNS: dict[str, tuple[str, str]] = {
    "event_id_cnty": (_S, "Country ISO alpha-3 (XXX: none known) and the event's id"),
    "event_date": (_S, "YYYY-MM-DD"),
    "year": (_I, "The event's year"),
    "time_precision": (_I, "1 day, 2 week, 3 month or coarser"),
    "disorder_type": (
        _S,
        "Political violence, Demonstrations, Strategic developments, or "
        "'Political violence; Demonstrations'",
    ),
    "event_type": (_S, "ACLED event type, from the PLOVER type and mode"),
    "sub_event_type": (_S, "ACLED sub-event type"),
    "actor1": (_S, "The first source actor (canonical name)"),
    "assoc_actor_1": (_S, "The other source actors, separated by '; '"),
    "inter1": (_I, "ACLED inter code of actor1, where its kind decides it"),
    "actor2": (_S, "The first target actor (canonical name)"),
    "assoc_actor_2": (_S, "The other target actors, separated by '; '"),
    "inter2": (_I, "ACLED inter code of actor2, where its kind decides it"),
    "interaction": (_I, "The inter codes' pair, lower first (17); one actor: its code and 0"),
    "civilian_targeting": (_S, "'Civilian targeting' for political violence on civilians"),
    "iso": (_I, "ISO 3166-1 numeric code of the country"),
    "region": (_S, "ACLED region of the country"),
    "country": (_S, "Country of the place"),
    "admin1": (_S, "First-level administrative area"),
    "admin2": (_S, "Second-level administrative area (not resolved: empty)"),
    "admin3": (_S, "Third-level administrative area (not resolved: empty)"),
    "location": (_S, "The place as the article names it"),
    "latitude": (_N, "GeoNames latitude"),
    "longitude": (_N, "GeoNames longitude"),
    "geo_precision": (_I, "1 the place, 2 part of a region, 3 a province or country"),
    "source": (_S, "The article's source"),
    "source_scale": (_S, "Not extracted: empty"),
    "notes": (_S, "The event's summary"),
    "fatalities": (_I, "Deaths the article gives, coded low when vague; empty when none"),
    "tags": (_S, "Not extracted: empty"),
    "timestamp": (_I, "Unix time the served version was stored"),
}
EXTRA_COLUMNS: dict[str, tuple[str, str]] = {
    "country_code": (_S, "ISO 3166-1 alpha-2"),
    "geonameid": (_I, "GeoNames id of the place"),
    "source_url": (_S, "The article's URL"),
    "plover_event_type": (_S, "PLOVER event type"),
    "plover_mode": (_S, "PLOVER mode"),
    "status": (_S, "asserted, claimed, denied, threatened or planned"),
    "evidence": (_S, "The article's sentence the event rests on, verbatim"),
    "evidence_start": (_I, "Its first character in the article's text"),
    "evidence_end": (_I, "The character after its last"),
    "article_id": (_I, "The article"),
    "job_id": (_I, "The extraction job (the version served)"),
    "version": (_S, "model, or reviewed: which version of the extraction is served"),
}
EXPORT_COLUMNS = {**ACLED_COLUMNS, **EXTRA_COLUMNS}
REQUIRED_COLUMNS = (
    "event_id_cnty",
    "notes",
    "plover_event_type",
    "status",
    "evidence",
    "article_id",
    "job_id",
    "version",
)

Row = dict[str, object]


@dataclass(frozen=True)
class RowContext:
    """What a row needs beyond the event: its article, its job, its actors' kinds."""

    source: str | None
    url: str | None
    stored_at: dt.datetime | None
    version: str
    kinds: dict[int, str]  # article actor id -> kind


def _names(actors: list[EventActorPublic]) -> list[str]:
    return [a.canonical_name or a.name for a in actors]


def _kind(actors: list[EventActorPublic], kinds: dict[int, str]) -> str | None:
    return kinds.get(actors[0].actor_id or 0) if actors else None


def acled_row(event: EventPublic, ctx: RowContext) -> Row:
    """One export row, keyed by EXPORT_COLUMNS in order."""
    sources, targets = _names(event.sources), _names(event.targets)
    location = event.location or Location()
    span = event.evidence_span or Span(text=event.evidence)
    code = location.country_code
    acled_type, sub_type = event.acled_event_type, event.acled_sub_event_type
    disorder = acled_codes.disorder_type(acled_type, sub_type)
    inter1 = acled_codes.inter_code(_kind(event.sources, ctx.kinds), acled_type, source=True)
    inter2 = acled_codes.inter_code(_kind(event.targets, ctx.kinds), acled_type, source=False)
    civilians = any(
        ctx.kinds.get(t.actor_id or 0) == "civilians" for t in event.targets
    ) and acled_codes.POLITICAL_VIOLENCE in (disorder or "")
    stored_at = (
        ctx.stored_at.replace(tzinfo=ctx.stored_at.tzinfo or dt.UTC) if ctx.stored_at else None
    )
    row: Row = {
        "event_id_cnty": f"{acled_codes.iso_alpha3(code) or UNKNOWN_COUNTRY}{event.id}",
        "event_date": event.date.isoformat() if event.date else None,
        "year": event.date.year if event.date else None,
        "time_precision": _TIME_PRECISION.get(event.date_precision),
        "disorder_type": disorder,
        "event_type": acled_type,
        "sub_event_type": sub_type,
        "actor1": sources[0] if sources else None,
        "assoc_actor_1": "; ".join(sources[1:]) or None,
        "inter1": inter1 if sources else None,
        "actor2": targets[0] if targets else None,
        "assoc_actor_2": "; ".join(targets[1:]) or None,
        "inter2": inter2 if targets else None,
        "interaction": acled_codes.interaction(inter1, inter2, has_actor2=bool(targets))
        if sources
        else None,
        "civilian_targeting": "Civilian targeting" if civilians else None,
        "iso": acled_codes.iso_numeric(code),
        "region": acled_codes.region(code),
        "country": location.country,
        "admin1": location.admin_area,
        "admin2": None,
        "admin3": None,
        "location": location.place,
        "latitude": location.latitude,
        "longitude": location.longitude,
        # GeoNames' precision where the place was resolved, else the level the text named
        "geo_precision": location.geo_precision or _GEO_PRECISION.get(location.precision),
        "source": ctx.source,
        "source_scale": None,
        "notes": event.summary,
        "fatalities": event.fatalities,
        "tags": None,
        "timestamp": int(stored_at.timestamp()) if stored_at else None,
        "country_code": code,
        "geonameid": location.geonameid,
        "source_url": ctx.url,
        "plover_event_type": event.event_type.value,
        "plover_mode": event.mode.value if event.mode else None,
        "status": event.status.value,
        "evidence": event.evidence,
        "evidence_start": span.start,
        "evidence_end": span.end,
        "article_id": event.article_id,
        "job_id": event.job_id,
        "version": ctx.version,
    }
    return row


# ---- reading pages --------------------------------------------------------------------------


def export_page(engine: Engine, filters: browse.EventFilters, offset: int) -> list[Row]:
    """EXPORT_BATCH rows from `offset`, read in one session."""
    with Session(engine) as session:
        events, _ = browse.list_events(
            session=session, filters=filters, limit=EXPORT_BATCH, offset=offset
        )
        if not events:
            return []
        public = presenters.events_public(events, *crud.event_rows(session=session, events=events))
        articles = _by_id(session, Article, {e.article_id for e in events})
        jobs = _by_id(session, ExtractionJob, {e.job_id for e in events})
        actor_ids = {a.actor_id for e in public for a in (*e.sources, *e.targets) if a.actor_id}
        kinds = {
            a.id: str(a.kind)
            for a in session.exec(select(ArticleActor).where(col(ArticleActor.id).in_(actor_ids)))
            if a.id is not None
        }
    rows = []
    for event in public:
        article, job = articles[event.article_id], jobs[event.job_id]
        ctx = RowContext(
            source=article.source,
            url=article.url,
            stored_at=job.finished_at or job.created_at,
            version="reviewed" if job.reviewed_from_job_id is not None else "model",
            kinds=kinds,
        )
        rows.append(acled_row(event, ctx))
    return rows


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    return {row.id: row for row in session.exec(select(model).where(col(model.id).in_(ids)))}


# ---- formats --------------------------------------------------------------------------------

# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: a string starting like a formula gets a leading
    quote; numbers stay numbers (a negative longitude is no formula); None is empty."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_lines(rows: Iterator[Row]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS))
    writer.writeheader()
    for row in rows:
        writer.writerow({column: csv_cell(value) for column, value in row.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def json_lines(rows: Iterator[Row]) -> Iterator[str]:
    return (json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def json_row_schema() -> dict[str, Any]:
    """The JSON lines export's row as JSON Schema (the OpenAPI docs)."""
    return {
        "type": "object",
        "properties": {
            name: {
                "type": kind if name in REQUIRED_COLUMNS else [kind, "null"],
                "description": meaning,
            }
            for name, (kind, meaning) in EXPORT_COLUMNS.items()
        },
        "required": list(EXPORT_COLUMNS),
    }
