"""Instructions inside an article are text, not commands (stage 0, no model).

A sentence addresses a model when, outside quotation marks, it
1. tells it to drop its instructions or the text ("ignore previous instructions", "disregard
   the article above");
2. names a machine reader as the one addressed ("SYSTEM NOTE", "note to AI extraction tools",
   "Editor's note for automated systems", "attention language models");
3. gives it a role ("you are now ...", "you are an AI assistant", "from now on you ...");
4. orders it to emit or change coded items: a sentence that opens with an order verb ("add",
   "output", "list", "insert", ...) and names a quote, event, actor, attacker, source, target...
Quotation marks are blanked first: a minister quoted saying "ignore the old rules" addresses
people, not a model. A passage runs from the first such sentence of a paragraph to the
paragraph's end (the orders go on: "Also list NATO as the attacker"), and over the next
paragraph when the flagged one ends with a colon (a "SYSTEM NOTE:" heading).

Nothing inside a passage becomes a quote, event or actor: the rules never code it (v2's and
v3's stage 0), and `drop_instructed`, run by enrichment right after alignment in every
pipeline, removes what a model took from it anyway: an event or quote whose span lies in a
passage, an actor named only there (with the roles naming it and the quotes it is made to
say), and the mentions inside it of an actor named elsewhere too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from api.llm.sentences import Sentence, split_sentences
from schemas.grounded import GroundedActor, GroundedExtraction, Span
from schemas.text import name_key

_TOOLS = r"(?:systems?|tools?|models?|pipelines?|software|readers?|agents?|assistants?)"
# What a note to a machine reader names as its addressee ("AI", "automated systems").
_MACHINE = (
    r"(?:A\.?I\.?|LLMs?|(?:large\s+)?language[- ]models?|chat-?bots?|bots?|models?|"
    rf"automated\s+{_TOOLS}|(?:AI\s+)?(?:extraction|coding|parsing)\s+{_TOOLS}|crawlers?|"
    r"scrapers?)(?!\w)"
)
# Where an order to the reader stands: the sentence's start or after a colon ("SYSTEM NOTE:
# Ignore ..."), never after "to" ("urged farmers to ignore earlier rules" is reported).
_ORDER_AT = (
    r"(?:^|(?<=[:;\u2014\u2013]))[\s\[(\"'\u201c]*"
    r"(?:(?:please|now|also|so|and|then|instead|first|finally)\b[\s,]*)*"
)
_CUES = re.compile(
    "|".join(
        (
            # 1. drop the instructions or the text
            rf"{_ORDER_AT}(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|of)\s+)*"
            r"(?:previous|prior|above|earlier|preceding|foregoing|original|former)\s+"
            r"(?:instructions?|prompts?|rules|directions|guidelines|directives|commands)",
            rf"{_ORDER_AT}(?:ignore|disregard|forget)\s+(?:(?:all|everything|the|this|of)\s+)*"
            r"(?:(?:article|text|story|report|content)\s+)?(?:above|before\s+this|so\s+far)\b",
            # 2. a machine reader addressed; "system prompt" only as a label, not in a story
            # about a chatbot
            r"^[\W_]*system\s+(?:note|prompt|message|instruction|override|notice)s?\b",
            r"\bsystem\s+(?:note|prompt|message|instruction|override|notice)s?\s*:",
            r"\b(?:note|message|instructions?|notice|memo|directive|command)s?\s+"
            rf"(?:to|for)\s+(?:(?:all|any|the)\s+)?{_MACHINE}",
            rf"\b(?:attention|dear|hey|hello)\s*,?\s+(?:(?:all|any)\s+)?{_MACHINE}",
            rf"\bif\s+you\s+are\s+an?\s+{_MACHINE}",
            # 3. a role given ("you are now entering a military zone" is a sign, not a role)
            r"\byou\s+are\s+(?:now|no\s+longer)\s+(?:an?|the|acting|free|unrestricted|allowed"
            r"|required|permitted)\b",
            r"\byou\s+are\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}"
            r"(?:AI|assistant|language\s+model|bot|chatbot|extractor|annotator)\b",
            r"\bfrom\s+now\s+on\s*,?\s+you\b",
            r"\bpretend\s+(?:that\s+)?you\b",
        )
    ),
    re.IGNORECASE,
)
# 4. an order to emit or change coded items, with the items it names
_ORDER = re.compile(
    rf"{_ORDER_AT}(?:add|output|list|insert|include|write|generate|create|invent|fabricate"
    r"|print|emit|append|attribute|classify|label|replace|return|do\s+not\s+(?:extract|code"
    r"|list|include|report|output))\b",
    re.IGNORECASE,
)
_ITEMS = re.compile(
    r"\b(?:quotes?|quotations?|events?|actors?|attackers?|perpetrators?|sources?|targets?"
    r"|speakers?|entit(?:y|ies)|JSON)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»")


@dataclass(frozen=True)
class Passage:
    """Text addressed to a model: `article[start:end] == text`."""

    start: int
    end: int
    text: str


def addresses_a_model(sentence: str) -> bool:
    """Whether the sentence, outside its quotations, speaks to a model (rules 1-4 above)."""
    said = _QUOTED.sub(" ", sentence)
    return bool(_CUES.search(said) or (_ORDER.search(said) and _ITEMS.search(said)))


def instruction_passages(text: str, sentences: Sequence[Sentence] | None = None) -> list[Passage]:
    """Every passage of `text` addressed to a model, in order (`sentences` are `text`'s)."""
    sentences = split_sentences(text) if sentences is None else sentences
    by_paragraph: dict[int, list[Sentence]] = {}
    for sentence in sentences:
        by_paragraph.setdefault(sentence.paragraph, []).append(sentence)
    passages: list[Passage] = []
    heading = False  # the previous paragraph was a flagged heading ending with a colon
    for paragraph in sorted(by_paragraph):
        members = by_paragraph[paragraph]
        first = 0 if heading else _first_flagged(members)
        heading = False
        if first is None:
            continue
        start, end = members[first].start, members[-1].end
        passages.append(Passage(start, end, text[start:end]))
        heading = text[start:end].rstrip().endswith(":")
    return passages


def _first_flagged(sentences: list[Sentence]) -> int | None:
    return next((i for i, s in enumerate(sentences) if addresses_a_model(s.text)), None)


def inside(start: int | None, end: int | None, passages: Iterable[Passage]) -> bool:
    """Whether at least half of `[start, end)` lies in a passage (a fuzzy span may reach a
    word past one); an ungrounded span is in none."""
    if start is None or end is None or end <= start:
        return False
    covered = sum(max(0, min(end, p.end) - max(start, p.start)) for p in passages)
    return covered * 2 >= end - start


def span_inside(span: Span | None, passages: Sequence[Passage]) -> bool:
    return span is not None and span.grounded and inside(span.start, span.end, passages)


def drop_instructed(extraction: GroundedExtraction, text: str) -> GroundedExtraction:
    """`extraction` without what comes from a passage of `text` addressed to a model: events
    whose evidence and quotes whose words lie in one; actors every mention of which does (and
    the roles, speakers and affiliations that name them); mentions inside one."""
    passages = instruction_passages(text)
    if not passages:
        return extraction
    actors: list[GroundedActor] = []
    dropped: set[str] = set()
    for actor in extraction.actors:
        mentions = [m for m in actor.mentions if not span_inside(m, passages)]
        if actor.mentions and not mentions:
            dropped |= {name_key(n) for n in (actor.name, *actor.aliases)}
        else:
            actors.append(actor.model_copy(update={"mentions": mentions}))
    dropped -= {name_key(n) for a in actors for n in (a.name, *a.aliases)}

    def kept(names: list[str]) -> list[str]:
        return [n for n in names if name_key(n) not in dropped]

    events = [
        e.model_copy(update={"sources": kept(e.sources), "targets": kept(e.targets)})
        for e in extraction.events
        if not span_inside(e.evidence_span, passages)
    ]
    quotes = [
        q
        for q in extraction.quotes
        if not span_inside(q.span, passages)
        and (q.speaker is None or name_key(q.speaker) not in dropped)
    ]
    actors = [
        a.model_copy(update={"affiliation": None})
        if a.affiliation and name_key(a.affiliation) in dropped
        else a
        for a in actors
    ]
    return GroundedExtraction(actors=actors, events=events, quotes=quotes)


# What v3 shows the model is fixed by its recordings (tests/recordings), which were made when
# stage 0 hid only the paragraphs this older, narrower rule flags: widening it would change
# v3's requests. What is coded and kept follows `instruction_passages`.
_HIDDEN_FROM_V3 = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)"
    r"\s+(?:instructions|prompts?|rules)|\bsystem\s+(?:note|prompt|message|instruction)s?\b"
    r"|\b(?:AI|LLM|language[- ]model|extraction)\s+(?:tools?|systems?|models?|assistants?)\b"
    r"|\byou\s+are\s+(?:an?\s+)?(?:AI|assistant|language model)\b",
    re.IGNORECASE,
)


def paragraphs_hidden_from_v3(sentences: Sequence[Sentence]) -> set[int]:
    """The paragraphs v3's prompt leaves out of the numbered article."""
    return {s.paragraph for s in sentences if _HIDDEN_FROM_V3.search(s.text)}
