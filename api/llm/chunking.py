"""Long articles: overlapping chunks cut at paragraph or sentence boundaries, and the merge of
their results.

Each chunk is extracted on its own (its validators see the chunk's text); the chunks' answers
are concatenated, grounded once against the FULL article (so actor resolution merges the same
actor seen in two chunks by name key and alias), then quotes and events that two chunks both
coded, seen in the overlap, are dropped by their grounded offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schemas.extraction import ArticleExtraction
from schemas.grounded import GroundedEvent, GroundedExtraction, GroundedQuote, Span
from schemas.text import fold_for_match

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Chunk:
    start: int  # offset of the chunk in the article
    end: int
    text: str


def split_into_chunks(text: str, max_chars: int, overlap_chars: int) -> list[Chunk]:
    """Chunks of at most `max_chars`, each starting about `overlap_chars` before the previous
    one's end, cut at a paragraph break, else a sentence end, else whitespace."""
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    overlap_chars = max(0, min(overlap_chars, max_chars // 2))
    paragraph_starts = [m.end() for m in _PARAGRAPH_BREAK.finditer(text)]
    sentence_starts = [m.end() for m in _SENTENCE_END.finditer(text)]
    word_starts = [m.end() for m in _WHITESPACE.finditer(text)]
    chunks: list[Chunk] = []
    start = 0
    while True:
        end = _cut(start, len(text), max_chars, (paragraph_starts, sentence_starts, word_starts))
        chunks.append(Chunk(start=start, end=end, text=text[start:end]))
        if end >= len(text):
            return chunks
        start = _next_start(start, end, overlap_chars, (sentence_starts, word_starts))


def _cut(start: int, length: int, max_chars: int, boundaries: tuple[list[int], ...]) -> int:
    limit = start + max_chars
    if limit >= length:
        return length
    floor = start + max_chars // 2  # never cut a chunk to less than half its size
    for starts in boundaries:
        inside = [b for b in starts if floor <= b <= limit]
        if inside:
            return inside[-1]
    return limit


def _next_start(start: int, end: int, overlap: int, boundaries: tuple[list[int], ...]) -> int:
    """The first sentence (else word) start inside the overlap before `end`."""
    target = end - overlap
    for starts in boundaries:
        inside = [b for b in starts if target <= b < end and b > start]
        if inside:
            return inside[0]
    return max(target, start + 1)


def combine(extractions: list[ArticleExtraction]) -> ArticleExtraction:
    """The chunks' answers as one (already validated per chunk; the list bounds are the
    per-call bounds the model sees, not a limit on an article)."""
    return ArticleExtraction.model_construct(
        actors=[a for e in extractions for a in e.actors],
        events=[e for x in extractions for e in x.events],
        quotes=[q for x in extractions for q in x.quotes],
    )


def drop_overlap_duplicates(grounded: GroundedExtraction) -> GroundedExtraction:
    """Quotes whose spans overlap are one quote (the longer is kept); events of the same type
    whose evidence spans overlap are one event (the first is kept). Ungrounded items are
    compared by their folded text."""
    quotes: list[GroundedQuote] = []
    for quote in sorted(grounded.quotes, key=lambda q: -len(q.text)):
        if not any(_same_span(quote.span, q.span, quote.text, q.text) for q in quotes):
            quotes.append(quote)
    events: list[GroundedEvent] = []
    for event in grounded.events:
        if not any(
            event.event_type == e.event_type
            and _same_span(event.evidence_span, e.evidence_span, event.evidence, e.evidence)
            for e in events
        ):
            events.append(event)
    quotes.sort(key=lambda q: _position(q.span))
    return grounded.model_copy(update={"quotes": quotes, "events": events})


def _same_span(a: Span | None, b: Span | None, a_text: str, b_text: str) -> bool:
    if a is not None and b is not None and a.grounded and b.grounded:
        assert a.start is not None and a.end is not None and b.start is not None
        assert b.end is not None
        return a.start < b.end and b.start < a.end
    return fold_for_match(a_text).casefold() == fold_for_match(b_text).casefold()


def _position(span: Span | None) -> int:
    return span.start if span is not None and span.start is not None else 1 << 62
