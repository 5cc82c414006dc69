"""Alignment: character offsets and an alignment status for every quote, speaker mention,
evidence sentence and actor mention, computed (never asked from the model), after
LangExtract's aligner. The first enrichment step (api.llm.enrichment); it only aligns.

Alignment tries, in order: the verbatim text (exact), the text after folding quotes, dashes and
whitespace (normalized; offsets mapped back with `fold_with_offsets`), the best approximate
window by rapidfuzz (fuzzy, above FUZZY_THRESHOLD). rapidfuzz, not difflib: alignment must stay
fast on long articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from rapidfuzz import fuzz

from schemas.extraction import Actor, ArticleExtraction, Event, Quote
from schemas.grounded import (
    AlignmentStatus,
    GroundedActor,
    GroundedEvent,
    GroundedExtraction,
    GroundedQuote,
    Span,
)
from schemas.text import PRONOUNS, fold_for_match, fold_with_offsets

# partial_ratio (0-100) of the folded needle against its best window of the folded text at or
# above which the window counts as the needle: one or two changed words in a sentence pass,
# a sentence the article does not contain does not.
FUZZY_THRESHOLD = 90.0
FUZZY_MIN_CHARS = 12  # shorter needles match by chance; they ground exactly or not at all

QUOTE_MARKS = "\"'“”‘’„«»‹›`"


def align(needle: str, text: str, *, near: int | None = None) -> Span:
    """Locate `needle` in `text`: exact, normalized, fuzzy or none.

    Where the needle occurs more than once, the occurrence nearest the offset `near` wins,
    else the first.
    """
    if not needle.strip():
        return Span(text=needle)
    exact = _nearest(_find_all(needle, text), near)
    if exact is not None:
        return Span(start=exact[0], end=exact[1], text=needle, alignment=AlignmentStatus.EXACT)
    folded_text, offsets = _folded(text)
    folded_needle = fold_for_match(needle)
    if not folded_needle:
        return Span(text=needle)
    folded = _nearest(_find_all(folded_needle, folded_text), near, offsets)
    if folded is not None:
        return _span_from_folded(text, offsets, *folded, AlignmentStatus.NORMALIZED)
    if len(folded_needle) >= FUZZY_MIN_CHARS:
        found = fuzz.partial_ratio_alignment(folded_needle, folded_text)
        if (
            found is not None
            and found.score >= FUZZY_THRESHOLD
            and found.dest_end > found.dest_start
        ):
            start, end = _to_word_edges(folded_text, found.dest_start, found.dest_end)
            return _span_from_folded(text, offsets, start, end, AlignmentStatus.FUZZY)
    return Span(text=needle)


def find_mentions(name: str, text: str) -> list[Span]:
    """Every whole-word occurrence of `name` (without a leading "the") in `text`:
    case-sensitive (exact) if any, else case-insensitive, else after folding (normalized)."""
    name = name.strip()
    if not name or name.casefold() in PRONOUNS:
        return []
    # "the Kurdish-led forces" is also written "a Kurdish-led forces": the mention is the
    # name without its article, as name_key compares it.
    bare = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE) or name
    return _mentions(bare, text)


def _mentions(name: str, text: str) -> list[Span]:
    pattern = _word_pattern(name)
    hits = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
    if hits:
        return [Span(start=s, end=e, text=name, alignment=AlignmentStatus.EXACT) for s, e in hits]
    hits = [(m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE)]
    if not hits:
        folded_text, offsets = _folded(text)
        folded = [
            (m.start(), m.end())
            for m in re.finditer(_word_pattern(fold_for_match(name)), folded_text, re.IGNORECASE)
        ]
        return [
            _span_from_folded(text, offsets, s, e, AlignmentStatus.NORMALIZED) for s, e in folded
        ]
    return [
        Span(start=s, end=e, text=text[s:e], alignment=AlignmentStatus.NORMALIZED) for s, e in hits
    ]


def align_extraction(extraction: ArticleExtraction, text: str) -> GroundedExtraction:
    """Every quote, speaker mention, evidence sentence and actor mention of `extraction`,
    located in `text`."""
    return GroundedExtraction(
        actors=[align_actor(a, text) for a in extraction.actors],
        events=[_align_event(e, text) for e in extraction.events],
        quotes=[_align_quote(q, text) for q in extraction.quotes],
    )


def strip_quote_marks(quote: str) -> str:
    """The quote without the quotation marks (and spaces) a model may wrap it in."""
    return quote.strip().strip(QUOTE_MARKS).strip() or quote


def align_actor(actor: Actor, text: str) -> GroundedActor:
    spans = [s for name in (actor.name, *actor.aliases) for s in find_mentions(name, text)]
    return GroundedActor(**dict(actor), mentions=without_overlaps(spans))


def _align_event(event: Event, text: str) -> GroundedEvent:
    return GroundedEvent(**dict(event), evidence_span=align(event.evidence, text))


def _align_quote(quote: Quote, text: str) -> GroundedQuote:
    span = align(strip_quote_marks(quote.text), text)
    speaker_span = None
    if quote.speaker_mention and quote.speaker_mention.strip():
        speaker_span = _speaker_span(quote.speaker_mention, text, span)
    return GroundedQuote(**dict(quote), span=span, speaker_span=speaker_span)


def _speaker_span(mention: str, text: str, quote_span: Span) -> Span:
    """The occurrence of the speaker's mention nearest the quote ("he" right after it)."""
    candidates = _whole_words(mention.strip(), text)
    if quote_span.start is None or quote_span.end is None or not candidates:
        return align(mention.strip(), text, near=quote_span.start)
    q_start, q_end = quote_span.start, quote_span.end
    outside = [c for c in candidates if c[1] <= q_start or c[0] >= q_end] or candidates
    start, end = min(outside, key=lambda c: max(q_start - c[1], c[0] - q_end, 0))
    exact = text[start:end] == mention.strip()
    status = AlignmentStatus.EXACT if exact else AlignmentStatus.NORMALIZED
    return Span(start=start, end=end, text=text[start:end], alignment=status)


def _whole_words(name: str, text: str) -> list[tuple[int, int]]:
    pattern = _word_pattern(name)
    hits = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
    return hits or [(m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE)]


def _word_pattern(name: str) -> str:
    # \b only where the name starts/ends with a word character ("U.S." ends with a dot).
    left = r"(?<!\w)" if name[:1].isalnum() else ""
    right = r"(?!\w)" if name[-1:].isalnum() else ""
    return left + re.escape(name) + right


def _find_all(needle: str, text: str) -> Iterator[tuple[int, int]]:
    start = text.find(needle)
    while start != -1:
        yield start, start + len(needle)
        start = text.find(needle, start + 1)


def _nearest(
    found: Iterable[tuple[int, int]], near: int | None, offsets: list[int] | None = None
) -> tuple[int, int] | None:
    """The first occurrence, or the one nearest `near` (an offset into the original text;
    `offsets` maps folded positions back when the occurrences are in folded text)."""
    if near is None:
        return next(iter(found), None)

    def distance(occurrence: tuple[int, int]) -> int:
        start, end = occurrence
        if offsets is not None:
            start, end = offsets[start], offsets[end - 1] + 1
        return max(start - near, near - end, 0)

    return min(found, key=distance, default=None)


def _to_word_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a fuzzy window that cuts a word ("he SDF gave" for "The SDF gave") to whole words."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


def _span_from_folded(
    text: str, offsets: list[int], start: int, end: int, status: AlignmentStatus
) -> Span:
    original_start, original_end = offsets[start], offsets[end - 1] + 1
    return Span(
        start=original_start,
        end=original_end,
        text=text[original_start:original_end],
        alignment=status,
    )


@lru_cache(maxsize=8)
def _folded(text: str) -> tuple[str, list[int]]:
    """Folding a long article is the slow part of alignment: do it once per text."""
    return fold_with_offsets(text)


def without_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Mentions in text order; of overlapping ones ("Democratic Forces" inside "Syrian
    Democratic Forces") the longest is kept."""
    kept: list[tuple[int, int, Span]] = []
    located = [(s.start, s.end, s) for s in spans if s.start is not None and s.end is not None]
    for start, end, span in sorted(located, key=lambda x: (x[0] - x[1], x[0])):
        if all(end <= k_start or start >= k_end for k_start, k_end, _ in kept):
            kept.append((start, end, span))
    return [span for _, _, span in sorted(kept, key=lambda x: x[0])]


__all__ = [
    "FUZZY_THRESHOLD",
    "align",
    "align_actor",
    "align_extraction",
    "find_mentions",
    "strip_quote_marks",
    "without_overlaps",
]
