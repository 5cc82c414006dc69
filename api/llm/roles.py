"""From a phrase of the parse to the actor it names (the hybrid pipeline's role mapping).

A phrase names an actor through a mention of its name or alias in the phrase's core (the head
noun and what precedes it: "Islamic State fighters" → Islamic State), else in an "of" / "from"
phrase ("members of the SDF"). A pronoun is the last actor of a fitting kind mentioned before
it ("he": a person; "it", "they": a group or state). A description with "the" ("the
extremists", "the bloc") is the last actor of its kind mentioned before, where there is one;
an unnamed group ("civilians", "protesters", "gunmen") is an actor of its own, named as written.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from api.llm.actor_candidates import ActorCandidate, clean_name
from api.llm.actor_words import (
    DESCRIPTIONS,
    FIRST_PERSON,
    GROUP_ADJECTIVES,
    GROUP_NOUNS,
    GROUP_PRONOUNS,
    INSTITUTION_NOUNS,
    MEMBER_NOUNS,
    NAME_ENTITIES,
    PERSON_PRONOUNS,
    QUANTITY_HEADS,
    RELATIVE_PRONOUNS,
    WEAPONS,
    group_kind,
)
from api.llm.alignment import MentionIndex, find_mentions, mention_name
from api.llm.event_candidates import SPEECH_LEMMAS
from api.llm.gazetteer import DEMONYMS
from api.llm.nlp import ParsedSentence, set_off
from schemas.extraction import ActorKind
from schemas.text import name_key

Token = Any


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    actor: ActorCandidate


class ActorIndex:
    """Where each candidate actor is mentioned, to map phrases to actors; groups an event
    names but no entity does ("civilians") are added as they are met."""

    def __init__(self, candidates: list[ActorCandidate], text: str) -> None:
        self.candidates = candidates
        self.text = text
        # (start, end, speaker name) of each attributed quotation: "we" inside is the speaker
        self.quote_speakers: list[tuple[int, int, str]] = []
        # actors a pronoun or description cannot refer to (an event's sources, for its targets)
        self.exclude: list[ActorCandidate] = []
        self._mentions: list[_Mention] = []
        self._starts: list[int] = []
        # every candidate's names in one pass over the text
        self._found = MentionIndex(text, (mention_name(n) for c in candidates for n in c.names))
        for candidate in candidates:
            self._index(candidate)

    def _index(self, candidate: ActorCandidate, at: tuple[int, int] | None = None) -> None:
        """Every mention of the candidate's names; for a one-word group ("forces",
        "civilians") only the phrase it was met in (`at`): the word elsewhere may be another
        group's."""
        if at is not None and " " not in candidate.name:
            self._mentions.append(_Mention(at[0], at[1], candidate))
        else:
            for name in candidate.names:
                for span in find_mentions(name, self.text, self._found):
                    if span.start is not None and span.end is not None:
                        self._mentions.append(_Mention(span.start, span.end, candidate))
        self._mentions.sort(key=lambda m: (m.start, -m.end))
        self._starts = [m.start for m in self._mentions]

    def _speaker_at(self, offset: int) -> ActorCandidate | None:
        for start, end, name in self.quote_speakers:
            if start <= offset < end:
                return next((c for c in self.candidates if c.name == name), None)
        return None

    def names_an_actor(self, start: int, end: int) -> bool:
        """The span is (part of) a mention of an actor that is not a place ("Raqa Civil
        Council", "Kurdistan" in "Kurdistan 24")."""
        return any(
            m.start <= start and end <= m.end and m.actor.label != "GPE" for m in self._mentions
        )

    def actors_of(self, phrase: Token, sentence: ParsedSentence) -> list[ActorCandidate]:
        """The actors a phrase names: itself, or those it lists ("six companies, including
        Al Junaid and ...")."""
        found = self.actor_of(phrase, sentence)
        if found is not None:
            return [found]
        listed: list[ActorCandidate] = []
        for child in phrase.subtree:
            if child.dep_ == "prep" and child.lower_ in ("including", "like"):
                for item in (c for c in child.children if c.dep_ == "pobj"):
                    for head in (item, *item.conjuncts):
                        actor = self.actor_of(head, sentence)
                        if actor is not None and actor not in listed:
                            listed.append(actor)
        return listed

    def actor_of(self, phrase: Token, sentence: ParsedSentence) -> ActorCandidate | None:
        """The actor a phrase (given by its head token) names, if any."""
        if phrase.lemma_.casefold() in QUANTITY_HEADS:  # "thousands of protesters"
            counted = [o for c in phrase.children if c.lower_ == "of" for o in c.children]
            if counted:
                phrase = counted[0]
        if phrase.lower_ in FIRST_PERSON:  # "We thank both sides," it said: the speaker
            speaker = self._speaker_at(sentence.start_of(phrase))
            if speaker is not None:
                return speaker
        if phrase.lower_ in RELATIVE_PRONOUNS and phrase.head.dep_ == "relcl":
            antecedent = phrase.head.head  # "an alliance that broke into Raqa"
            return self.actor_of(antecedent, sentence) or self._description(
                antecedent, sentence, require_the=False
            )
        for (
            child
        ) in phrase.children:  # "its spokesman, Abdulmalik al-Murtada"; "the UN mission, MINUSMA"
            if (
                child.dep_ == "appos"
                and child.ent_type_ in ("PERSON", "ORG")
                and set_off(child)
                and not _says(child)
            ):
                found = self._named_in(list(child.subtree), sentence, child)
                if found is not None:
                    return found
        institution = self._institution(phrase, sentence)
        if institution is not None:
            return institution
        core = [t for t in phrase.subtree if t.i <= phrase.i and t.dep_ not in ("prep",)]
        found = self._named_in(core, sentence, phrase)
        if found is not None:
            return found
        lower = phrase.lower_
        start = sentence.start_of(phrase)
        if lower in PERSON_PRONOUNS:
            return self._last_before(start, frozenset({ActorKind.PERSON}))
        if lower in GROUP_PRONOUNS:
            return self._last_before(start, None)
        for child in phrase.children:  # "members of the SDF", "officials from the RCC"
            if (
                child.dep_ == "prep"
                and child.lower_ in ("of", "from")
                and phrase.lemma_.casefold() in MEMBER_NOUNS
            ):
                found = self._named_in(list(child.subtree), sentence, None)
                if found is not None:
                    return found
        found = self._description(phrase, sentence, require_the=True)
        if found is not None:
            return found
        if phrase.pos_ == "PROPN" and phrase.ent_type_ in NAME_ENTITIES:
            return self._proper(phrase, sentence)
        if group_kind(phrase) is not None:
            owner = self._owner(phrase, sentence)
            return owner if owner is not None else self._group(phrase, sentence)
        if phrase.lemma_.casefold() in FACILITIES:  # "a Malian army post": the Malian army
            held_by = [c for c in phrase.children if c.dep_ == "compound" and group_kind(c)]
            if held_by:
                adjectives = [c for c in phrase.lefts if c.dep_ == "amod" and _names_the_group(c)]
                name = " ".join(t.text for t in [*adjectives, held_by[0]])
                return self._named(name, sentence, held_by[0])
        return None

    def _last_named_group(self, offset: int, head: str) -> ActorCandidate | None:
        for mention in reversed(self._mentions[: bisect_left(self._starts, offset)]):
            words = mention.actor.name.casefold().split()
            if len(words) > 1 and words[-1] == head and mention.actor not in self.exclude:
                return mention.actor
        return None

    def _owner(self, phrase: Token, sentence: ParsedSentence) -> ActorCandidate | None:
        """ "The army said its forces ...": a group a possessive pronoun gives an owner is
        the owner's (the last group or state before the pronoun)."""
        if phrase.lemma_.casefold() not in MEMBER_NOUNS:
            return None
        pronouns = [c for c in phrase.children if c.dep_ == "poss" and c.lower_ in ("its", "their")]
        if not pronouns:
            return None
        speaker = _reporter(phrase)  # "The army said its forces": the army's
        if speaker is not None and speaker.lower_ not in GROUP_PRONOUNS | PERSON_PRONOUNS:
            found = self.actor_of(speaker, sentence)
            if found is not None and found.kind != ActorKind.PERSON:
                return found
        return self._last_before(sentence.start_of(pronouns[0]), None, places=False)

    def _description(
        self, phrase: Token, sentence: ParsedSentence, *, require_the: bool
    ) -> ActorCandidate | None:
        """ "the extremists", "US-backed forces": the nearest actor of the description's kind
        mentioned before (or, in a lead, the first after)."""
        kinds = DESCRIPTIONS.get(phrase.lemma_.casefold())
        if kinds is None:
            return None
        has_the = any(c.lower_ == "the" for c in phrase.children)
        modified = any(c.dep_ == "amod" and "-" in c.text for c in phrase.children) or any(
            c.dep_ == "amod" and c.lower_ in ("backed", "led") for c in phrase.children
        )
        if require_the and not (has_the or modified):
            return None
        start = sentence.start_of(phrase)
        named = self._last_named_group(start, phrase.lower_)  # "the army": the Iraqi army
        if named is not None:
            return named
        if ActorKind.STATE in kinds:  # "the authorities": an institution before a country
            institution = self._last_before(start, kinds, places=False)
            if institution is not None:
                return institution
        return self._last_before(start, kinds) or self._first_after(start, kinds)

    def _institution(self, phrase: Token, sentence: ParsedSentence) -> ActorCandidate | None:
        """ "Mali's transitional authorities", "Somalia's federal government", "the UN mission
        in Libya": an institution of a place or organisation is an actor of its own, named as
        the text names it (without the possessor)."""
        lemma = phrase.lemma_.casefold()
        if lemma not in INSTITUTION_NOUNS:
            return None
        owners = [c for c in phrase.children if c.dep_ in ("poss", "compound", "nmod")]
        if any(c.lower_ in PERSON_PRONOUNS | GROUP_PRONOUNS for c in owners):
            return None
        if not owners and not any(c.dep_ == "amod" for c in phrase.children):
            return None  # "the government" alone is a description (_description)
        words = [
            t
            for c in phrase.lefts
            if c.dep_ in ("amod", "compound", "nmod")
            for t in c.subtree
            if t.dep_ != "det"
        ]
        if any(c.dep_ == "poss" for c in owners):
            words = [w for w in words if w.dep_ == "amod" or w.ent_type_ == ""]
        name = " ".join(t.text for t in [*words, phrase]).replace(" - ", "-")
        places = [c for c in phrase.children if c.dep_ == "prep" and c.lower_ == "in"]
        if lemma in ("mission", "office", "envoy") and places:
            where = [c for c in places[0].children if c.dep_ == "pobj"]
            if where:
                name += f" in {where[0].text}"
        if not words and not places:
            return None
        return self._named(name, sentence, phrase)

    def _named(self, name: str, sentence: ParsedSentence, phrase: Token) -> ActorCandidate:
        name = clean_name(name, proper=False)
        for candidate in self.candidates:
            if name_key(candidate.name) == name_key(name):
                return candidate
        kind = GROUP_NOUNS.get(phrase.lower_) or (
            ActorKind.INTERNATIONAL_ORG if phrase.lemma_.casefold() == "mission" else None
        )
        candidate = ActorCandidate(name=name, kind=kind or ActorKind.STATE, label="group")
        self.candidates.append(candidate)
        self._index(candidate)
        return candidate

    def _first_after(self, offset: int, kinds: frozenset[ActorKind]) -> ActorCandidate | None:
        for mention in self._mentions[bisect_left(self._starts, offset) :]:
            if mention.actor.kind in kinds and mention.actor not in self.exclude:
                return mention.actor
        return None

    def _proper(self, phrase: Token, sentence: ParsedSentence) -> ActorCandidate | None:
        """A proper name the entity recogniser missed ("Huthis", "Jaish al-Islam"); not a
        weapon's ("a roadside IED detonated")."""
        words = [t for t in phrase.subtree if t.i <= phrase.i and t.dep_ in ("compound",)]
        name = clean_name(" ".join(t.text for t in [*words, phrase]))
        if name_key(name) in WEAPONS:
            return None
        for candidate in self.candidates:
            if name_key(candidate.name) == name_key(name) or name in candidate.aliases:
                return candidate
        candidate = ActorCandidate(name=name, kind=None, label="proper")
        self.candidates.append(candidate)
        self._index(candidate)
        return candidate

    def _named_in(
        self, tokens: list[Token], sentence: ParsedSentence, head: Token | None
    ) -> ActorCandidate | None:
        if not tokens:
            return None
        lo = min(sentence.start_of(t) for t in tokens)
        hi = max(sentence.end_of(t) for t in tokens)
        inside = [m for m in self._mentions if m.start >= lo and m.end <= hi]
        if not inside:
            return None
        if head is not None:  # the mention holding the head word wins ("Bali, the head of …")
            at = sentence.start_of(head)
            holding = [m for m in inside if m.start <= at < m.end]
            if holding:
                return max(holding, key=lambda m: m.end - m.start).actor
            # "the Iran-backed Huthis": a modifier's name is not the phrase's actor
            modifiers = [  # "Iran-backed", not "Huthi" in "Huthi leaders"
                (sentence.start_of(t), sentence.end_of(t))
                for c in head.children
                if c.dep_ == "amod" and any("-" in t.text or t.text == "-" for t in c.subtree)
                for t in c.subtree
            ]
            # ... unless the name runs on past it ("U.S.-led coalition advisers")
            inside = [
                m for m in inside if not any(a <= m.start and m.end <= b for a, b in modifiers)
            ]
            if not inside:
                return None
        return max(inside, key=lambda m: (m.end - m.start, -m.start)).actor

    def _last_before(
        self,
        offset: int,
        kinds: frozenset[ActorKind] | None,
        *,
        named_only: bool = False,
        places: bool = True,
    ) -> ActorCandidate | None:
        """The last actor mentioned before `offset` (of one of `kinds`; any but a person when
        None; with `named_only`, not an unnamed group; without `places`, not a GPE)."""
        for mention in reversed(self._mentions[: bisect_left(self._starts, offset)]):
            if (named_only and mention.actor.label == "group") or mention.actor in self.exclude:
                continue
            if not places and mention.actor.label == "GPE":
                continue
            kind = mention.actor.kind
            if kinds is None and kind not in (ActorKind.PERSON, ActorKind.CIVILIANS):
                return mention.actor
            if kinds is not None and kind in kinds:
                return mention.actor
        return None

    def _group(self, phrase: Token, sentence: ParsedSentence) -> ActorCandidate:
        """An unnamed group as written ("civilians", "security forces"), one actor per
        article; an armed group some named actor before it is ("fighters", "the militants")
        is that actor."""
        kind = group_kind(phrase)
        start = sentence.start_of(phrase)
        if kind == ActorKind.ARMED_GROUP:
            named = self._last_before(start, frozenset({kind}), named_only=True)
            if named is not None:
                return named
        words = [
            c
            for c in phrase.lefts
            if (c.dep_ == "compound" or (c.dep_ == "amod" and _names_the_group(c)))
            and "-" not in c.text
        ]
        if not words:  # "the troops" after "Malian troops": that group
            same_head = self._last_named_group(start, phrase.lower_)
            if same_head is not None:
                return same_head
        name = " ".join(t.text for t in [*words, phrase])
        if phrase.is_title and (words or [phrase])[0].i == 0:
            name = name[:1].lower() + name[1:]
        at = (sentence.start_of(words[0] if words else phrase), sentence.end_of(phrase))
        for candidate in self.candidates:
            if candidate.name.casefold() == name.casefold():
                self._index(candidate, at)
                return candidate
        candidate = ActorCandidate(name=name, kind=kind, label="group")
        self.candidates.append(candidate)
        self._index(candidate, at)
        return candidate


# What an armed group or a state holds: an attack on it is an attack on its holder.
FACILITIES = frozenset(
    {"post", "base", "position", "checkpoint", "convoy", "barracks", "outpost", "patrol",
     "headquarters", "camp"}
)  # fmt: skip


def _names_the_group(adjective: Token) -> bool:
    """ "federal troops", "Malian troops" (a nationality), not "several soldiers"."""
    return adjective.lower_ in GROUP_ADJECTIVES or adjective.text in DEMONYMS


def _reporter(phrase: Token) -> Token | None:
    """The subject of the speech verb whose clause holds the phrase."""
    verb = next((a for a in phrase.ancestors if a.lemma_.casefold() in SPEECH_LEMMAS), None)
    subjects = [c for c in verb.children if c.dep_ == "nsubj"] if verb is not None else []
    return subjects[0] if subjects else None


def _says(phrase: Token) -> bool:
    """ "... killing 11 civilians, the Syrian Observatory said": a name the parse hangs on
    the phrase before it that is really the subject of the speech verb after it."""
    after = phrase.right_edge.i + 1
    return after < len(phrase.doc) and phrase.doc[after].lemma_.casefold() in SPEECH_LEMMAS
