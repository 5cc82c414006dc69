"""Enrichment: what the rules add to a model's answer, in this order —

1. alignment: offsets and an alignment status for every span (api.llm.alignment), then
   nothing kept that comes from a passage addressed to a model (api.llm.injection);
2. actors: merged within the article, references rewritten, canonical names (api.llm.actors);
3. dates: each event's time expression resolved against the article's date (api.llm.dates);
4. locations: each event's place resolved offline against GeoNames, in the article's
   countries (api.llm.locations);
5. ACLED: the event type and sub-event type from PLOVER type + mode (schemas.acled).

Alignment comes first because every later step works on the grounded extraction; what an
instruction passage put in goes before actors are merged, so none of it joins a real actor;
actors come before dates and places because those never depend on who acted. Each step is a
function of a grounded extraction and the article, so each is tested on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from api.llm.actors import AliasTable, resolve_actors
from api.llm.alignment import align_extraction
from api.llm.dates import resolve_date
from api.llm.gazetteer import Gazetteer
from api.llm.injection import drop_instructed
from api.llm.locations import article_countries, locate
from schemas.acled import acled_category
from schemas.extraction import ArticleExtraction, Location
from schemas.grounded import GroundedEvent, GroundedExtraction


@dataclass(frozen=True)
class ArticleContext:
    """What the steps know of the article besides the answer."""

    text: str
    article_date: dt.date | None = None
    dateline: str | None = None
    aliases: AliasTable | None = None
    gazetteer: Gazetteer | None = None


Step = Callable[[GroundedExtraction, ArticleContext], GroundedExtraction]


def resolve_actors_step(
    extraction: GroundedExtraction, article: ArticleContext
) -> GroundedExtraction:
    return resolve_actors(extraction, aliases=article.aliases)


def resolve_dates(extraction: GroundedExtraction, article: ArticleContext) -> GroundedExtraction:
    """Each event's date and precision from its own time expression (the model's date only
    when the expression does not resolve)."""

    def dated(event: GroundedEvent) -> GroundedEvent:
        date, precision = resolve_date(
            event.date_text, event.date, article.article_date, model_precision=event.date_precision
        )
        return event.model_copy(update={"date": date, "date_precision": precision})

    return extraction.model_copy(update={"events": [dated(e) for e in extraction.events]})


def resolve_locations(
    extraction: GroundedExtraction, article: ArticleContext
) -> GroundedExtraction:
    """Each event's place resolved in the article's countries (coordinates, GeoNames id,
    admin area, country code, ACLED geo-precision); a location that names nothing is none."""
    named = [e for e in extraction.events if e.location and _names_something(e.location)]
    countries: tuple[str, ...] = ()
    if named and article.gazetteer is not None:
        countries = article_countries(article.text, article.dateline, article.gazetteer)

    def located(event: GroundedEvent) -> GroundedEvent:
        where = event.location
        if where is None or not _names_something(where):
            return event.model_copy(update={"location": None}) if where else event
        if article.gazetteer is None:
            return event
        return event.model_copy(update={"location": locate(where, countries, article.gazetteer)})

    return extraction.model_copy(update={"events": [located(e) for e in extraction.events]})


def _names_something(where: Location) -> bool:
    return bool(where.place or where.admin_area or where.country)


def code_acled(extraction: GroundedExtraction, _article: ArticleContext) -> GroundedExtraction:
    """ACLED's event type and sub-event type, derived from PLOVER type + mode, never asked."""

    def coded(event: GroundedEvent) -> GroundedEvent:
        category = acled_category(event.event_type, event.mode)
        return event.model_copy(
            update={
                "acled_event_type": category.event_type if category else None,
                "acled_sub_event_type": category.sub_event_type if category else None,
            }
        )

    return extraction.model_copy(update={"events": [coded(e) for e in extraction.events]})


STEPS: tuple[Step, ...] = (resolve_actors_step, resolve_dates, resolve_locations, code_acled)


def enrich(extraction: ArticleExtraction, article: ArticleContext) -> GroundedExtraction:
    """Align the answer to the article, drop what instructions in it put there, then run
    every step in order."""
    grounded = drop_instructed(align_extraction(extraction, article.text), article.text)
    for step in STEPS:
        grounded = step(grounded, article)
    return grounded
