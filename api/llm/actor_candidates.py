"""Actors the text names, from spaCy's entities and parse (the hybrid pipeline's stage 0).

- Named entities (PERSON, ORG; NORP or GPE heading a group noun: "Iraqi forces", "Syrian
  government"), cleaned of "the", titles and modifiers ("US-backed", "Britain-based").
- Acronyms defined in parentheses ("the Raqa Civil Council (RCC)") become aliases; a person's
  surname alone ("Sello") is an alias of the person named in full ("Talal Sello").
- A person's affiliation from the words around the name: a title compound ("SDF spokesman
  Talal Sello"), an apposition ("Mustafa Bali, the head of the SDF media center"), "of"
  ("Sherfan Darwish of the Democratic Forces"), a possessive ("Russia's Foreign Minister").
- Kind: the curated table's, else the entity label (PERSON: person), else the name's words
  (forces, militia → armed_group; ministry, army, police → state; council, party →
  political_org; UN, agency, programme → international_org; agency, TV → media). An actor
  whose kind no rule decides is `undecided`: the pipeline may ask the model.

Places (GPE) are candidates too, as states ("Moscow" is Russia in the table) — but an actor is
kept only when an event names it as source or target, a quote as speaker, or another actor as
affiliation; a place that only locates something never becomes an actor.
News agencies and an outlet only ever "told" something are not actors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.llm.actor_words import (
    GENERIC_NAMES,
    GROUP_NOUNS,
    MEMBER_NOUNS,
    NEWS_AGENCIES,
    PLACE_NOUNS,
    PLATFORMS,
    kind_of,
)
from api.llm.actors import AliasTable
from api.llm.nlp import ParsedSentence
from api.llm.quotes_by_pattern import TITLES, QuoteCandidate
from schemas.extraction import ActorKind
from schemas.text import MINOR_WORDS, name_key

_MODIFIER = re.compile(r"^[\w.]+-(?:backed|led|based|linked|run|held|allied|owned|born)$", re.I)
# "the Saudi-led coalition": an actor of its own; then "the coalition" / "Coalition
# warplanes" in that article are it, not the table's coalition.
LED_COALITION = re.compile(
    r"\b(?:[A-Z][\w.]*-)?[A-Z][\w.]*-led (?:military )?(?:coalition|alliance)\b"
)
# "Syrian Democratic Forces (SDF)": a name of capitalised words, then its acronym.
ACRONYM_DEFINITION = re.compile(
    r"((?:[A-Z][\w'’\-]*[ \t]+(?:(?:of|for|and|du|de|des|la|le|al|el)[ \t]+(?:the[ \t]+)?)?){1,7})"
    r"\(([A-Z][A-Za-z]{1,7})\)"
)


@dataclass
class ActorCandidate:
    name: str
    kind: ActorKind | None  # None: no rule decides (the model may)
    aliases: list[str] = field(default_factory=list)
    affiliation: str | None = None
    label: str = ""  # the entity label it came from, or "acronym" / "group"

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


def clean_name(text: str, *, person: bool = False, proper: bool = True) -> str:
    """An entity's text as an actor name: no leading article or modifier ("US-backed"), no
    possessive; for a proper name no leading lower-case word ("the regional bloc ECOWAS"), for a
    person no title ("Colonel")."""
    words = text.replace("\n", " ").split()
    while words and (
        words[0].casefold() in {"the", "a", "an"}
        or (_MODIFIER.match(words[0]) and not LED_COALITION.fullmatch(" ".join(words)))
        or (person and words[0].casefold() in TITLES)
        or (proper and len(words) > 1 and words[0].islower())
    ):
        words.pop(0)
    name = " ".join(words)
    name = re.sub(r"['’]s$", "", name).strip(" ,.;:-–—\"'“”’")
    return name


def find_actor_candidates(
    parsed: Sequence[ParsedSentence],
    text: str,
    aliases: AliasTable | None,
    is_place: Callable[[str, bool], bool] = lambda _name, _fuzzy: False,
) -> list[ActorCandidate]:
    """Every actor the text names, once each (by name key), in order of first mention. A name
    the recogniser called ORG or PERSON that `is_place` knows as a town of the article is a
    place ("Raqa"), like a GPE."""
    found: dict[str, ActorCandidate] = {}

    def key_of(name: str) -> str:
        canonical = aliases.lookup(name) if aliases is not None else None
        return name_key(canonical or name)

    def add(name: str, label: str) -> ActorCandidate | None:
        name = clean_name(name, person=label == "PERSON", proper=label != "group")
        if label in ("ORG", "group") and aliases is not None:
            name = (
                _table_core(name, aliases) or name
            )  # "Kurdish U.S.-backed Syrian Democratic Forces"
        key = name_key(name)
        if (
            not key
            or len(key) < 2
            or key in NEWS_AGENCIES | MINOR_WORDS | GENERIC_NAMES | PLATFORMS
        ):
            return None
        key = key_of(name)
        if key in found:  # "Huthi rebels" after "Huthis": one actor the table knows
            same = found[key]
            if name_key(name) not in {name_key(n) for n in same.names}:
                if name_key(same.name) in name_key(name).split():  # "Huthi" → "Huthi rebels"
                    same.aliases.append(same.name)
                    same.name = name
                else:
                    same.aliases.append(name)
            return same
        canonical = aliases.lookup(name) if aliases is not None else None
        if canonical and name_key(canonical) != name_key(name) and _written(canonical, text):
            # "ISIS" in the headline, "Islamic State" in the text: the table's name
            candidate = ActorCandidate(
                name=canonical, aliases=[name], kind=kind_of(name, label, aliases), label=label
            )
        else:
            candidate = ActorCandidate(name=name, kind=kind_of(name, label, aliases), label=label)
        found[key] = candidate
        return candidate

    for sentence in parsed:
        if _is_header(sentence):
            continue
        for entity in sentence.doc.ents:
            if entity.label_ in ("PERSON", "ORG"):
                if _names_a_place(entity):
                    continue
                label = entity.label_
                # a near spelling only of one word the recogniser called ORG ("Raqa")
                near = label == "ORG" and " " not in entity.text.strip()
                if is_place(entity.text, near):
                    label = "GPE"
                elif label == "ORG" and _described_as_person(entity):
                    label = "PERSON"  # "Abdou Diallo, a former Senegalese foreign minister"
                add(_extended(entity) if label == "ORG" else entity.text, label)
            elif entity.label_ in ("FAC", "LOC", "PRODUCT") and _member_of(entity):
                add(entity.text, "ORG")  # "the commander of Saraya Thar al-Muhandis"
            elif entity.label_ in ("NORP", "GPE"):
                group = _group_phrase(entity)
                if group:
                    add(group, "group")
                elif entity.label_ == "GPE":
                    add(entity.text, "GPE")
    led = [add(m.group(0), "group") for m in LED_COALITION.finditer(text)]
    coalitions = {name_key(c.name.split()[-1]): c for c in led if c is not None}
    if aliases is not None:
        for name in _table_names(parsed, aliases):
            coalition = coalitions.get(name_key(name))
            if coalition is not None and aliases.lookup(name) != aliases.lookup(coalition.name):
                coalition.aliases.append(name)  # "Coalition" where the text names its leader
                continue
            add(name, "table")
    for match in ACRONYM_DEFINITION.finditer(text):
        full = match.group(1).strip()
        full = re.split(r"\bThe\s+", full)[-1]
        full = " ".join(w for w in full.split() if not _MODIFIER.match(w))
        acronym = match.group(2)
        candidate = found.get(key_of(clean_name(full))) or add(full, "acronym")
        if candidate is None or name_key(acronym) in NEWS_AGENCIES:
            continue
        found.pop(name_key(acronym), None)  # "SDF" alone is the same actor
        if acronym not in candidate.aliases:
            candidate.aliases.append(acronym)
    candidates = _merge_short_forms(list(found.values()))
    for candidate in candidates:
        if candidate.kind == ActorKind.PERSON:
            candidate.affiliation = _affiliation(candidate, parsed, candidates, aliases)
    return candidates


def _extended(entity: object) -> str:
    """An organisation's name the recogniser cut short, run on through "of" / "for" and
    capitalised words ("the International Committee" of the Red Cross)."""
    doc, end = entity.doc, entity.end  # type: ignore[attr-defined]
    stop = end
    while end < len(doc) and doc[end].lower_ in ("of", "for", "the", "and"):
        nxt = end
        while nxt < len(doc) and doc[nxt].lower_ in ("of", "for", "the", "and"):
            nxt += 1
        if nxt < len(doc) and doc[nxt].text[:1].isupper() and doc[nxt].pos_ == "PROPN":
            while nxt < len(doc) and doc[nxt].text[:1].isupper() and doc[nxt].pos_ == "PROPN":
                nxt += 1
            stop = end = nxt
        else:
            break
    return str(doc[entity.start : stop].text)  # type: ignore[attr-defined]


def _table_core(name: str, aliases: AliasTable) -> str | None:
    """The longest run of the name's words the curated table knows."""
    words = name.split()
    for size in range(len(words), 0, -1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase[:1].isupper() and aliases.lookup(phrase) is not None:
                return phrase
    return None


def _table_names(parsed: Sequence[ParsedSentence], aliases: AliasTable) -> Iterable[str]:
    """Names the curated table knows, as the text writes them ("U.S.-led coalition",
    "Daesh"): the longest run of words that is a known alias."""
    for sentence in parsed:
        if _is_header(sentence):
            continue
        words = [t for t in sentence.doc if not t.is_punct or t.text in ("-", ".")]
        doc_text = sentence.doc.text  # spaCy joins the tokens anew on every read
        starts = [t.idx for t in words]
        ends = [t.idx + len(t) for t in words]
        i = 0
        while i < len(words):
            # every phrase tried here begins with word i: none is a name unless it is capitalised
            if doc_text[starts[i] : starts[i] + 1].isupper():
                for size in range(min(6, len(words) - i), 0, -1):
                    phrase = doc_text[starts[i] : ends[i + size - 1]]
                    if aliases.lookup(phrase) is not None:
                        yield phrase
                        i += size - 1
                        break
            i += 1


def speakers_named(
    quotes: Sequence[QuoteCandidate],
    candidates: Sequence[ActorCandidate],
    aliases: AliasTable | None,
) -> list[ActorCandidate]:
    """People a quotation's attribution names whom the recogniser missed ("Karim
    al-Shuwaili said"): a mention of two to four capitalised words that names no known actor."""
    known = {name_key(n) for c in candidates for n in c.names}
    known_words = [set(k.split()) for k in known]
    found: list[ActorCandidate] = []
    for quote in quotes:
        mention = quote.mention or ""
        words = mention.split()
        if not 2 <= len(words) <= 4 or not all(w[:1].isupper() or "-" in w for w in words):
            continue
        key = name_key(mention)
        tokens = set(key.split())
        if key in known or key in NEWS_AGENCIES or any(w <= tokens for w in known_words if w):
            continue
        kind = kind_of(mention, "", aliases) or ActorKind.PERSON
        found.append(ActorCandidate(name=mention, kind=kind, label="speaker"))
        known.add(key)
        known_words.append(tokens)
    return found


def _is_header(sentence: ParsedSentence) -> bool:
    """A headline, dateline or byline: short, in capitals, or without a sentence's final
    punctuation."""
    text = sentence.sentence.text
    return len(text.split()) < 6 or text.upper() == text or text.rstrip("”’\"' )")[-1:] not in ".!?"


def _written(name: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _names_a_place(entity: Any) -> bool:
    outside = [t.head for t in entity if not entity.start <= t.head.i < entity.end]
    return any(h.lemma_.casefold() in PLACE_NOUNS and h.i > entity.start for h in outside)


def _described_as_person(entity: Any) -> bool:
    """An apposition that says what the named person is ("a former foreign minister")."""
    return any(
        c.dep_ == "appos" and (c.lemma_.casefold() in TITLES or c.lemma_.casefold() in MEMBER_NOUNS)
        for c in entity.root.children
    )


def _member_of(entity: Any) -> bool:
    """A name after "commander of", "members of": an organisation, whatever the label."""
    root = entity.root
    return bool(
        root.dep_ == "pobj"
        and root.head.lower_ == "of"
        and root.head.head.lemma_.casefold() in MEMBER_NOUNS
    )


def _group_phrase(entity: Any) -> str | None:
    """ "Iraqi forces", "Syrian government": a NORP/GPE entity modifying a group noun; a
    possessor is not part of the name ("Yemen's pro-government forces": the pro-government
    forces, as api.llm.roles names "Mali's transitional authorities")."""
    head = entity.root.head
    if head.i == entity.root.i or head.lower_ not in GROUP_NOUNS or head.i < entity.root.i:
        return None
    end = head.i + 1
    if head.lower_ in ("troops", "soldiers", "units") and entity.doc[head.i - 1].lower_ == "army":
        end = head.i  # "Iraqi army troops": the Iraqi army
    start = entity.start
    if entity.root.dep_ == "poss":
        start = entity.end + (entity.doc[entity.end].tag_ == "POS")
        if start >= end - 1 and entity.doc[start].i == head.i:
            return None  # "Yemen's forces": a description, resolved by the roles
    return str(entity.doc[start:end].text)


def _merge_short_forms(candidates: list[ActorCandidate]) -> list[ActorCandidate]:
    """A one-word name that is the last word of a person's full name ("Sello") is that
    person; a name that is a person's full name with a title removed is too."""
    people = [c for c in candidates if c.kind == ActorKind.PERSON and " " in c.name]
    kept: list[ActorCandidate] = []
    for candidate in candidates:
        owner = next(
            (
                p
                for p in people
                if p is not candidate
                and " " not in candidate.name
                and p.name.split()[-1] == candidate.name
            ),
            None,
        )
        if owner is not None:
            if candidate.name not in owner.aliases:
                owner.aliases.append(candidate.name)
            continue
        kept.append(candidate)
    return kept


def _affiliation(
    person: ActorCandidate,
    parsed: Sequence[ParsedSentence],
    candidates: Sequence[ActorCandidate],
    aliases: AliasTable | None,
) -> str | None:
    """The organisation a person speaks or acts for, from the words around the name."""
    others = [c for c in candidates if c is not person and c.kind != ActorKind.PERSON]
    for sentence in parsed:
        for entity in sentence.doc.ents:
            if entity.label_ != "PERSON" or clean_name(entity.text) != person.name:
                continue
            for phrase in _context_phrases(entity):
                named = _actor_named_in(phrase, others, aliases)
                if named is not None:
                    return named
    return None


def _context_phrases(entity: object) -> Iterable[str]:
    """Words tied to a person's name: the title compound before it, an apposition, "of X",
    the possessor of the title ("Russia's")."""
    root = entity.root  # type: ignore[attr-defined]
    before = [t for t in root.lefts if t.i < entity.start]  # type: ignore[attr-defined]
    if before:
        yield " ".join(t.text for t in before[0].subtree if t.i < entity.start)  # type: ignore[attr-defined]
    for child in root.rights:
        if child.dep_ in ("appos", "prep", "acl"):
            yield " ".join(t.text for t in child.subtree)
    if root.dep_ == "appos":
        yield " ".join(t.text for t in root.head.subtree if t.i < entity.start)  # type: ignore[attr-defined]


def _actor_named_in(
    phrase: str, actors: Sequence[ActorCandidate], aliases: AliasTable | None
) -> str | None:
    phrase_key = f" {name_key(phrase)} "
    best: tuple[int, str] | None = None
    for actor in actors:
        for name in actor.names:
            key = name_key(name)
            if key and f" {key} " in phrase_key and (best is None or len(key) > best[0]):
                best = (len(key), actor.name)
    if best is None and aliases is not None:
        words = name_key(phrase).split()
        for size in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                canonical = aliases.lookup(" ".join(words[i : i + size]))
                if canonical is not None:
                    return canonical
    return best[1] if best else None
