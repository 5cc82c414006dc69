"""Actor resolution: one actor per real-world entity within an article, one canonical name
across articles.

Within an article, actors are merged when one of their names or aliases has the same key
(`schemas.text.name_key`), is an acronym of the other's name ("SDF" / "Syrian Democratic
Forces"), is a near spelling of it (rapidfuzz), or maps to the same canonical name in the alias
table. Across articles, `AliasTable` maps any alias to its canonical name; it is a curated data
file (api/data/aliases.yaml) that users extend with their own file of the same shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from schemas.extraction import MAX_ALIASES, Actor, Event, Quote
from schemas.text import name_key

CURATED_ALIASES_FILE = Path(__file__).resolve().parent.parent / "data" / "aliases.yaml"

# fuzz.ratio of two name keys with the same number of words at or above which they are one
# actor: spelling variants ("Raqqa"/"Raqa", "Sergei"/"Sergey") score 92+, while different
# actors that share words ("Syrian IS fighters"/"foreign IS fighters") stay below.
NAME_FUZZY_THRESHOLD = 90.0
NAME_FUZZY_MIN_CHARS = 6  # shorter keys (acronyms) only match exactly
_ACRONYM_SKIP = frozenset({"of", "for", "the", "and", "on", "in", "to", "de", "al"})


@dataclass(frozen=True)
class AliasTable:
    """name_key(alias) -> canonical name."""

    canonical_by_key: Mapping[str, str] = field(default_factory=dict)

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
        return AliasTable(merged)

    def lookup(self, name: str) -> str | None:
        return self.canonical_by_key.get(name_key(name))


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
    return AliasTable.from_entries(read_alias_file(CURATED_ALIASES_FILE))


@dataclass(frozen=True)
class ResolvedActor:
    """An actor after merging: `names` holds every name and alias of the merged group (the
    actor's own alias list is capped by the schema); `canonical_name` is cross-article."""

    actor: Actor
    names: tuple[str, ...]
    canonical_name: str


@dataclass(frozen=True)
class Resolution:
    actors: list[ResolvedActor]
    events: list[Event]
    quotes: list[Quote]


def resolve_actors(
    actors: Sequence[Actor],
    events: Sequence[Event] = (),
    quotes: Sequence[Quote] = (),
    *,
    aliases: AliasTable | None = None,
) -> Resolution:
    """Merge the article's actors and rewrite sources, targets, speakers and affiliations to
    the merged actors' names."""
    groups = _group(actors, aliases)
    resolved = [_merge([actors[i] for i in group], aliases) for group in groups]
    name_of = {name_key(n): r.actor.name for r in resolved for n in r.names}

    def rename(name: str) -> str:
        return name_of.get(name_key(name), name)

    def rename_all(names: list[str]) -> list[str]:
        return list(dict.fromkeys(rename(n) for n in names))

    resolved = [
        ResolvedActor(
            actor=r.actor.model_copy(
                update={"affiliation": rename(r.actor.affiliation)} if r.actor.affiliation else {}
            ),
            names=r.names,
            canonical_name=r.canonical_name,
        )
        for r in resolved
    ]
    new_events = [
        e.model_copy(update={"sources": rename_all(e.sources), "targets": rename_all(e.targets)})
        for e in events
    ]
    new_quotes = [
        q.model_copy(update={"speaker": rename(q.speaker)}) if q.speaker else q for q in quotes
    ]
    return Resolution(actors=resolved, events=new_events, quotes=new_quotes)


def same_actor(a: Actor, b: Actor, aliases: AliasTable | None = None) -> bool:
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
    letters = re.sub(r"[^A-Za-z]", "", short)
    if len(letters) < 2 or not letters.isupper() or " " in short.strip():
        return False
    words = [w for w in re.split(r"[\s\-]+", full) if w and w.casefold() not in _ACRONYM_SKIP]
    initials = "".join(w[0] for w in words if w[0].isalpha())
    return len(words) >= 2 and initials.upper() == letters


def _near_spelling(key_a: str, key_b: str) -> bool:
    if min(len(key_a), len(key_b)) < NAME_FUZZY_MIN_CHARS:
        return False
    if len(key_a.split()) != len(key_b.split()):
        return False
    return fuzz.ratio(key_a, key_b) >= NAME_FUZZY_THRESHOLD


def _group(actors: Sequence[Actor], aliases: AliasTable | None) -> list[list[int]]:
    """Connected groups of actors (union-find over pairwise `same_actor`), in input order."""
    parent = list(range(len(actors)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(actors)):
        for j in range(i + 1, len(actors)):
            if root(i) != root(j) and same_actor(actors[i], actors[j], aliases):
                parent[max(root(i), root(j))] = min(root(i), root(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(actors)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _merge(group: list[Actor], aliases: AliasTable | None) -> ResolvedActor:
    main = max(group, key=_name_preference)
    names: dict[str, str] = {}  # name_key -> first spelling seen
    for name in (main.name, *(n for a in group for n in (a.name, *a.aliases))):
        names.setdefault(name_key(name), name)
    all_names = tuple(names.values())
    merged = main.model_copy(
        update={
            "aliases": list(all_names[1 : 1 + MAX_ALIASES]),
            "affiliation": main.affiliation or _first(a.affiliation for a in group),
            "country": main.country or _first(a.country for a in group),
        }
    )
    canonical = _first(aliases.lookup(n) for n in all_names) if aliases is not None else None
    return ResolvedActor(merged, all_names, canonical or main.name.strip())


def _name_preference(actor: Actor) -> tuple[bool, int]:
    """A proper name ("Syrian Democratic Forces") over a description ("the Kurdish-led
    forces"), then the longest."""
    name = actor.name.strip()
    proper = name[:1].isupper() and not name.casefold().startswith("the ")
    return proper, len(name)


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)
