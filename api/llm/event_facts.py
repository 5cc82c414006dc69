"""What a sentence says of where an event happened and how many died (event candidates'
place mentions and death tolls), from spaCy's entities and parse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from api.llm.actor_words import PLACE_NOUNS
from api.llm.nlp import PLACE_LABELS, ParsedSentence

Token = Any
PLACE_PREPOSITIONS = frozenset(
    {"in", "at", "near", "on", "into", "outside", "around", "across", "from", "to", "inside",
     "towards", "toward", "through", "of", "off"}
)  # fmt: skip


@dataclass(frozen=True)
class PlaceMention:
    start: int  # in the article
    end: int
    text: str
    labelled: bool  # the recogniser calls it a place (GPE, LOC, FAC)
    own: bool = False  # in the trigger's own phrase
    capital_of: bool = False  # "Sudan's capital": the text names the country


def places_in(sentence: ParsedSentence, trigger: Token | None = None) -> list[PlaceMention]:
    """Names that may place an event, nearest the trigger first: GPE / LOC / FAC entities
    after a preposition of place or as an object ("retake Raqa"), and other proper names (the
    recogniser calls some towns ORG or PERSON) that the gazetteer will have to know
    (api.llm.coding.Places). "X's capital" names X's capital."""
    found: list[tuple[int, PlaceMention]] = []
    own = {t.i for t in trigger.subtree} if trigger is not None else set()
    seen: set[int] = set()
    spans = [*sentence.doc.ents, *_proper_runs(sentence.doc)]
    for span in spans:
        root = span.root
        if root.i in seen or span.label_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT"):
            continue
        after_preposition = (
            root.dep_ == "pobj" and root.head.lemma_.casefold() in PLACE_PREPOSITIONS
        )
        # "Syria's Raqa", "Sudan's capital" place; "Yemen's forces" only own
        owner_of_place = root.dep_ == "poss" and (
            root.head.pos_ == "PROPN" or root.head.lemma_.casefold() in {"capital", *PLACE_NOUNS}
        )
        placed = after_preposition or owner_of_place or root.dep_ in ("compound", "dobj", "appos")
        if not placed:
            continue
        seen.add(root.i)
        text = str(span.text)
        text = text[4:] if text.lower().startswith("the ") else text
        mention = PlaceMention(
            sentence.start_of(span),
            sentence.end_of(span),
            text,
            labelled=span.label_ in PLACE_LABELS,
            own=root.i in own,
            capital_of=root.dep_ == "poss" and root.head.lemma_.casefold() == "capital",
        )
        distance = abs(root.i - trigger.i) if trigger is not None else root.i
        found.append((distance, mention))
    return [m for _, m in sorted(found, key=lambda x: x[0])]


def _proper_runs(doc: Any) -> list[Any]:
    """Runs of proper nouns the recogniser left out ("the town of Maaret al-Numan")."""
    runs = []
    i = 0
    while i < len(doc):
        if doc[i].pos_ == "PROPN" and not doc[i].ent_type_:
            j = i
            while (
                j + 1 < len(doc)
                and (doc[j + 1].pos_ == "PROPN" or doc[j + 1].text == "-")
                and not doc[j + 1].ent_type_
            ):
                j += 1
            runs.append(doc[i : j + 1])
            i = j + 1
        else:
            i += 1
    return runs


# ACLED's rule: vague numbers are coded low.
VAGUE_NUMBERS = {
    "several": 3, "a few": 3, "few": 3, "some": 3, "a dozen": 12, "dozen": 12, "dozens": 12,
    "scores": 20, "hundreds": 100, "thousands": 1000,
}  # fmt: skip
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen", "twenty")
    )
}  # fmt: skip
DEATH_LEMMAS = frozenset({"kill", "die", "dead", "death", "killing", "life", "fatality", "toll"})
_ONE_PERSON = frozenset(
    {"woman", "man", "child", "boy", "girl", "soldier", "civilian", "person", "officer",
     "fighter", "policeman", "journalist", "resident", "worker", "student"}
)  # fmt: skip


def fatalities_in(sentence: ParsedSentence) -> int | None:
    """People killed, as the sentence says: the lowest figure given (ACLED: "at least 15" is
    15, "dozens" 12); one singular victim of a death verb is 1; None when no death is told."""
    found: list[int] = []
    for token in sentence.doc:
        if token.lemma_.casefold() not in DEATH_LEMMAS:
            continue
        for number in _numbers_near(token):
            found.append(number)
        if not found and token.lemma_.casefold() in {"die", "kill"}:
            victims = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass", "dobj")]
            if any(v.lemma_.casefold() in _ONE_PERSON and v.tag_ == "NN" for v in victims):
                found.append(1)
    return min(found) if found else None


def _numbers_near(death: Token) -> Iterable[int]:
    """Numbers counting the dead: on the death word's subject or object ("15 people were
    killed", "killing 12"), or on the death word itself ("40 dead")."""
    heads = [death, *(c for c in death.children if c.dep_ in ("nsubj", "nsubjpass", "dobj"))]
    for head in heads:
        for child in head.subtree:
            if child.i > death.i + 6:
                break
            value = _number(child)
            if value is not None and (child.dep_ == "nummod" or child.head in heads):
                yield value


def _number(token: Token) -> int | None:
    text = token.lower_.replace(",", "")
    if text.isdigit():
        return int(text)
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    if text in VAGUE_NUMBERS:
        return VAGUE_NUMBERS[text]
    if text == "dozen" and token.i > 0 and token.nbor(-1).lower_ == "a":
        return 12
    return None
