"""One coded event and what the article's other events say about it (the hybrid pipeline's
stage 0, after each event is coded on its own): a refusal answers the demand before it, "both
sides" are the two sides of the last clash, a report repeated is one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.llm.event_candidates import CONSEQUENCE_VERBS, EventCandidate
from api.llm.sentences import Sentence
from schemas.extraction import EventMode, EventStatus, EventType

MAX_ROLE_ACTORS = 4
REPEAT_WINDOW = 3  # sentences within which a one-sided event with the same actors is a repeat


@dataclass
class CodedEvent:
    candidate: EventCandidate
    event_type: EventType
    mode: EventMode | None
    status: EventStatus
    sources: list[str]
    targets: list[str]
    place: str | None = None

    @property
    def sentence(self) -> Sentence:
        return self.candidate.sentence.sentence


# What a refusal, accusation or concession is about ("rejected the ultimatum"): the event
# type whose source is then its target.
ABOUT_NOUNS: dict[str, EventType] = {
    **dict.fromkeys(("ultimatum", "deadline", "offer", "timeline", "threat", "warning"),
                    EventType.THREATEN),
    **dict.fromkeys(("sanction", "embargo", "listing", "measure"), EventType.SANCTION),
    **dict.fromkeys(("accusation", "claim", "allegation", "charge", "report"), EventType.ACCUSE),
    **dict.fromkeys(("demand", "call", "appeal", "request"), EventType.REQUEST),
    **dict.fromkeys(("deal", "agreement", "plan", "proposal", "truce"), EventType.AGREE),
    **dict.fromkeys(("attack", "assault", "killing", "bombing", "shelling", "raid", "strike"),
                    EventType.ASSAULT),  # "condemned the attack": its attacker
    **dict.fromkeys(("arrest", "detention", "crackdown"), EventType.COERCE),
}  # fmt: skip
_ANSWERS = frozenset({EventType.REJECT, EventType.ACCUSE, EventType.CONCEDE})


def target_referenced_events(events: list[CodedEvent]) -> None:
    """ "The Huthis rejected the ultimatum": the target is whoever issued it — the source of
    the nearest event of that kind (an earlier one first)."""
    for i, event in enumerate(events):
        if event.event_type not in _ANSWERS or event.targets:
            continue
        about = {
            ABOUT_NOUNS[t.lemma_.casefold()]
            for phrase in event.candidate.target_phrases
            for t in (phrase, *phrase.subtree)
            if t.lemma_.casefold() in ABOUT_NOUNS
        }
        if not about:
            continue
        before = [e for e in events[:i] if e.event_type in about and e.sources]
        after = [e for e in events[i + 1 :] if e.event_type in about and e.sources]
        referenced = before[-1] if before else (after[0] if after else None)
        if referenced is not None:
            event.targets = [s for s in referenced.sources if s not in event.sources]


_ANSWER_TO = frozenset(
    {EventType.THREATEN, EventType.REQUEST, EventType.ACCUSE, EventType.SANCTION}
)


SIDES = frozenset({"side", "party", "parties", "sides"})


def both_sides(events: list[CodedEvent]) -> None:
    """ "called on both sides", "all parties agreed": the actors of the last event before it
    that had two sides."""
    for i, event in enumerate(events):
        earlier = [e for e in events[:i] if len({*e.sources, *e.targets}) >= 2]
        if not earlier:
            continue
        sides = list(dict.fromkeys([*earlier[-1].sources, *earlier[-1].targets]))
        for phrases, roles in (
            (event.candidate.target_phrases, event.targets),
            (event.candidate.source_phrases, event.sources),
        ):
            if roles or not any(_names_sides(p) for p in phrases):
                continue
            roles.extend(s for s in sides[:MAX_ROLE_ACTORS] if s not in event.sources)


def _names_sides(phrase: Any) -> bool:
    """ "both sides", "the warring parties", "the two groups"."""
    if phrase.lemma_.casefold() in SIDES:
        return True
    paired = any(c.lower_ in ("two", "both", "rival", "warring") for c in phrase.children)
    return paired and phrase.lemma_.casefold() in ("group", "faction", "militia", "force")


def target_answered(events: list[CodedEvent]) -> None:
    """A refusal or denial with no target answers the last threat, demand, accusation or
    sanction before it. (Guessing an attack's target as the armed side the article names most
    was measured: it lowered dev role accuracy and moved nothing on test.)"""
    for i, event in enumerate(events):
        if event.targets or not event.sources or event.event_type != EventType.REJECT:
            continue
        before = [e for e in events[:i] if e.event_type in _ANSWER_TO and e.sources]
        if before and not set(before[-1].sources) & set(event.sources):
            event.targets = list(before[-1].sources)


def _repeats(first: CodedEvent, later: CodedEvent) -> bool:
    """The same actors again: a dyad anywhere in the article, one side only nearby (an
    article's many one-sided "IS fighters withdrew" are several acts)."""
    if (first.sources, first.targets) != (later.sources, later.targets):
        return False
    return bool(first.targets) or later.sentence.number - first.sentence.number <= REPEAT_WINDOW


def dedupe(events: list[CodedEvent]) -> list[CodedEvent]:
    """One event per (sentence, type) — its roles merged — and an action the article reports
    again later (same type, same actors) once, at its first report."""
    kept: list[CodedEvent] = []
    for event in events:
        same = next(
            (
                k
                for k in kept
                if k.event_type == event.event_type
                and (
                    k.sentence.number == event.sentence.number or (k.sources and _repeats(k, event))
                )
            ),
            None,
        )
        if same is None:
            kept.append(event)
            continue
        if same.sentence.number == event.sentence.number:
            same.sources += [s for s in event.sources if s not in same.sources]
            # "attacked an army post, killing several soldiers": the dead are the target's
            casualties = event.candidate.trigger.lemma_.casefold() in CONSEQUENCE_VERBS
            if not (casualties and same.targets):
                same.targets += [t for t in event.targets if t not in same.targets + same.sources]
            same.mode = same.mode or event.mode
    return kept
