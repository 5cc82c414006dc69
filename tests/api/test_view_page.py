"""The article view's page model: actor colours, where a place and a cue are, the forms'
changes (api.view_page, api.view_forms)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.view_forms import FormRejected, review_of_form
from api.view_page import PALETTE_SIZE, actor_colours, cue_span, place_span, preferred_slot
from schemas.api import ActorPublic, EventPublic, ExtractionPublic, JobSummary, QuotePublic
from schemas.contract import PromptRef
from schemas.grounded import AlignmentStatus, Span

TEXT = "Raqa fell. SDF fighters said on Sunday they held Raqa, officials said."


def _span(phrase: str, after: int = 0) -> Span:
    start = TEXT.index(phrase, after)
    return Span(start=start, end=start + len(phrase), text=phrase, alignment=AlignmentStatus.EXACT)


def _actor(actor_id: int, name: str) -> ActorPublic:
    return ActorPublic(
        id=actor_id, name=name, kind="armed_group", aliases=[], mentions=[],
        canonical_actor_id=None, canonical_name=None,
    )  # fmt: skip


def _event(**fields: Any) -> EventPublic:
    base: dict[str, Any] = {
        "id": 3, "article_id": 1, "job_id": 1, "event_type": "ASSAULT", "mode": "firearms",
        "status": "asserted", "summary": "s", "evidence": "SDF fighters said on Sunday",
        "evidence_span": _span("SDF fighters said on Sunday"), "date": dt.date(2017, 10, 15),
        "date_precision": "day", "location": {"place": "Raqa"}, "sources": [], "targets": [],
    }  # fmt: skip
    return EventPublic.model_validate(base | fields)


def _quote(**fields: Any) -> QuotePublic:
    base: dict[str, Any] = {
        "id": 5, "article_id": 1, "job_id": 1, "text": "they held Raqa", "kind": "indirect",
        "speaker": "SDF", "cue": "said", "span": _span("they held Raqa"),
        "speaker_span": _span("SDF fighters"), "speaker_actor_id": 1,
        "canonical_actor_id": None, "canonical_name": None,
    }  # fmt: skip
    return QuotePublic.model_validate(base | fields)


def test_colours_are_distinct_and_follow_the_actor_not_its_place() -> None:
    actors = [_actor(i, f"actor {i}") for i in range(1, 9)]
    colours = actor_colours(actors)
    assert len(set(colours.values())) == len(actors)
    assert all(0 <= c < PALETTE_SIZE for c in colours.values())
    # an actor in its own slot keeps it whatever the others (deleted, merged, reordered)
    own = [a for a in actors if colours[a.id] == preferred_slot(a)]
    assert own and all(actor_colours([a]) == {a.id: colours[a.id]} for a in own)
    reordered = actor_colours(own[::-1])
    assert reordered == {a.id: colours[a.id] for a in own}


def test_a_place_is_found_in_the_evidence_else_before_it() -> None:
    assert place_span(TEXT, _event()) == (0, 4)  # not in the evidence: the mention before it
    second = (TEXT.index("Raqa", 20), TEXT.index("Raqa", 20) + 4)
    assert place_span(TEXT, _event(evidence_span=_span("officials said"))) == second  # nearest
    assert place_span(TEXT, _event(evidence_span=_span("they held Raqa"))) == second  # inside
    assert place_span(TEXT, _event(location={"place": "Homs"})) is None
    # a place word inside a longer actor name is the name's
    council = "Raqa Civil Council spoke. Then Raqa fell."
    event = _event(evidence_span=Span(start=31, end=40, text="Raqa fell", alignment="exact"))
    assert place_span(council, event, [(0, 18)]) == (31, 35)
    event = _event(evidence_span=Span(start=0, end=24, text=council[:24], alignment="exact"))
    assert place_span(council, event, [(0, 18)]) == (31, 35)  # not the council's word


def test_the_cue_nearest_the_speaker_and_outside_the_quote() -> None:
    start = TEXT.index("said")
    assert cue_span(TEXT, _quote()) == (start, start + 4)
    assert cue_span(TEXT, _quote(cue=None)) is None
    assert cue_span(TEXT, _quote(cue="told")) is None


def _extraction() -> ExtractionPublic:
    job = JobSummary(
        id=1, status="succeeded", is_current=True, model="m", attempts=0, job_attempts=1,
        finished_at=None, error=None, prompt=PromptRef(id="extract", version="v3", sha256="0"),
    )  # fmt: skip
    return ExtractionPublic(
        job=job, actors=[_actor(1, "SDF")], events=[_event()], quotes=[_quote()]
    )


def test_a_form_sends_only_what_was_changed() -> None:
    form = {
        "op": ["update_event"], "event_id": ["3"], "base_job_id": ["1"], "event_type": ["ASSAULT"],
        "mode": [""], "status": ["claimed"], "date": ["2017-10-15"], "place": ["Raqa"],
        "fatalities": ["2"], "sources_shown": ["1"], "sources": ["SDF"], "targets_shown": ["1"],
        "note": [" fixed "],
    }  # fmt: skip
    review = review_of_form(form, _extraction())
    assert review.note == "fixed" and review.base_job_id == 1
    change = review.changes[0].model_dump(exclude_defaults=True)
    assert change == {
        "event_id": 3, "status": "claimed", "fatalities": 2, "sources": ["SDF"], "clear": ["mode"],
    }  # fmt: skip


def test_a_quote_form_clears_the_speaker_and_refuses_what_is_not_a_review() -> None:
    base = {"op": ["update_quote"], "quote_id": ["5"], "kind": ["indirect"]}
    review = review_of_form(base | {"speaker": [""]}, _extraction())
    assert review.changes[0].model_dump(exclude_defaults=True) == {
        "quote_id": 5,
        "clear_speaker": True,
    }
    with pytest.raises(FormRejected, match="nothing changed on quote 5"):
        review_of_form(base | {"speaker": ["SDF"]}, _extraction())
    with pytest.raises(FormRejected, match="not in the version served now"):
        review_of_form({"op": ["update_quote"], "quote_id": ["9"]}, _extraction())
    with pytest.raises(FormRejected, match="date: "):
        review_of_form({"op": ["update_event"], "event_id": ["3"], "date": ["soon"]}, _extraction())
