"""The deterministic rules around the staged pipeline's model answers (hand-written strings)."""

from __future__ import annotations

from api.llm.event_cues import event_sentences
from api.llm.quotes_by_pattern import find_quote_candidates
from api.llm.sentences import split_sentences
from api.llm.staged import (
    actors_by_pattern,
    clean_actors,
    resolve_by_mention,
    resolve_pronouns,
)
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


def test_resolve_by_mention_matches_names_by_their_words_not_pronouns() -> None:
    candidates = find_quote_candidates(TEXT, split_sentences(TEXT))
    actors = [StageActor(name="Talal Sello", kind=ActorKind.PERSON)]
    assert [(c.number, c.mention) for c in candidates] == [(1, "Talal Sello"), (2, "he")]
    assert resolve_by_mention(candidates, actors) == {1: "Talal Sello"}
    assert resolve_by_mention(candidates, []) == {}


def test_resolve_pronouns_takes_the_last_person_mentioned_before_the_quotation() -> None:
    candidates = find_quote_candidates(TEXT, split_sentences(TEXT))
    actors = [
        StageActor(name="Talal Sello", kind=ActorKind.PERSON),
        StageActor(name="Syrian Democratic Forces", aliases=["SDF"], kind=ActorKind.ARMED_GROUP),
    ]
    assert resolve_pronouns(candidates, actors, TEXT) == {2: "Talal Sello"}
    # two actors mentioned at one offset ("Talal" inside "Talal Sello"): the longer mention
    same_start = [actors[0], StageActor(name="Talal", kind=ActorKind.PERSON)]
    assert resolve_pronouns(candidates, same_start, TEXT) == {2: "Talal Sello"}
    only_groups = actors[1:]
    assert resolve_pronouns(candidates, only_groups, TEXT) == {}  # "he" is never a group
