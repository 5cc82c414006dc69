"""Event candidates from predicates: triggers, readings, roles, what is not an event, time,
place and fatalities (hand-written sentences, parsed by the pinned spaCy pipeline)."""

from __future__ import annotations

import pytest

from api.llm.event_candidates import EventCandidate, find_event_candidates
from api.llm.event_facts import fatalities_in
from api.llm.nlp import ParsedSentence, load_pipeline, parse_sentences
from api.llm.sentences import split_sentences
from schemas.extraction import EventMode, EventType


def _parsed(text: str) -> list[ParsedSentence]:
    return parse_sentences(split_sentences(text), load_pipeline())


def _candidates(text: str) -> list[EventCandidate]:
    return find_event_candidates(_parsed(text))


def _readings(text: str) -> list[tuple[EventType, EventMode | None]]:
    return [c.readings[0] for c in _candidates(text)]


def test_verbs_and_carried_nouns_are_triggers_with_their_modes() -> None:
    assert _readings("Government warplanes bombed the rebel-held town of Arbin on Monday.") == [
        (EventType.ASSAULT, EventMode.AERIAL)
    ]
    assert _readings("The coalition carried out twelve airstrikes near the border.") == [
        (EventType.ASSAULT, EventMode.AERIAL)
    ]
    assert _readings("Police arrested dozens of students outside the university.") == [
        (EventType.COERCE, EventMode.ARREST)
    ]
    assert _readings("The army gave the rebels an ultimatum to leave the town.") == [
        (EventType.THREATEN, EventMode.ULTIMATUM)
    ]
    assert (EventType.ASSAULT, EventMode.FIREARMS) in _readings(
        "The militia broke into the northern district at dawn."
    )


def test_what_is_not_an_event() -> None:
    assert _readings("If talks fail, the army could attack the town.") == []  # conditional
    assert _readings("The besieged town has been without power for weeks.") == []  # a state
    assert _readings("Families who wish to leave the city will be given buses.") == []
    assert _readings("Protesters said the deal's implementation was slow.") == []  # no carrier
    # what a refusal is about is part of it: one REJECT, no RETREAT
    assert _readings("The fighters refused to surrender.") == [(EventType.REJECT, None)]


def test_a_negated_answer_is_a_refusal_and_other_negated_triggers_are_dropped() -> None:
    assert _readings("The rebels did not respond to the offer on Friday.") == [
        (EventType.REJECT, None)
    ]
    assert _readings("The army did not attack the village on Friday.") == []


def test_roles_from_the_parse() -> None:
    (active,) = _candidates("The army shelled rebel positions near the town.")
    assert [t.text for t in active.source_phrases] == ["army"]
    assert [t.text for t in active.target_phrases] == ["positions"]
    (passive,) = _candidates("Two journalists were detained by police in the capital.")
    assert [t.text for t in passive.source_phrases] == ["police"]
    assert [t.text for t in passive.target_phrases] == ["journalists"]
    (mutual,) = _candidates("The government and the rebels signed a truce in Geneva on Sunday.")
    assert mutual.readings[0][0] == EventType.AGREE
    assert {t.text for t in mutual.source_phrases} == {"government", "rebels"}
    assert mutual.target_phrases == []


def test_time_place_and_governing_speech() -> None:
    (event,) = _candidates("The monitor said warplanes struck a market in Idlib on Sunday.")
    assert event.date_text == "on Sunday"
    assert [p.text for p in event.places] == ["Idlib"]
    assert event.governor is not None and event.governor.lemma_ == "say"
    (planned,) = _candidates("The two sides will hold talks in Muscat next week.")
    assert planned.planned


@pytest.mark.parametrize(
    ("sentence", "dead"),
    [
        ("An airstrike killed at least 15 people in the village.", 15),
        ("Dozens of civilians were killed in the shelling.", 12),
        ("A woman died when she stepped on a landmine.", 1),
        ("The clashes wounded several fighters.", None),  # the injured are not counted
    ],
)
def test_fatalities_are_coded_low(sentence: str, dead: int | None) -> None:
    assert fatalities_in(_parsed(sentence)[0]) == dead
