"""What the article view shows, computed from the served extraction: the text cut into
segments at every span boundary (each segment knowing which events, quotes and actors cover
it), a stable colour per actor, and where each event's place and each quote's cue are.

Everything here is server-side, so the page reads without JavaScript; api/static/view.js only
adds the interaction (it reads the `data-*` attributes the template writes from these)."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from schemas.api import ActorPublic, EventPublic, ExtractionPublic, QuotePublic
from schemas.grounded import Span

# Colour slots of api/static/view.css (`.c0` … `.c11`); more actors than slots share colours.
PALETTE_SIZE = 12
# how far around a quote (or its speaker) its cue ("said") is looked for
CUE_WINDOW_CHARS = 120


@dataclass(frozen=True)
class Mark:
    """A span of the text and what it is: kind `quote`, `speaker` (the words naming a quote's
    speaker), `cue`, `evidence`, `place` or `actor`; `ref` the item's id."""

    start: int
    end: int
    kind: str
    label: str
    ref: int | None = None


@dataclass
class Segment:
    text: str
    kinds: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    refs: dict[str, list[int]] = field(default_factory=dict)  # kind -> ids covering it

    @property
    def actor(self) -> int | None:
        """The actor this piece mentions (the first, where mentions overlap)."""
        actors = self.refs.get("actor")
        return actors[0] if actors else None

    def data(self, kind: str) -> str:
        return " ".join(str(ref) for ref in self.refs.get(kind, []))


def _grounded(span: Span | None) -> tuple[int, int] | None:
    if span is None or not span.grounded or span.start is None or span.end is None:
        return None
    return (span.start, span.end) if span.start < span.end else None


def _occurrences(text: str, phrase: str, lo: int = 0, hi: int | None = None) -> list[int]:
    """Starts of `phrase` in text[lo:hi] as a whole word (not inside a longer word)."""
    pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
    return [m.start() for m in pattern.finditer(text, lo, len(text) if hi is None else hi)]


def place_span(
    text: str, event: EventPublic, names: Sequence[tuple[int, int]] = ()
) -> tuple[int, int] | None:
    """Where the event's place is named: in its evidence, else the nearest mention before it,
    else the first in the article; none when the text never names it. A place word inside a
    longer actor name (`names`: the actors' mentions) is the name's, not the place ("Raqa"
    in "Raqa Civil Council")."""
    place = event.location.place if event.location else None
    if not place:
        return None

    def found_in(lo: int, hi: int) -> list[int]:
        return [
            start
            for start in _occurrences(text, place, lo, hi)
            if not any(
                a <= start and start + len(place) <= b and b - a > len(place) for a, b in names
            )
        ]

    evidence = _grounded(event.evidence_span)
    lo, hi = evidence if evidence else (0, len(text))
    found = found_in(lo, hi)
    if not found:
        found = found_in(0, lo)[-1:] or found_in(0, len(text))
    return (found[0], found[0] + len(place)) if found else None


def cue_span(text: str, quote: QuotePublic) -> tuple[int, int] | None:
    """The quote's speech verb as written, nearest its speaker's words (or the quote)."""
    anchor = _grounded(quote.speaker_span) or _grounded(quote.span)
    if not quote.cue or anchor is None:
        return None
    quoted = _grounded(quote.span) or anchor
    lo = max(0, min(anchor[0], quoted[0]) - CUE_WINDOW_CHARS)
    hi = min(len(text), max(anchor[1], quoted[1]) + CUE_WINDOW_CHARS)
    inside = range(*quoted)
    found = [s for s in _occurrences(text, quote.cue, lo, hi) if s not in inside]
    if not found:
        return None
    start = min(found, key=lambda s: min(abs(s - anchor[0]), abs(s - anchor[1])))
    return start, start + len(quote.cue)


def marks_of(extraction: ExtractionPublic, text: str) -> list[Mark]:
    marks: list[Mark] = []

    def add(where: tuple[int, int] | None, kind: str, label: str, ref: int) -> None:
        if where is not None:
            marks.append(Mark(where[0], where[1], kind, label, ref))

    for quote in extraction.quotes:
        speaker = quote.speaker or "unknown speaker"
        add(_grounded(quote.span), "quote", f"{quote.kind} quote by {speaker}", quote.id)
        add(_grounded(quote.speaker_span), "speaker", f"speaker: {speaker}", quote.id)
        add(cue_span(text, quote), "cue", f"cue of the quote by {speaker}", quote.id)
    names = [g for actor in extraction.actors for g in map(_grounded, actor.mentions) if g]
    for event in extraction.events:
        label = f"{event.event_type} evidence: {event.summary}"
        add(_grounded(event.evidence_span), "evidence", label, event.id)
        add(place_span(text, event, names), "place", f"place of {event.event_type}", event.id)
    for actor in extraction.actors:
        for mention in actor.mentions:
            add(_grounded(mention), "actor", f"actor: {actor_label(actor)}", actor.id)
    return marks


def segments(text: str, marks: list[Mark]) -> list[Segment]:
    """Split `text` at every mark boundary; each piece carries the marks that cover it."""
    cuts = {0, len(text)}
    for mark in marks:
        cuts.update((max(0, min(mark.start, len(text))), max(0, min(mark.end, len(text)))))
    pieces = []
    for start, end in pairwise(sorted(cuts)):
        covering = [m for m in marks if m.start <= start and m.end >= end and m.start < m.end]
        # the shortest actor mention first: the one that names this piece most closely
        covering.sort(key=lambda m: (m.kind != "actor", m.end - m.start))
        refs: dict[str, list[int]] = defaultdict(list)
        for mark in covering:
            if mark.ref is not None and mark.ref not in refs[mark.kind]:
                refs[mark.kind].append(mark.ref)
        pieces.append(
            Segment(
                text=text[start:end],
                kinds=sorted({m.kind for m in covering}),
                labels=[m.label for m in covering],
                refs=dict(refs),
            )
        )
    return pieces


def actor_label(actor: ActorPublic) -> str:
    if actor.canonical_name and actor.canonical_name != actor.name:
        return f"{actor.name} ({actor.canonical_name})"
    return actor.name


def actor_colours(actors: list[ActorPublic]) -> dict[int, int]:
    """A palette slot per actor: preferably the one its name hashes to (so an actor keeps its
    colour when others are deleted or merged), else the next free one, in the actors' order."""
    taken: set[int] = set()
    colours: dict[int, int] = {}
    for actor in actors:
        slot = preferred_slot(actor)
        for step in range(PALETTE_SIZE):
            if (slot + step) % PALETTE_SIZE not in taken:
                slot = (slot + step) % PALETTE_SIZE
                break
        taken.add(slot)
        if len(taken) == PALETTE_SIZE:  # all used: the next ones share
            taken.clear()
        colours[actor.id] = slot
    return colours


def preferred_slot(actor: ActorPublic) -> int:
    name = (actor.canonical_name or actor.name).casefold()
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % PALETTE_SIZE


def place_label(event: EventPublic) -> str:
    location = event.location
    if location is None:
        return ""
    parts = [location.place, location.admin_area, location.country]
    return ", ".join(dict.fromkeys(p for p in parts if p))
