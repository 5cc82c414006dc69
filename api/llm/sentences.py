"""Split an article into sentences with exact character offsets (stage 0 of the staged pipeline).

Rules, in the order they matter for wire copy:
- a paragraph break always ends a sentence; a headline or a dateline-only line is a sentence
  of its own;
- `.`, `!` or `?` (with any closing quotation marks or brackets) followed by whitespace ends a
  sentence when the next word starts like a sentence (capital, digit, opening quote), unless the
  word before is an abbreviation ("U.S.", "Col.", "Jan.") or an initial ("John F. Kennedy");
- never inside an open quotation: `"A. B," he said.` is one sentence;
- a lead dateline ("ADEN, Yemen (AFP) — ", "BEIRUT -- ") is not part of the first sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end with a dot but rarely end a sentence (compared without the dot, casefolded).
ABBREVIATIONS = frozenset(
    {
        "u.s", "u.n", "u.k", "e.u", "col", "gen", "lt", "maj", "capt", "sgt", "brig", "adm",
        "cmdr", "dr", "mr", "mrs", "ms", "prof", "rev", "sen", "rep", "gov", "pres", "st",
        "no", "nos", "vs", "etc", "e.g", "i.e", "inc", "co", "corp", "ltd", "jr", "sr",
        "jan", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft",
    }
)  # fmt: skip
# "5 p.m. The army..." does end a sentence; "p.m. on Sunday" does not: decided by the next word.
_TIME_ABBREVIATIONS = frozenset({"a.m", "p.m"})

OPENING_QUOTES = "“‘«"
CLOSING_QUOTES = "”’»"
_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"[^\n]+")
# "ADEN, Yemen (AFP) — ", "BEIRUT -- ", "NYALA, Sudan (Reuters) - ", "KYIV (Reuters) - "
_DATELINE = re.compile(
    r"[A-Z][A-Z .'\-]+(?:,\s*[A-Z][\w .'\-]*)?(?:\s*\([A-Za-z .]+\))?\s*(?:—|–|--|-)\s+"
)


@dataclass(frozen=True)
class Sentence:
    number: int  # 1-based, as the model sees it
    start: int
    end: int
    text: str
    paragraph: int  # 0-based paragraph index


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of `text`, in order, with `text[s.start:s.end] == s.text`."""
    spans: list[tuple[int, int, int]] = []
    for paragraph, match in enumerate(_PARAGRAPH.finditer(text)):
        start, end = strip_span(text, match.start(), match.end())
        if start >= end:
            continue
        dateline = _DATELINE.match(text, start, end)
        if dateline is not None and dateline.end() < end:
            start = dateline.end()
        for s, e in _split_paragraph(text, start, end):
            spans.append((s, e, paragraph))
    paragraphs = {p: i for i, p in enumerate(sorted({p for _, _, p in spans}))}
    return [
        Sentence(number=n, start=s, end=e, text=text[s:e], paragraph=paragraphs[p])
        for n, (s, e, p) in enumerate(spans, start=1)
    ]


def sentence_at(sentences: list[Sentence], offset: int) -> Sentence | None:
    """The sentence containing `offset`."""
    for sentence in sentences:
        if sentence.start <= offset < sentence.end:
            return sentence
    return None


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for match in _END.finditer(text, start, end):
        cut = match.end()
        if _inside_quotation(text, piece_start, match.start()):
            continue
        if not _ends_sentence(text, piece_start, match.start(), cut, end):
            continue
        pieces.append((piece_start, cut))
        piece_start = cut
        while piece_start < end and text[piece_start].isspace():
            piece_start += 1
    if piece_start < end:
        pieces.append(strip_span(text, piece_start, end))
    return [p for p in pieces if p[0] < p[1]]


def _ends_sentence(text: str, piece_start: int, dot: int, cut: int, end: int) -> bool:
    following = text[cut:end].lstrip()
    if not following:
        return True
    first = following[0]
    starts_like_sentence = first.isupper() or first.isdigit() or first in '"“‘«('
    if not starts_like_sentence:
        return False
    if text[dot] != ".":
        return True
    word = re.search(r"(\S+)$", text[piece_start:dot])
    if word is None:
        return True
    token = word.group(1).lstrip("(\"'“‘").casefold()
    if token in _TIME_ABBREVIATIONS:
        return True  # an uppercase word after "p.m." starts a new sentence
    if token in ABBREVIATIONS:
        return False
    return not (len(token) == 1 and token.isalpha())  # an initial: "John F. Kennedy"


def _inside_quotation(text: str, start: int, position: int) -> bool:
    """Whether `position` lies inside a quotation opened after `start` and not yet closed."""
    segment = text[start:position]
    curly_open = sum(segment.count(c) for c in OPENING_QUOTES[:1] + OPENING_QUOTES[2:])
    curly_close = sum(segment.count(c) for c in CLOSING_QUOTES[:1] + CLOSING_QUOTES[2:])
    if curly_open > curly_close:
        return True
    return segment.count('"') % 2 == 1


def strip_span(text: str, start: int, end: int, trailing: str = "") -> tuple[int, int]:
    """`text[start:end]` without surrounding whitespace (nor, at its end, `trailing` chars)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in trailing):
        end -= 1
    return start, end
