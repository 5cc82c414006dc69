"""The deterministic rules around the staged pipeline's model answers (hand-written strings)."""

from __future__ import annotations

from api.llm.event_cues import event_sentences
from api.llm.pipelines.staged import actors_by_pattern, clean_actors
from api.llm.quotes_by_pattern import find_quote_candidates
from api.llm.sentences import split_sentences
from schemas.extraction import ActorKind
from schemas.stages import StageActor

TEXT = (
    "Fighting resumes in Raqa\n\n"
    "The Syrian Democratic Forces (SDF) stormed the city on Sunday. The weather was mild.\n\n"
    "\u201cThe battle is over,\u201d SDF spokesman Talal Sello told AFP.\n\n"
    "\u201cWe won,\u201d he said."
)


def test_event_sentences_skip_headlines_and_sentences_without_action_words() -> None:
    asked = event_sentences(split_sentences(TEXT))
    assert [s.text for s in asked] == [
        "The Syrian Democratic Forces (SDF) stormed the city on Sunday.",
        "\u201cThe battle is over,\u201d SDF spokesman Talal Sello told AFP.",
    ]


def test_actors_by_pattern_adds_acronym_definitions_and_named_speakers() -> None:
    candidates = find_quote_candidates(TEXT, split_sentences(TEXT))
    added = actors_by_pattern(TEXT, candidates, [])
    assert [(a.name, a.aliases, a.kind) for a in added] == [
        ("Syrian Democratic Forces", ["SDF"], ActorKind.ARMED_GROUP),
        ("Talal Sello", [], ActorKind.PERSON),
    ]
    known = [StageActor(name="Talal Sello", kind=ActorKind.PERSON)]
    assert [a.name for a in actors_by_pattern(TEXT, candidates, known)] == [
        "Syrian Democratic Forces"
    ]


def test_clean_actors_drops_invented_names_agencies_pronouns_and_duplicates() -> None:
    answer = [
        StageActor(name="the SDF", aliases=["he", "SDF", "Kurdish army"], kind=ActorKind.STATE),
        StageActor(name="AFP", kind=ActorKind.MEDIA),
        StageActor(name="Invented Front", kind=ActorKind.ARMED_GROUP),
        StageActor(name="Talal Sello", kind=ActorKind.PERSON, affiliation="SDF"),
        StageActor(name="Sdf", kind=ActorKind.ARMED_GROUP),
    ]
    cleaned = clean_actors(answer, TEXT)
    assert [(a.name, a.aliases, a.affiliation) for a in cleaned] == [
        ("SDF", [], None),
        ("Talal Sello", [], "SDF"),
    ]
