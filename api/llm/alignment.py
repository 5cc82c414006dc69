"""Alignment: character offsets and an alignment status for every quote, speaker mention,
evidence sentence and actor mention, computed (never asked from the model), after
LangExtract's aligner. The first enrichment step (api.llm.enrichment); it only aligns.

Alignment tries, in order: the verbatim text (exact), the text after folding quotes, dashes and
whitespace (normalized; offsets mapped back with `fold_with_offsets`), the best approximate
window by rapidfuzz (fuzzy, above FUZZY_THRESHOLD). rapidfuzz, not difflib: alignment must stay
fast on long articles. For the same reason the names of an extraction (actors' names and
aliases, speakers' mentions) are found in one pass over the text by an Aho-Corasick automaton
(`MentionIndex`), not one scan of the article per name.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import ahocorasick
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


_WORD_CHAR = re.compile(r"\w")  # what the patterns' (?<!\w) and (?!\w) look at


class MentionIndex:
    """The verbatim whole-word occurrences of many names in one text, found in one pass: an
    Aho-Corasick automaton over the names gives every occurrence of each; the word-boundary
    test and the leftmost, non-overlapping choice are `re.finditer`'s over `_word_pattern`,
    so each name gets exactly what a scan of its own would give. A name not given when the
    index was built is scanned for on its own."""

    def __init__(self, text: str, names: Iterable[str]) -> None:
        self.text = text
        self._starts: dict[str, list[int]] = {name: [] for name in names if name}
        if not self._starts:
            return
        automaton = ahocorasick.Automaton()
        for name in self._starts:
            automaton.add_word(name, name)
        automaton.make_automaton()
        for end, name in automaton.iter(text):
            self._starts[name].append(end - len(name) + 1)

    def whole_words(self, name: str) -> list[tuple[int, int]]:
        """(start, end) of each whole-word, case-sensitive occurrence of `name`."""
        starts = self._starts.get(name)
        if starts is None:
            return [(m.start(), m.end()) for m in re.finditer(_word_pattern(name), self.text)]
        text, size = self.text, len(name)
        left, right = name[:1].isalnum(), name[-1:].isalnum()
        hits: list[tuple[int, int]] = []
        for start in starts:  # ascending: all occurrences of one name have one length
            end = start + size
            if hits and start < hits[-1][1]:
                continue  # finditer resumes after the previous match
            if left and start > 0 and _WORD_CHAR.match(text, start - 1):
                continue
            if right and end < len(text) and _WORD_CHAR.match(text, end):
                continue
            hits.append((start, end))
        return hits


def find_mentions(name: str, text: str, index: MentionIndex | None = None) -> list[Span]:
    """Every whole-word occurrence of `name` (without a leading "the") in `text`:
    case-sensitive (exact) if any, else case-insensitive, else after folding (normalized).
    `index`, built over `text` with `mention_name(name)` among its names, finds the exact
    ones without scanning the text again."""
    bare = mention_name(name)
    return _mentions(bare, text, index) if bare else []


def mention_name(name: str) -> str:
    """What `find_mentions` looks for: the name without a leading "the"; "" for a pronoun."""
    name = name.strip()
    if not name or name.casefold() in PRONOUNS:
        return ""
    # "the Kurdish-led forces" is also written "a Kurdish-led forces": the mention is the
    # name without its article, as name_key compares it.
    return re.sub(r"^the\s+", "", name, flags=re.IGNORECASE) or name


def _mentions(name: str, text: str, index: MentionIndex | None = None) -> list[Span]:
    pattern = _word_pattern(name)
    if index is not None and index.text is text:
        hits = index.whole_words(name)
    else:
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
    located in `text` (every name in one pass over it)."""
    names = [mention_name(n) for a in extraction.actors for n in (a.name, *a.aliases)]
    names += [q.speaker_mention.strip() for q in extraction.quotes if q.speaker_mention]
    index = MentionIndex(text, names)
    return GroundedExtraction(
        actors=[align_actor(a, text, index) for a in extraction.actors],
        events=[_align_event(e, text) for e in extraction.events],
        quotes=[_align_quote(q, text, index) for q in extraction.quotes],
    )


def strip_quote_marks(quote: str) -> str:
    """The quote without the quotation marks (and spaces) a model may wrap it in."""
    return quote.strip().strip(QUOTE_MARKS).strip() or quote


def align_actor(actor: Actor, text: str, index: MentionIndex | None = None) -> GroundedActor:
    names = (actor.name, *actor.aliases)
    spans = [s for name in names for s in find_mentions(name, text, index)]
    return GroundedActor(**dict(actor), mentions=without_overlaps(spans))


def _align_event(event: Event, text: str) -> GroundedEvent:
    return GroundedEvent(**dict(event), evidence_span=align(event.evidence, text))


def _align_quote(quote: Quote, text: str, index: MentionIndex | None = None) -> GroundedQuote:
    span = align(strip_quote_marks(quote.text), text)
    speaker_span = None
    if quote.speaker_mention and quote.speaker_mention.strip():
        speaker_span = _speaker_span(quote.speaker_mention, text, span, index)
    return GroundedQuote(**dict(quote), span=span, speaker_span=speaker_span)


def _speaker_span(
    mention: str, text: str, quote_span: Span, index: MentionIndex | None = None
) -> Span:
    """The occurrence of the speaker's mention nearest the quote ("he" right after it)."""
    candidates = _whole_words(mention.strip(), text, index)
    if quote_span.start is None or quote_span.end is None or not candidates:
        return align(mention.strip(), text, near=quote_span.start)
    q_start, q_end = quote_span.start, quote_span.end
    outside = [c for c in candidates if c[1] <= q_start or c[0] >= q_end] or candidates
    start, end = min(outside, key=lambda c: max(q_start - c[1], c[0] - q_end, 0))
    exact = text[start:end] == mention.strip()
    status = AlignmentStatus.EXACT if exact else AlignmentStatus.NORMALIZED
    return Span(start=start, end=end, text=text[start:end], alignment=status)


def _whole_words(name: str, text: str, index: MentionIndex | None = None) -> list[tuple[int, int]]:
    pattern = _word_pattern(name)
    if index is not None and index.text is text:
        hits = index.whole_words(name)
    else:
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
    located = [(s.start, s.end, s) for s in spans if s.start is not None and s.end is not None]
    located.sort(key=lambda x: (x[0] - x[1], x[0]))
    if any(end < start for start, end, _ in located):  # never from alignment; checked pairwise
        kept = _kept_pairwise(located)
    else:
        kept = []
        # kept intervals never overlap, so sorted by (start, end) their ends are sorted too:
        # of those starting before a new interval's end, only the last can reach into it
        bounds: list[tuple[int, int]] = []
        for start, end, span in located:
            before = bisect.bisect_left(bounds, (end, end)) - 1
            if before < 0 or bounds[before][1] <= start:
                kept.append((start, end, span))
                bisect.insort(bounds, (start, end))
    return [span for _, _, span in sorted(kept, key=lambda x: x[0])]


def _kept_pairwise(located: list[tuple[int, int, Span]]) -> list[tuple[int, int, Span]]:
    kept: list[tuple[int, int, Span]] = []
    for start, end, span in located:
        if all(end <= k_start or start >= k_end for k_start, k_end, _ in kept):
            kept.append((start, end, span))
    return kept


__all__ = [
    "FUZZY_THRESHOLD",
    "MentionIndex",
    "align",
    "align_actor",
    "align_extraction",
    "find_mentions",
    "mention_name",
    "strip_quote_marks",
    "without_overlaps",
]
