"""The hand-labelled gold set: one JSON file per article in evals/gold/, labelled by reading
the article and following evals/README.md (the labelling guide).

Labellers write strings (quote text, evidence, speaker mentions, names, aliases); offsets are
computed here by exact search (`fill_offsets`, or `python -m evals.gold fill FILE...`) so a
labelled string that is not verbatim in the article fails loudly instead of being stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.grounded import AlignmentStatus, GroundedExtraction, Span
from schemas.text import normalize_article_text

GOLD_DIR = Path(__file__).parent / "gold"
Split = Literal["dev", "test"]


class Phenomenon(StrEnum):
    """What a case exercises: the vocabulary used to check the gold set's coverage."""

    SEED = "seed"  # one of the project's seed articles
    ULTIMATUM = "ultimatum"
    ULTIMATUM_EXPIRY = "ultimatum_expiry"
    EVACUATION_DEAL = "evacuation_deal"
    AIRSTRIKES = "airstrikes"
    OFFENSIVE = "offensive"
    SHELLING = "shelling"
    CLAIM_DENIAL = "claim_denial"  # one side claims, the other denies
    VAGUE_CASUALTIES = "vague_casualties"  # "dozens", "several": ACLED low-coding
    RELATIVE_DATES = "relative_dates"  # "on Sunday", "last week" against the dateline
    DIRECT_QUOTE = "direct_quote"
    PARTIAL_QUOTE = "partial_quote"
    INDIRECT_QUOTE = "indirect_quote"
    PRONOUN_SPEAKER = "pronoun_speaker"  # "he said"
    DELAYED_SPEAKER = "delayed_speaker"  # speaker named only sentences after the quote
    CONTINUATION_QUOTE = "continuation_quote"  # a quote paragraph with no attribution of its own
    TWO_EVENTS_ONE_SENTENCE = "two_events_one_sentence"
    NO_EVENT = "no_event"
    PROMPT_INJECTION = "prompt_injection"  # the text tries to instruct the model
    PROTEST = "protest"
    ARREST = "arrest"
    SANCTIONS = "sanctions"
    AID_CONVOY = "aid_convoy"
    TALKS = "talks"
    ACCUSATION = "accusation"
    CEASEFIRE = "ceasefire"
    PRISONER_RELEASE = "prisoner_release"
    DESCRIPTIVE_ALIAS = "descriptive_alias"  # "the militia", "the Kurdish-led forces"


# What issue 4 asks the gold set to cover; the tests check each appears at least once.
REQUIRED_PHENOMENA: frozenset[Phenomenon] = frozenset(
    {
        Phenomenon.SEED,
        Phenomenon.ULTIMATUM,
        Phenomenon.ULTIMATUM_EXPIRY,
        Phenomenon.EVACUATION_DEAL,
        Phenomenon.AIRSTRIKES,
        Phenomenon.OFFENSIVE,
        Phenomenon.CLAIM_DENIAL,
        Phenomenon.VAGUE_CASUALTIES,
        Phenomenon.RELATIVE_DATES,
        Phenomenon.DIRECT_QUOTE,
        Phenomenon.PARTIAL_QUOTE,
        Phenomenon.INDIRECT_QUOTE,
        Phenomenon.PRONOUN_SPEAKER,
        Phenomenon.DELAYED_SPEAKER,
        Phenomenon.TWO_EVENTS_ONE_SENTENCE,
        Phenomenon.NO_EVENT,
        Phenomenon.PROMPT_INJECTION,
    }
)


class GoldCase(BaseModel):
    """One labelled article. `text` is stored normalised: it is what offsets index into."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
    split: Split
    phenomena: list[Phenomenon] = Field(default_factory=list)
    title: str
    source: str
    url: str | None = None
    published_at: dt.date
    dateline: str | None = None
    text: str = Field(min_length=1)
    expected: GroundedExtraction
    notes: str | None = None

    @field_validator("text")
    @classmethod
    def _text_is_normalised(cls, text: str) -> str:
        if normalize_article_text(text) != text:
            raise ValueError("text must be stored as normalize_article_text(text)")
        return text


class GoldTextError(ValueError):
    """A labelled string is not verbatim in the article (or is ambiguous where it must not be)."""


def parse_case(raw: dict[str, Any]) -> GoldCase:
    """Validate a case with the article as context, so the schema's own checks run too
    (evidence and quotes verbatim, dates not after the article's date)."""
    context = {
        "article_text": raw.get("text"),
        "article_date": dt.date.fromisoformat(str(raw["published_at"]))
        if raw.get("published_at")
        else None,
    }
    return GoldCase.model_validate(raw, context=context)


def read_case(path: Path) -> GoldCase:
    case = parse_case(json.loads(path.read_text(encoding="utf-8")))
    if case.id != path.stem:
        raise ValueError(f"{path.name}: id {case.id!r} differs from the file name")
    return case


def load_gold(split: str | None = None, gold_dir: Path = GOLD_DIR) -> list[GoldCase]:
    """Every gold case (or those of one split), ordered by id."""
    if split is not None and split not in ("dev", "test"):
        raise ValueError(f"unknown split {split!r}: use 'dev' or 'test'")
    cases = [read_case(path) for path in sorted(gold_dir.glob("*.json"))]
    return [c for c in cases if split is None or c.split == split]


def dataset_hash(cases: Iterable[GoldCase]) -> str:
    """sha256 over the cases' canonical JSON (sorted by id, sorted keys): the run record's
    dataset identity. Any change to a text or a label changes it."""
    payload = [c.model_dump(mode="json") for c in sorted(cases, key=lambda c: c.id)]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- offsets -------------------------------------------------------------------------------


def _occurrences(needle: str, text: str, *, whole_word: bool) -> list[int]:
    """Start offsets of exact (case-sensitive) occurrences; whole_word keeps 'he' out of 'the'."""
    if not needle:
        return []
    pattern = re.escape(needle)
    if whole_word:
        pattern = rf"(?<!\w){pattern}(?!\w)"
    return [m.start() for m in re.finditer(pattern, text)]


def _exact(text: str, start: int, needle: str) -> Span:
    return Span(start=start, end=start + len(needle), text=needle, alignment=AlignmentStatus.EXACT)


def _keeps(span: Span | None, needle: str, text: str) -> bool:
    """A labeller may pin an ambiguous string by writing its start; keep offsets that are right."""
    return (
        span is not None
        and span.start is not None
        and span.text == needle
        and text[span.start : span.start + len(needle)] == needle
    )


def _first_span(needle: str, text: str, old: Span | None, what: str) -> Span:
    if _keeps(old, needle, text):
        assert old is not None and old.start is not None
        return _exact(text, old.start, needle)
    starts = _occurrences(needle, text, whole_word=False)
    if not starts:
        raise GoldTextError(f"{what} is not verbatim in the article: {needle[:100]!r}")
    return _exact(text, starts[0], needle)


def _nearest_span(needle: str, text: str, near: Span, old: Span | None, what: str) -> Span:
    """The occurrence of `needle` closest to `near`, outside it (the mention at the quote)."""
    if _keeps(old, needle, text):
        assert old is not None and old.start is not None
        return _exact(text, old.start, needle)
    assert near.start is not None and near.end is not None
    lo, hi = near.start, near.end

    def distance(start: int) -> int:
        end = start + len(needle)
        return lo - end if end <= lo else start - hi

    starts = [
        s for s in _occurrences(needle, text, whole_word=True) if s + len(needle) <= lo or s >= hi
    ]
    if not starts:
        raise GoldTextError(f"{what} does not occur outside the quote: {needle!r}")
    return _exact(text, min(starts, key=distance), needle)


def _mentions(forms: Iterable[str], text: str, actor: str) -> list[Span]:
    """Every whole-word occurrence of the actor's name and aliases, longest form first, so
    'Democratic Forces' inside 'Syrian Democratic Forces' is one mention, not two."""
    taken: list[tuple[int, int]] = []
    spans: list[Span] = []
    for form in sorted(set(forms), key=len, reverse=True):
        starts = _occurrences(form, text, whole_word=True)
        if not starts:
            raise GoldTextError(f"actor {actor!r}: {form!r} does not occur in the article")
        for start in starts:
            end = start + len(form)
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            spans.append(_exact(text, start, form))
    return sorted(spans, key=lambda s: (s.start or 0, s.end or 0))


def fill_offsets(case: GoldCase) -> GoldCase:
    """A copy of `case` with every span computed from its text by exact search.

    Quotes and evidence take their first occurrence (unless the file pins a correct start),
    speaker mentions the occurrence nearest the quote, actors every occurrence of a name or
    alias. Raises GoldTextError naming each string that is not verbatim in the article.
    """
    text = case.text
    expected = case.expected.model_copy(deep=True)
    errors: list[str] = []
    for actor in expected.actors:
        try:
            actor.mentions = _mentions((actor.name, *actor.aliases), text, actor.name)
        except GoldTextError as e:
            errors.append(str(e))
    for i, event in enumerate(expected.events):
        try:
            event.evidence_span = _first_span(
                event.evidence, text, event.evidence_span, f"event {i} evidence"
            )
        except GoldTextError as e:
            errors.append(str(e))
    for i, quote in enumerate(expected.quotes):
        try:
            quote.span = _first_span(quote.text, text, quote.span, f"quote {i} text")
            if quote.speaker_mention is None:
                quote.speaker_span = None
            else:
                quote.speaker_span = _nearest_span(
                    quote.speaker_mention,
                    text,
                    quote.span,
                    quote.speaker_span,
                    f"quote {i} speaker_mention",
                )
        except GoldTextError as e:
            errors.append(str(e))
    if errors:
        raise GoldTextError(f"{case.id}: " + "; ".join(errors))
    return case.model_copy(update={"expected": expected})


def write_case(case: GoldCase, path: Path) -> None:
    path.write_text(
        json.dumps(case.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


def _fill_files(paths: list[str]) -> int:
    failed = 0
    for name in paths:
        path = Path(name)
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["text"] = normalize_article_text(raw["text"])
        try:
            write_case(fill_offsets(parse_case(raw)), path)
            print(f"filled {path}")
        except ValueError as e:  # GoldTextError and pydantic's ValidationError
            failed += 1
            print(f"FAILED {path}: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 2 or args[0] != "fill":
        sys.exit("usage: python -m evals.gold fill FILE.json [FILE.json ...]")
    sys.exit(_fill_files(args[1:]))
