"""Enrichment: the steps in order on a small article, and each step on its own."""

from __future__ import annotations

import datetime as dt

from api.llm.actors import AliasTable
from api.llm.enrichment import (
    STEPS,
    ArticleContext,
    code_acled,
    enrich,
    resolve_actors_step,
    resolve_dates,
    resolve_locations,
)
from schemas.extraction import (
    ActorKind,
    ArticleExtraction,
    DatePrecision,
    EventMode,
    EventType,
    Location,
    LocationPrecision,
)
from schemas.grounded import AlignmentStatus, GroundedActor, GroundedEvent, GroundedExtraction

ARTICLE = (
    " date 2017-10-17 AFP, AIN ISSA, Syria\n\n"
    "More than 3,000 civilians on Saturday night fled Raqa under an evacuation deal.\n\n"
    "The Syrian Democratic Forces (SDF), a Kurdish-Arab militia alliance, broke into Raqa "
    "in June.\n\n"
    "\u201cThis is a local solution,\u201d he said. Coalition spokesman Ryan Dillon spoke "
    "on Sunday."
)


def test_enrich_a_small_article() -> None:
    extraction = ArticleExtraction.model_validate(
        {
            "actors": [
                {"name": "Syrian Democratic Forces", "kind": "armed_group"},
                {
                    "name": "SDF",
                    "aliases": ["the Kurdish-Arab militia alliance"],
                    "kind": "armed_group",
                },
                {"name": "Ryan Dillon", "kind": "person", "affiliation": "Coalition"},
                {"name": "US-led coalition", "aliases": ["Coalition"], "kind": "international_org"},
            ],
            "events": [
                {
                    "event_type": "ASSAULT",
                    "mode": "firearms",
                    "sources": ["SDF"],
                    "summary": "SDF broke into Raqa",
                    "date_text": "in June",
                    "evidence": "The Syrian Democratic Forces (SDF), a Kurdish\u2013Arab militia "
                    "alliance, broke into Raqa in June.",
                }
            ],
            "quotes": [
                {
                    "text": '"This is a local solution,"',
                    "kind": "direct",
                    "speaker": "Ryan Dillon",
                    "speaker_mention": "he",
                }
            ],
        }
    )
    grounded = enrich(
        extraction,
        ArticleContext(text=ARTICLE, article_date=dt.date(2017, 10, 17), aliases=AliasTable.load()),
    )

    assert [a.name for a in grounded.actors] == [
        "Syrian Democratic Forces",
        "Ryan Dillon",
        "US-led coalition",
    ]
    sdf = grounded.actors[0]
    assert sdf.aliases == ["SDF", "the Kurdish-Arab militia alliance"]
    assert sdf.canonical_name == "Syrian Democratic Forces"
    sdf_start = ARTICLE.index("Syrian Democratic Forces")
    assert [(m.start, m.text) for m in sdf.mentions] == [
        (sdf_start, "Syrian Democratic Forces"),
        (sdf_start + 26, "SDF"),
        (sdf_start + 34, "Kurdish-Arab militia alliance"),
    ]
    for actor in grounded.actors:
        for mention in actor.mentions:
            assert ARTICLE[mention.start : mention.end] == mention.text
    assert grounded.actors[1].affiliation == "US-led coalition"

    event = grounded.events[0]
    assert event.sources == ["Syrian Democratic Forces"]
    assert (event.date, event.date_precision.value) == (dt.date(2017, 6, 1), "month")
    assert (event.acled_event_type, event.acled_sub_event_type) == ("Battles", "Armed clash")
    assert event.evidence_span is not None
    assert event.evidence_span.alignment == AlignmentStatus.NORMALIZED  # en dash vs hyphen
    assert event.evidence_span.start == sdf_start - 4

    quote = grounded.quotes[0]
    assert quote.span is not None and quote.span.alignment == AlignmentStatus.EXACT
    assert quote.span.text == "This is a local solution,"
    assert ARTICLE[quote.span.start : quote.span.end] == quote.span.text
    assert quote.speaker_span is not None
    assert quote.speaker_span.start == ARTICLE.index("he said")


def _event(**fields: object) -> GroundedEvent:
    values: dict[str, object] = {
        "event_type": EventType.ASSAULT,
        "summary": "x",
        "evidence": "x",
    }
    return GroundedEvent.model_validate(values | fields)


def _with(*events: GroundedEvent, actors: list[GroundedActor] | None = None) -> GroundedExtraction:
    return GroundedExtraction(actors=actors or [], events=list(events))


def test_steps_run_in_the_stated_order() -> None:
    assert (resolve_actors_step, resolve_dates, resolve_locations, code_acled) == STEPS


def test_actor_step_merges_and_rewrites_roles() -> None:
    actors = [
        GroundedActor(name="SDF", kind=ActorKind.ARMED_GROUP),
        GroundedActor(name="Syrian Democratic Forces", kind=ActorKind.ARMED_GROUP),
    ]
    done = resolve_actors_step(
        _with(_event(sources=["SDF"]), actors=actors),
        ArticleContext(text="", aliases=AliasTable.load()),
    )
    assert [a.name for a in done.actors] == ["Syrian Democratic Forces"]
    assert done.events[0].sources == ["Syrian Democratic Forces"]


def test_date_step_resolves_the_expression_against_the_article_date() -> None:
    article = ArticleContext(text="", article_date=dt.date(2017, 10, 17))  # a Tuesday
    done = resolve_dates(_with(_event(date_text="on Sunday"), _event()), article)
    assert [(e.date, e.date_precision) for e in done.events] == [
        (dt.date(2017, 10, 15), DatePrecision.DAY),
        (None, DatePrecision.UNKNOWN),
    ]


def test_location_step_drops_a_location_that_names_nothing() -> None:
    raqa = Location(place="Raqa", precision=LocationPrecision.PLACE)
    done = resolve_locations(
        _with(_event(location=raqa), _event(location=Location())), ArticleContext(text="")
    )
    assert [e.location for e in done.events] == [raqa, None]


def test_acled_step_derives_the_category_from_type_and_mode() -> None:
    done = code_acled(
        _with(_event(mode=EventMode.AERIAL), _event(event_type=EventType.CONSULT)),
        ArticleContext(text=""),
    )
    assert [(e.acled_event_type, e.acled_sub_event_type) for e in done.events] == [
        ("Explosions/Remote violence", "Air/drone strike"),
        (None, None),
    ]
