"""Actor resolution, all of it: one actor per real-world entity within an article, the actor
a quote's speaker mention names, and one canonical actor across articles.

- Within an article (`resolve_actors`, an enrichment step), actors are merged when one of their
  names or aliases has the same key (`schemas.text.name_key`), is an acronym of the other's
  name ("SDF" / "Syrian Democratic Forces"), is a near spelling of it (rapidfuzz), or maps to
  the same canonical name in the alias table; sources, targets, speakers and affiliations are
  rewritten to the merged actors' names.
- Speakers (`speakers_by_mention`, `speakers_by_pronoun`): the actor a mention names outright
  ("Bali" -> "Mustafa Bali"), and the actor a pronoun refers to.
- Across articles, `AliasTable` maps any alias to its canonical name; it is a curated data
  file (api/data/aliases.yaml) that users extend with their own file of the same shape, loaded
  once per extractor. `cross_article_names` says which of an actor's names find its canonical
  actor in storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz import fuzz, process

from api.llm.alignment import MentionIndex, find_mentions, mention_name, without_overlaps
from schemas.extraction import MAX_ALIASES, ActorKind
from schemas.grounded import GroundedActor, GroundedExtraction
from schemas.text import MINOR_WORDS, SUBJECT_PRONOUNS, name_key

CURATED_ALIASES_FILE = Path(__file__).resolve().parent.parent / "data" / "aliases.yaml"
CURATED_KINDS_FILE = CURATED_ALIASES_FILE.with_name("actor_kinds.yaml")

# fuzz.ratio of two name keys with the same number of words at or above which they are one
# actor: spelling variants ("Raqqa"/"Raqa", "Sergei"/"Sergey") score 92+, while different
# actors that share words ("Syrian IS fighters"/"foreign IS fighters") stay below.
NAME_FUZZY_THRESHOLD = 90.0
NAME_FUZZY_MIN_CHARS = 6  # shorter keys (acronyms) only match exactly


@dataclass(frozen=True)
class AliasTable:
    """name_key(alias) -> canonical name, and name_key(canonical name) -> kind."""

    canonical_by_key: Mapping[str, str] = field(default_factory=dict)
    kind_by_key: Mapping[str, ActorKind] = field(default_factory=dict)

    @classmethod
    def from_entries(cls, entries: Mapping[str, Iterable[str]]) -> AliasTable:
        table: dict[str, str] = {}
        for canonical, aliases in entries.items():
            for alias in (canonical, *aliases):
                if name_key(alias):
                    table[name_key(alias)] = canonical
        return cls(table)

    @classmethod
    def load(cls, user_file: Path | None = None) -> AliasTable:
        """The curated table, extended and overridden by `user_file` when given."""
        table = _curated()
        if user_file is not None:
            table = table.extended(cls.from_entries(read_alias_file(user_file)))
        return table

    def extended(self, other: AliasTable) -> AliasTable:
        """This table with `other`'s entries winning; aliases of a canonical name that `other`
        re-points follow it ("ISIS: [Islamic State]" sends "Daesh" to "ISIS" too)."""
        merged = {**self.canonical_by_key, **other.canonical_by_key}
        for key, canonical in merged.items():
            moved = other.canonical_by_key.get(name_key(canonical))
            if moved is not None and key not in other.canonical_by_key:
                merged[key] = moved
        return AliasTable(merged, self.kind_by_key)

    def lookup(self, name: str) -> str | None:
        return self.canonical_by_key.get(name_key(name))

    def kind_of(self, name: str) -> ActorKind | None:
        """The curated kind of the actor `name` names (by any alias), if any."""
        canonical = self.lookup(name)
        return self.kind_by_key.get(name_key(canonical)) if canonical else None


def canonical_name(name: str, aliases: AliasTable | None) -> str:
    """The canonical name of `name` across articles: the table's, else the name itself."""
    found = aliases.lookup(name) if aliases is not None else None
    return found if found is not None else name.strip()


def read_alias_file(path: Path) -> dict[str, list[str]]:
    """Read `canonical: [alias, ...]` from YAML (or JSON when the file ends in .json)."""
    raw = path.read_text(encoding="utf-8")
    data: Any
    if path.suffix.lower() == ".json":
        data = json.loads(raw)
    else:
        import yaml

        data = yaml.safe_load(raw) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of canonical name to a list of aliases")
    entries: dict[str, list[str]] = {}
    for canonical, aliases in data.items():
        if not isinstance(aliases, list | None) or not all(
            isinstance(a, str) for a in aliases or []
        ):
            raise ValueError(f"{path}: the aliases of {canonical!r} must be a list of strings")
        entries[str(canonical)] = list(aliases or [])
    return entries


@lru_cache(maxsize=1)
def _curated() -> AliasTable:
    kinds = {
        name_key(name): ActorKind(kind)
        for kind, names in read_alias_file(CURATED_KINDS_FILE).items()
        for name in names
    }
    return AliasTable(
        AliasTable.from_entries(read_alias_file(CURATED_ALIASES_FILE)).canonical_by_key, kinds
    )


class NamedActor(Protocol):
    """An actor as any stage holds it: the model's answer, a grounded actor."""

    name: str
    aliases: list[str]
    kind: ActorKind


def resolve_actors(
    extraction: GroundedExtraction, *, aliases: AliasTable | None = None
) -> GroundedExtraction:
    """Merge the article's actors (their mentions too) and rewrite sources, targets, speakers
    and affiliations to the merged actors' names; name each actor's canonical actor."""
    actors = extraction.actors
    merged = [_merge([actors[i] for i in group], aliases) for group in _group(actors, aliases)]
    name_of = {name_key(n): actor.name for actor, names in merged for n in names}

    def rename(name: str) -> str:
        return name_of.get(name_key(name), name)

    def rename_all(names: list[str]) -> list[str]:
        return list(dict.fromkeys(rename(n) for n in names))

    return GroundedExtraction(
        actors=[
            a.model_copy(update={"affiliation": rename(a.affiliation)}) if a.affiliation else a
            for a, _ in merged
        ],
        events=[
            e.model_copy(
                update={"sources": rename_all(e.sources), "targets": rename_all(e.targets)}
            )
            for e in extraction.events
        ],
        quotes=[
            q.model_copy(update={"speaker": rename(q.speaker)}) if q.speaker else q
            for q in extraction.quotes
        ],
    )


def same_actor(a: NamedActor, b: NamedActor, aliases: AliasTable | None = None) -> bool:
    names_a, names_b = (a.name, *a.aliases), (b.name, *b.aliases)
    keys_a, keys_b = {name_key(n) for n in names_a}, {name_key(n) for n in names_b}
    if keys_a & keys_b:
        return True
    if aliases is not None:
        canon_a = {c for n in names_a if (c := aliases.lookup(n)) is not None}
        if canon_a & {c for n in names_b if (c := aliases.lookup(n)) is not None}:
            return True
    return any(_acronym_of(x, y) or _acronym_of(y, x) for x in names_a for y in names_b) or any(
        _near_spelling(x, y) for x in keys_a for y in keys_b
    )


def _acronym_of(short: str, full: str) -> bool:
    letters = _acronym_letters(short)
    return letters is not None and letters == _initials(full)


def _acronym_letters(short: str) -> str | None:
    """The letters of `short` when it reads as an acronym ("SDF", "U.S."), else None."""
    letters = re.sub(r"[^A-Za-z]", "", short)
    if len(letters) < 2 or not letters.isupper() or " " in short.strip():
        return None
    return letters


def _initials(full: str) -> str | None:
    """The upper-cased initials of a name of two or more content words, else None."""
    words = [w for w in re.split(r"[\s\-]+", full) if w and w.casefold() not in MINOR_WORDS]
    if len(words) < 2:
        return None
    return "".join(w[0] for w in words if w[0].isalpha()).upper()


def _near_spelling(key_a: str, key_b: str) -> bool:
    if min(len(key_a), len(key_b)) < NAME_FUZZY_MIN_CHARS:
        return False
    if len(key_a.split()) != len(key_b.split()):
        return False
    return fuzz.ratio(key_a, key_b) >= NAME_FUZZY_THRESHOLD


def _group(actors: Sequence[NamedActor], aliases: AliasTable | None) -> list[list[int]]:
    """Connected groups of actors under `same_actor` (union-find), each in input order, ordered
    by their first actor: what comparing every pair gives, found without comparing every pair
    (a long article has hundreds of actors). Each way `same_actor` can hold is looked up
    instead: actors sharing a name key or a canonical name, an acronym and the names whose
    initials spell it, and near spellings among the distinct keys (rapidfuzz's cdist)."""
    parent = list(range(len(actors)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    by_key: dict[str, list[int]] = {}
    by_canonical: dict[str, list[int]] = {}
    by_initials: dict[str, list[int]] = {}
    acronyms: list[tuple[str, int]] = []
    for i, actor in enumerate(actors):
        for name in (actor.name, *actor.aliases):
            by_key.setdefault(name_key(name), []).append(i)
            if aliases is not None and (canonical := aliases.lookup(name)) is not None:
                by_canonical.setdefault(canonical, []).append(i)
            if (letters := _acronym_letters(name)) is not None:
                acronyms.append((letters, i))
            if (initials := _initials(name)) is not None:
                by_initials.setdefault(initials, []).append(i)
    for members in (*by_key.values(), *by_canonical.values()):
        for j in members[1:]:
            union(members[0], j)
    for letters, i in acronyms:
        for j in by_initials.get(letters, ()):
            union(i, j)
    for key_a, key_b in _near_spelled_keys(list(by_key)):
        union(by_key[key_a][0], by_key[key_b][0])
    groups: dict[int, list[int]] = {}
    for i in range(len(actors)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _near_spelled_keys(keys: list[str], rows: int = 256) -> Iterator[tuple[str, str]]:
    """Every pair of distinct keys `_near_spelling` accepts: rapidfuzz scores each word-count
    block at once (rows at a time, to bound memory); each pair it finds is confirmed by
    `_near_spelling` itself, so the answer is the pairwise one."""
    blocks: dict[int, list[str]] = {}
    for key in keys:
        if len(key) >= NAME_FUZZY_MIN_CHARS:
            blocks.setdefault(len(key.split()), []).append(key)
    for block in blocks.values():
        for first in range(0, len(block), rows):
            scores = process.cdist(
                block[first : first + rows],
                block,
                scorer=fuzz.ratio,
                score_cutoff=NAME_FUZZY_THRESHOLD - 1,  # a margin for float32 rounding
            )
            for row, column in zip(*scores.nonzero(), strict=True):
                key_a, key_b = block[first + int(row)], block[int(column)]
                if first + int(row) < int(column) and _near_spelling(key_a, key_b):
                    yield key_a, key_b


def _merge(
    group: list[GroundedActor], aliases: AliasTable | None
) -> tuple[GroundedActor, tuple[str, ...]]:
    """The group as one actor (its best name, the others as aliases, every mention) and every
    name of the group (the alias list is capped like the model's)."""
    main = max(group, key=_name_preference)
    names: dict[str, str] = {}  # name_key -> first spelling seen
    for name in (main.name, *(n for a in group for n in (a.name, *a.aliases))):
        names.setdefault(name_key(name), name)
    all_names = tuple(names.values())
    canonical = _first(aliases.lookup(n) for n in all_names) if aliases is not None else None
    merged = main.model_copy(
        update={
            "aliases": list(all_names[1 : 1 + MAX_ALIASES]),
            "affiliation": main.affiliation or _first(a.affiliation for a in group),
            "country": main.country or _first(a.country for a in group),
            "mentions": without_overlaps(m for a in group for m in a.mentions),
            "canonical_name": canonical or main.name.strip(),
        }
    )
    return merged, all_names


def _name_preference(actor: NamedActor) -> tuple[bool, int]:
    """A proper name ("Syrian Democratic Forces") over a description ("the Kurdish-led
    forces"), then the longest."""
    name = actor.name.strip()
    proper = name[:1].isupper() and not name.casefold().startswith("the ")
    return proper, len(name)


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


# ---- speakers ---------------------------------------------------------------------------------


class SpeakerMention(Protocol):
    """A quotation's attribution as stage 0 found it (api.llm.quotes_by_pattern)."""

    @property
    def number(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def mention(self) -> str | None: ...


def speakers_by_mention(
    candidates: Sequence[SpeakerMention], actors: Sequence[NamedActor]
) -> dict[int, str | None]:
    """Speakers the mention names outright: "Bali" -> "Mustafa Bali", "the RCC" -> "Raqa
    Civil Council" (name or alias tokens within the mention's, or the other way round)."""
    keyed = [(a.name, set(name_key(n).split())) for a in actors for n in (a.name, *a.aliases)]
    found: dict[int, str | None] = {}
    for candidate in candidates:
        if not candidate.mention or candidate.mention.casefold() in SUBJECT_PRONOUNS:
            continue
        tokens = set(name_key(candidate.mention).split())
        matches = [
            (len(words), name)
            for name, words in keyed
            if words and (words <= tokens or tokens <= words)
        ]
        if matches:
            found[candidate.number] = max(matches)[1]
    return found


def speakers_by_pronoun(
    candidates: Sequence[SpeakerMention], actors: Sequence[NamedActor], text: str
) -> dict[int, str | None]:
    """Speakers of "he said" / "she said": the person actor mentioned last before the
    quotation; of "it said" / "they said": the last other actor. Measured on the dev split's
    gold actors: 15 of 15 pronoun speakers right."""
    index = MentionIndex(text, (mention_name(n) for a in actors for n in (a.name, *a.aliases)))
    mentions = sorted(
        (
            (span.start, span.end or span.start, actor)
            for actor in actors
            for name in (actor.name, *actor.aliases)
            for span in find_mentions(name, text, index)
            if span.start is not None
        ),
        key=lambda mention: mention[:2],  # at one offset the longest mention comes last
    )
    found: dict[int, str | None] = {}
    for candidate in candidates:
        pronoun = (candidate.mention or "").casefold()
        if pronoun not in SUBJECT_PRONOUNS:
            continue
        wants_person = pronoun in {"he", "she", "i"}
        before = [
            actor
            for start, _, actor in mentions
            if start < candidate.start and (actor.kind == ActorKind.PERSON) == wants_person
        ]
        if before:
            found[candidate.number] = before[-1].name
    return found


# ---- across articles --------------------------------------------------------------------------


def cross_article_names(actor: GroundedActor) -> list[str]:
    """The names that identify `actor` in any article: its canonical name, its name and its
    distinctive aliases (a proper name or acronym, 'SDF'; not a description, 'the militia')."""
    names = [actor.canonical_name or actor.name, actor.name]
    return names + [a for a in actor.aliases if _distinctive(a)]


def _distinctive(alias: str) -> bool:
    words = [w for w in re.split(r"[\s\-]+", alias.removeprefix("the ")) if w]
    content = [w for w in words if w.casefold() not in MINOR_WORDS]
    return bool(content) and all(w[0].isupper() or w[0].isdigit() for w in content)
