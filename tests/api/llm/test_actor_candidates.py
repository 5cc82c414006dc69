"""Actor candidates from the parse (api.llm.actor_candidates) and the mapping of phrases to
them (api.llm.roles), on hand-written sentences parsed by the pinned spaCy pipeline."""

from __future__ import annotations

from api.llm.actor_candidates import ActorCandidate, clean_name, find_actor_candidates
from api.llm.actors import AliasTable
from api.llm.nlp import ParsedSentence, load_pipeline, parse_sentences
from api.llm.roles import ActorIndex
from api.llm.sentences import split_sentences
from schemas.extraction import ActorKind


def _parsed(text: str) -> list[ParsedSentence]:
    return parse_sentences(split_sentences(text), load_pipeline())


def _candidates(text: str) -> dict[str, ActorCandidate]:
    found = find_actor_candidates(_parsed(text), text, AliasTable.load())
    return {c.name: c for c in found}


def test_clean_name_drops_articles_modifiers_titles_and_possessives() -> None:
    assert clean_name("the US-backed Syrian Democratic Forces") == "Syrian Democratic Forces"
    assert clean_name("Colonel Nabil al-Qadi", person=True) == "Nabil al-Qadi"
    assert clean_name("Jubaland's") == "Jubaland"
    assert clean_name("the Saudi-led coalition") == "Saudi-led coalition"  # the name itself


def test_entities_acronyms_and_people_with_their_affiliation() -> None:
    found = _candidates(
        "The Syrian Democratic Forces (SDF) said on Sunday that the offensive had resumed. "
        "SDF spokesman Mustafa Bali said the fighting was heavy near the village."
    )
    sdf = found["Syrian Democratic Forces"]
    assert "SDF" in sdf.aliases and sdf.kind == ActorKind.ARMED_GROUP
    bali = found["Mustafa Bali"]
    assert (bali.kind, bali.affiliation) == (ActorKind.PERSON, "Syrian Democratic Forces")


def test_names_the_table_knows_are_one_actor_however_written() -> None:
    found = _candidates(
        "The Huthis rejected the ultimatum on Wednesday night in Hodeidah. Huthi rebels later "
        "shelled the positions of the Joint Forces near the port."
    )
    huthis = [c for c in found.values() if "Huthis" in c.names]
    assert len(huthis) == 1 and {"Huthis", "Huthi rebels"} <= set(huthis[0].names)
    assert huthis[0].kind == ActorKind.ARMED_GROUP


def test_news_agencies_platforms_and_generic_words_are_no_actors() -> None:
    found = _candidates(
        "Their spokesman Abdulmalik al-Murtada said on Twitter that the group would fight, "
        "AFP reported on Thursday from the city."
    )
    assert "Twitter" not in found and "AFP" not in found
    assert "Abdulmalik al-Murtada" in found


def test_a_phrase_names_its_actor_through_its_core_of_phrase_pronoun_and_description() -> None:
    text = (
        "The Syrian Democratic Forces attacked Islamic State positions on Sunday, and the "
        "extremists fled. Members of the SDF said on Monday that they held the whole town."
    )
    parsed = _parsed(text)
    index = ActorIndex(find_actor_candidates(parsed, text, AliasTable.load()), text)

    def actor(sentence: int, word: str) -> str | None:
        doc = parsed[sentence].doc
        token = next(t for t in doc if t.text == word)
        found = index.actor_of(token, parsed[sentence])
        return found.name if found is not None else None

    assert actor(0, "positions") == "Islamic State"  # the core: "Islamic State positions"
    assert actor(0, "extremists") == "Islamic State"  # a description: the last armed group
    assert actor(1, "Members") == "Syrian Democratic Forces"  # an "of" phrase
    assert actor(1, "they") == "Syrian Democratic Forces"  # a pronoun: the last group before


def test_an_unnamed_group_is_an_actor_named_as_written() -> None:
    text = "Security forces fired tear gas at protesters in Khartoum on Monday."
    parsed = _parsed(text)
    index = ActorIndex(find_actor_candidates(parsed, text, AliasTable.load()), text)
    doc = parsed[0].doc
    forces = index.actor_of(next(t for t in doc if t.text == "forces"), parsed[0])
    protesters = index.actor_of(next(t for t in doc if t.text == "protesters"), parsed[0])
    assert forces is not None and (forces.name, forces.kind) == ("Security forces", ActorKind.STATE)
    assert protesters is not None and protesters.kind == ActorKind.CIVILIANS


def test_a_name_described_as_a_person_is_one_even_when_labelled_an_organisation() -> None:
    found = _candidates(
        "The delegation was led by Abdou Diallo, a former Senegalese foreign minister. "
        "Diallo said the junta had agreed to present a timetable for elections."
    )
    assert found["Abdou Diallo"].kind == ActorKind.PERSON and "Diallo" not in found


def test_the_organisation_a_commander_belongs_to_and_places_named_before_place_nouns() -> None:
    found = _candidates(
        "The Treasury Department said Abu Ali al-Basri, the commander of Saraya Thar "
        "al-Muhandis, had directed rocket strikes. Youths set up barricades in the Kalaban "
        "Coura and Niamakoro neighbourhoods, witnesses said."
    )
    assert "Saraya Thar al-Muhandis" in found
    assert not any("Kalaban" in name for name in found)


def test_the_table_name_is_used_where_the_text_writes_it() -> None:
    found = _candidates(
        "ISIS fighters attacked the village on Monday. The Islamic State later claimed the "
        "attack in a statement on its Amaq news agency."
    )
    assert "ISIS" in found["Islamic State"].aliases and "ISIS" not in found
