"""Actor merging within an article and canonical names across articles."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.llm.actors import (
    AliasTable,
    _acronym_of,
    _group,
    _near_spelling,
    canonical_name,
    cross_article_names,
    resolve_actors,
    same_actor,
    speakers_by_mention,
    speakers_by_pronoun,
)
from api.llm.alignment import align_extraction
from api.llm.quotes_by_pattern import find_quote_candidates
from api.llm.sentences import split_sentences
from schemas.extraction import (
    Actor,
    ActorKind,
    ArticleExtraction,
    Event,
    EventType,
    Quote,
    QuoteKind,
)
from schemas.grounded import GroundedActor, GroundedExtraction
from schemas.stages import StageActor
from schemas.text import MINOR_WORDS, name_key


def _actor(name: str, *aliases: str, kind: ActorKind = ActorKind.ARMED_GROUP) -> Actor:
    return Actor(name=name, aliases=list(aliases), kind=kind)


def _aligned(
    actors: list[Actor],
    events: list[Event] | None = None,
    quotes: list[Quote] | None = None,
    text: str = "",
) -> GroundedExtraction:
    answer = ArticleExtraction.model_construct(
        actors=actors, events=events or [], quotes=quotes or []
    )
    return align_extraction(answer, text)


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

    resolution = resolve_actors(_aligned(actors, events, quotes), aliases=AliasTable.load())

    assert [r.name for r in resolution.actors] == [
        "Syrian Democratic Forces",
        "Islamic State",
    ]
    sdf = resolution.actors[0]
    assert sdf.aliases == ["SDF", "the Kurdish-led forces"]
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
    text = "Daesh, also called the IS group, lost ground."
    (merged,) = resolve_actors(_aligned(actors, text=text), aliases=AliasTable.load()).actors
    assert merged.name == "Islamic State of Iraq and the Levant"  # the longest proper name
    assert merged.aliases == ["Islamic State", "IS", "ISIS", "ISIL", "Daesh", "Daech"]
    # beyond the schema's 6 aliases, still searched: every member's mentions are kept
    assert [m.text for m in merged.mentions] == ["Daesh", "IS group"]


def test_cross_article_names_are_the_canonical_name_and_proper_names() -> None:
    actor = GroundedActor(
        name="Syrian Democratic Forces",
        aliases=["SDF", "the Kurdish-led forces", "Democratic Forces"],
        kind=ActorKind.ARMED_GROUP,
        canonical_name="Syrian Democratic Forces",
    )
    assert cross_article_names(actor) == [
        "Syrian Democratic Forces",
        "Syrian Democratic Forces",
        "SDF",
        "Democratic Forces",
    ]


def test_malformed_user_file_is_refused(tmp_path: Path) -> None:
    user = tmp_path / "aliases.yaml"
    user.write_text("SDF: 3\n")
    with pytest.raises(ValueError, match="list of strings"):
        AliasTable.load(user)


# ---- speakers (the staged pipeline's stage-0 candidates) ------------------------------------

SPEAKERS_TEXT = (
    "Fighting resumes in Raqa\n\n"
    "The Syrian Democratic Forces (SDF) stormed the city on Sunday. The weather was mild.\n\n"
    "\u201cThe battle is over,\u201d SDF spokesman Talal Sello told AFP.\n\n"
    "\u201cWe won,\u201d he said."
)


def test_speakers_by_mention_matches_names_by_their_words_not_pronouns() -> None:
    candidates = find_quote_candidates(SPEAKERS_TEXT, split_sentences(SPEAKERS_TEXT))
    actors = [StageActor(name="Talal Sello", kind=ActorKind.PERSON)]
    assert [(c.number, c.mention) for c in candidates] == [(1, "Talal Sello"), (2, "he")]
    assert speakers_by_mention(candidates, actors) == {1: "Talal Sello"}
    assert speakers_by_mention(candidates, []) == {}


def test_speakers_by_pronoun_takes_the_last_person_mentioned_before_the_quotation() -> None:
    candidates = find_quote_candidates(SPEAKERS_TEXT, split_sentences(SPEAKERS_TEXT))
    actors = [
        StageActor(name="Talal Sello", kind=ActorKind.PERSON),
        StageActor(name="Syrian Democratic Forces", aliases=["SDF"], kind=ActorKind.ARMED_GROUP),
    ]
    assert speakers_by_pronoun(candidates, actors, SPEAKERS_TEXT) == {2: "Talal Sello"}
    # two actors mentioned at one offset ("Talal" inside "Talal Sello"): the longer mention
    same_start = [actors[0], StageActor(name="Talal", kind=ActorKind.PERSON)]
    assert speakers_by_pronoun(candidates, same_start, SPEAKERS_TEXT) == {2: "Talal Sello"}
    only_groups = actors[1:]
    assert (
        speakers_by_pronoun(candidates, only_groups, SPEAKERS_TEXT) == {}
    )  # "he" is never a group


# ---- grouping without comparing every pair ----------------------------------------------------

_WORDS = [
    "Syrian",
    "Democratic",
    "Forces",
    "Islamic",
    "State",
    "Army",
    "Free",
    "Raqqa",
    "Raqa",
    "Civil",
    "Council",
    "Sergei",
    "Sergey",
    "Lavrov",
    "al-Shabaab",
    "Popular",
    "Front",
    "Mobilisation",
    "Units",
    "Rapid",
    "Support",
    "of",
    "the",
    "for",
    "and",
]


@dataclass
class _Named:
    name: str
    aliases: list[str]
    kind: ActorKind = ActorKind.OTHER


def _random_name(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(1, 4))]
    name = " ".join(words)
    roll = rng.random()
    if roll < 0.2:  # an acronym of a name
        name = "".join(w[0].upper() for w in words if w.casefold() not in MINOR_WORDS) or "X"
        name = ".".join(name) + "." if rng.random() < 0.2 else name
    elif roll < 0.4:  # a near spelling: one letter dropped, doubled or changed
        i = rng.randrange(len(name))
        name = rng.choice(
            (
                name[:i] + name[i + 1 :],
                name[:i] + name[i] + name[i:],
                name[:i] + "e" + name[i + 1 :],
            )
        )
    elif roll < 0.5:
        name = rng.choice(("the ", "The ", "")) + name.upper()
    elif roll < 0.55:
        name = rng.choice(("—", "", "  ", "'"))  # names with an empty key
    return name


def _all_pairs_groups(actors: list[_Named], aliases: AliasTable | None) -> list[list[int]]:
    """The reference: union-find over `same_actor` of every pair."""
    parent = list(range(len(actors)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(actors)):
        for j in range(i + 1, len(actors)):
            if same_actor(actors[i], actors[j], aliases):
                ri, rj = root(i), root(j)
                parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[int]] = {}
    for i in range(len(actors)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def test_blocked_grouping_equals_comparing_every_pair_on_random_actors() -> None:
    rng = random.Random(20260412)
    tables = [
        None,
        AliasTable.load(),
        AliasTable.from_entries(
            {"Raqqa Civil Council": ["RCC", "Civil Council"], "ISIS": ["Daesh"]}
        ),
    ]
    merged_by = {"acronym": 0, "near spelling": 0}
    for trial in range(400):
        actors = [
            _Named(_random_name(rng), [_random_name(rng) for _ in range(rng.randint(0, 2))])
            for _ in range(rng.randint(1, 25))
        ]
        aliases = tables[trial % len(tables)]
        assert _group(actors, aliases) == _all_pairs_groups(actors, aliases), actors
        for a, b in itertools.combinations(actors, 2):
            names_a, names_b = (a.name, *a.aliases), (b.name, *b.aliases)
            if not {name_key(n) for n in names_a} & {name_key(n) for n in names_b}:
                pairs = list(itertools.product(names_a, names_b))
                merged_by["acronym"] += any(
                    _acronym_of(x, y) or _acronym_of(y, x) for x, y in pairs
                )
                merged_by["near spelling"] += any(
                    _near_spelling(name_key(x), name_key(y)) for x, y in pairs
                )
    # the random actors do exercise the ways that need no shared key
    assert merged_by["acronym"] > 20 and merged_by["near spelling"] > 20, merged_by
