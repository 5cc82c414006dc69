"""Actor merging within an article and canonical names across articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.llm.resolution import AliasTable, canonical_name, resolve_actors, same_actor
from schemas.extraction import Actor, ActorKind, Event, EventType, Quote, QuoteKind


def _actor(name: str, *aliases: str, kind: ActorKind = ActorKind.ARMED_GROUP) -> Actor:
    return Actor(name=name, aliases=list(aliases), kind=kind)


def test_sdf_variants_merge_into_one_actor() -> None:
    actors = [
        _actor("SDF"),
        _actor("Syrian Democratic Forces"),
        _actor("the Kurdish-led forces"),
        _actor("Islamic State"),
    ]
    events = [
        Event(
            event_type=EventType.ASSAULT,
            sources=["SDF", "the Kurdish-led forces"],
            targets=["Islamic State"],
            summary="SDF attacked IS",
            evidence="x",
        )
    ]
    quotes = [Quote(text="x", kind=QuoteKind.DIRECT, speaker="Kurdish-led forces")]

    resolution = resolve_actors(actors, events, quotes, aliases=AliasTable.load())

    assert [r.actor.name for r in resolution.actors] == [
        "Syrian Democratic Forces",
        "Islamic State",
    ]
    sdf = resolution.actors[0]
    assert sdf.actor.aliases == ["SDF", "the Kurdish-led forces"]
    assert sdf.canonical_name == "Syrian Democratic Forces"
    assert resolution.events[0].sources == ["Syrian Democratic Forces"]  # duplicates dropped
    assert resolution.events[0].targets == ["Islamic State"]
    assert resolution.quotes[0].speaker == "Syrian Democratic Forces"


def test_acronyms_and_spelling_variants_merge_without_the_table() -> None:
    assert same_actor(_actor("RCC"), _actor("Raqa Civil Council"))
    assert same_actor(_actor("SOHR"), _actor("Syrian Observatory for Human Rights"))
    assert same_actor(_actor("Raqqa Civil Council"), _actor("Raqa Civil Council"))
    assert same_actor(_actor("Sergei Lavrov"), _actor("Sergey Lavrov"))


def test_different_actors_sharing_words_stay_apart() -> None:
    table = AliasTable.load()
    assert not same_actor(_actor("Syrian IS fighters"), _actor("foreign IS fighters"), table)
    assert not same_actor(_actor("Syrian IS fighters"), _actor("Syrian fighters"), table)
    assert not same_actor(_actor("Ryan Dillon"), _actor("Sean Ryan"), table)
    assert not same_actor(_actor("US"), _actor("UN"), table)


def test_islamic_state_variants_share_one_canonical_name() -> None:
    table = AliasTable.load()
    for name in ["IS", "ISIS", "ISIL", "Daesh", "Islamic State", "the Islamic State group"]:
        assert canonical_name(name, table) == "Islamic State", name
    assert same_actor(_actor("ISIS"), _actor("Daesh"), table)


def test_curated_table_covers_the_domain() -> None:
    table = AliasTable.load()
    expected = {
        "the coalition": "US-led coalition",
        "Coalition": "US-led coalition",
        "Damascus": "Syrian government",
        "regime": "Syrian government",
        "the Observatory": "Syrian Observatory for Human Rights",
        "RCC": "Raqa Civil Council",
        "HTS": "Hayat Tahrir al-Sham",
        "Moscow": "Russia",
        "Ankara": "Turkey",
        "U.N.": "United Nations",
    }
    assert {name: canonical_name(name, table) for name in expected} == expected


def test_unknown_names_are_their_own_canonical_name() -> None:
    assert canonical_name(" Talal Sello ", AliasTable.load()) == "Talal Sello"
    assert canonical_name("Talal Sello", None) == "Talal Sello"


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    user = tmp_path / "aliases.yaml"
    user.write_text("ISIS:\n  - Islamic State\n  - IS\nTalal Sello:\n  - Sello\n")
    table = AliasTable.load(user)
    assert canonical_name("Sello", table) == "Talal Sello"  # extended
    assert canonical_name("Islamic State", table) == "ISIS"  # overridden
    assert canonical_name("Daesh", table) == "ISIS"  # the curated aliases follow
    assert canonical_name("SDF", table) == "Syrian Democratic Forces"  # the rest kept


def test_user_file_in_json(tmp_path: Path) -> None:
    user = tmp_path / "aliases.json"
    user.write_text('{"Raqqa Civil Council": ["RCC"]}')
    assert canonical_name("RCC", AliasTable.load(user)) == "Raqqa Civil Council"


def test_merged_aliases_are_capped_but_every_name_is_kept() -> None:
    actors = [
        _actor("Islamic State", "IS", "ISIS", "ISIL"),
        _actor("Daesh", "Daech", "IS group", "ISIS"),
    ]
    actors.append(_actor("Islamic State of Iraq and the Levant"))
    (merged,) = resolve_actors(actors, aliases=AliasTable.load()).actors
    assert merged.actor.name == "Islamic State of Iraq and the Levant"  # the longest proper name
    assert merged.actor.aliases == ["Islamic State", "IS", "ISIS", "ISIL", "Daesh", "Daech"]
    assert merged.names[-1] == "IS group"  # beyond the schema's 6 aliases, still searched
    assert len(merged.names) == 8


def test_malformed_user_file_is_refused(tmp_path: Path) -> None:
    user = tmp_path / "aliases.yaml"
    user.write_text("SDF: 3\n")
    with pytest.raises(ValueError, match="list of strings"):
        AliasTable.load(user)
