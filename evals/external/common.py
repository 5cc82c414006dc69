"""What every external adapter returns: documents in our text convention with gold labels in
our schema, plus what the benchmark marks that our schema has no place for.

Texts are stored as `normalize_article_text` makes them (the text the extractor sees and
offsets into); native character offsets are carried over with `OffsetMap`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from schemas.extraction import DatePrecision, EventMode, EventType, Location
from schemas.grounded import AlignmentStatus, GroundedActor, GroundedQuote, Span
from schemas.text import normalize_article_text

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_NEWLINES = re.compile(r"\r\n?")


class GoldFiller(BaseModel):
    """One role filler: any of `alternatives` names it (MUC-4 `/`, WikiEvents coreference)."""

    alternatives: list[str]
    optional: bool = False  # MUC-4 `?`: neither rewarded when found nor penalised when missed

    @property
    def name(self) -> str:
        return self.alternatives[0]


class GoldEvent(BaseModel):
    """An event mapped to our schema; sources and targets keep every accepted alternative."""

    event_type: EventType
    mode: EventMode | None = None
    native_type: str  # the benchmark's own label ("BOMBING", "Conflict.Attack.DetonateExplode")
    sources: list[GoldFiller] = Field(default_factory=list)
    targets: list[GoldFiller] = Field(default_factory=list)
    date: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.UNKNOWN
    location: Location | None = None
    evidence_span: Span | None = None
    optional: bool = False  # a whole MUC-4 template marked (OPTIONAL)


class ExternalDocument(BaseModel):
    """One benchmark document, adapted. `unmapped` counts gold items left out, by reason."""

    doc_id: str
    text: str
    title: str | None = None
    published_at: dt.date | None = None
    dateline: str | None = None
    actors: list[GroundedActor] = Field(default_factory=list)
    events: list[GoldEvent] = Field(default_factory=list)
    quotes: list[GroundedQuote] = Field(default_factory=list)
    unmapped: Counter[str] = Field(default_factory=Counter)
    native: Counter[str] = Field(default_factory=Counter)  # items as the benchmark counts them


@dataclass(frozen=True)
class BenchmarkAdapter:
    """One external benchmark: its name on the command line, what PATH it reads, its loader,
    and what is scored on it (evals.external.registry lists them all)."""

    name: str
    path_help: str
    load: Callable[[Path], list[ExternalDocument]]
    # PLOVER types the mapping produces: role fillers are scored on events of these types
    # (other predicted types are out of the benchmark's scope); empty: no events scored.
    event_types: frozenset[EventType] = frozenset()
    scores_quotes: bool = False


class OffsetMap:
    """`normalize_article_text` replayed with each kept character's native offset, so that a
    benchmark's native spans can be moved onto the normalised text."""

    def __init__(self, native: str) -> None:
        chars, origin = _nfc_tracked(native)
        chars, origin = _sub_tracked(_NEWLINES, "\n", chars, origin)
        lines_c: list[str] = []
        lines_o: list[int] = []
        line_start = 0
        for i in range(len(chars) + 1):
            if i < len(chars) and chars[i] != "\n":
                continue
            line, line_o = _sub_tracked(_SPACES, " ", chars[line_start:i], origin[line_start:i])
            lead = len(line) - len(line.lstrip())
            keep = len(line.rstrip())
            if lines_c:  # the joining newline
                lines_c.append("\n")
                lines_o.append(origin[line_start - 1])
            lines_c.append(line[lead:keep])
            lines_o.extend(line_o[lead:keep])
            line_start = i + 1
        text, offsets = _sub_tracked(_BLANK_LINES, "\n\n", "".join(lines_c), lines_o)
        lead = len(text) - len(text.lstrip())
        keep = len(text.rstrip())
        self.text = text[lead:keep]
        self._origin = offsets[lead:keep]
        if self.text != normalize_article_text(native):  # a normalisation step not replayed
            raise ValueError("offset map diverged from normalize_article_text")

    def span(self, start: int, end: int) -> Span:
        """The normalised span covering native [start, end)."""
        new_start = bisect_left(self._origin, start)
        new_end = max(bisect_left(self._origin, end), new_start)
        return Span(
            start=new_start,
            end=new_end,
            text=self.text[new_start:new_end],
            alignment=AlignmentStatus.EXACT,
        )


def _nfc_tracked(text: str) -> tuple[str, list[int]]:
    """NFC per base character and its combining marks, each output char keeping the base's
    native offset."""
    if unicodedata.is_normalized("NFC", text):
        return text, list(range(len(text)))
    chars: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        composed = unicodedata.normalize("NFC", text[i:j])
        chars.append(composed)
        origin.extend([i] * len(composed))
        i = j
    return "".join(chars), origin


def _sub_tracked(
    pattern: re.Pattern[str], repl: str, text: str, origin: list[int]
) -> tuple[str, list[int]]:
    """`pattern.sub(repl, text)` where the replacement inherits the match's first offset."""
    out: list[str] = []
    out_o: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        out_o.extend(origin[pos : m.start()])
        out.append(repl)
        out_o.extend([origin[m.start()]] * len(repl))
        pos = m.end()
    out.append(text[pos:])
    out_o.extend(origin[pos:])
    return "".join(out), out_o


def gold_stats(documents: list[ExternalDocument]) -> dict[str, int]:
    """Counts for `--gold-only` and the tests: what the adapter produced and left out."""
    stats: Counter[str] = Counter(documents=len(documents))
    for doc in documents:
        stats["actors"] += len(doc.actors)
        stats["events"] += len(doc.events)
        stats["events_optional"] += sum(e.optional for e in doc.events)
        stats["source_fillers"] += sum(len(e.sources) for e in doc.events)
        stats["target_fillers"] += sum(len(e.targets) for e in doc.events)
        stats["quotes"] += len(doc.quotes)
        for quote in doc.quotes:
            stats[f"quotes_{quote.kind.value}"] += 1
        for event in doc.events:
            stats[f"events_{event.event_type.value}"] += 1
        for reason, n in doc.unmapped.items():
            stats[f"unmapped_{reason}"] += n
        for item, n in doc.native.items():
            stats[f"native_{item}"] += n
    return dict(sorted(stats.items()))
