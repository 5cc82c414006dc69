"""Fakes for the storage, API and job tests: the seed article and a fake extractor.

The fake extractor scripts model *mechanics* (success, invalid, failed, exceptions). Its answers
are written here by hand and are never stored as recordings and never scored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from schemas.acled import acled_category
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus, Provenance, Usage
from schemas.extraction import (
    ActorKind,
    DatePrecision,
    EventMode,
    EventStatus,
    EventType,
    Location,
    LocationPrecision,
    QuoteKind,
)
from schemas.grounded import (
    AlignmentStatus,
    GroundedActor,
    GroundedEvent,
    GroundedExtraction,
    GroundedQuote,
    Span,
)

TESTS_DIR = Path(__file__).resolve().parent


# ---- the seed article -----------------------------------------------------------------------


@dataclass(frozen=True)
class SeedArticle:
    text: str
    published_at: dt.date
    source: str
    dateline: str


def load_seed() -> SeedArticle:
    header, _, body = (TESTS_DIR / "api" / "seed_004.txt").read_text("utf-8").partition("\n")
    # " date 2017-10-17 AFP, AIN ISSA, Syria"
    _, day, source, dateline = header.split(maxsplit=3)
    return SeedArticle(
        text=body.strip(),
        published_at=dt.date.fromisoformat(day),
        source=source.rstrip(","),
        dateline=dateline,
    )


# ---- fake extractor -------------------------------------------------------------------------

ScriptStep = str | BaseException | Callable[[ArticleInput], ExtractionOutcome]


def _span(text: str, phrase: str, after: int = 0) -> Span:
    start = text.find(phrase, after)
    if start < 0:
        start = text.find(phrase)
    if start < 0:
        return Span(text=phrase)
    return Span(start=start, end=start + len(phrase), text=phrase, alignment=AlignmentStatus.EXACT)


def _mentions(text: str, names: list[str]) -> list[Span]:
    spans = []
    for name in names:
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            spans.append(
                Span(
                    start=match.start(), end=match.end(), text=name, alignment=AlignmentStatus.EXACT
                )
            )
    return sorted(spans, key=lambda s: s.start or 0)


_ACTORS: list[tuple[str, list[str], ActorKind, str | None]] = [
    ("Syrian Democratic Forces", ["SDF", "US-backed forces"], ActorKind.ARMED_GROUP, None),
    ("Islamic State", ["IS"], ActorKind.ARMED_GROUP, None),
    ("Talal Sello", ["Sello"], ActorKind.PERSON, "Syrian Democratic Forces"),
    ("Raqa Civil Council", ["RCC"], ActorKind.POLITICAL_ORG, None),
    ("US-led coalition", ["coalition"], ActorKind.INTERNATIONAL_ORG, None),
    ("Ryan Dillon", ["Dillon"], ActorKind.PERSON, "US-led coalition"),
    ("civilians", [], ActorKind.CIVILIANS, None),
]
_RAQA = Location(  # as api.llm.locations resolves it against GeoNames
    place="Raqa",
    admin_area="Ar-Raqqah",
    country="Syria",
    country_code="SY",
    latitude=35.95283,
    longitude=39.00788,
    geonameid=172955,
    precision=LocationPrecision.PLACE,
    geo_precision=1,
)
_EVENTS: list[
    tuple[EventType, EventMode | None, EventStatus, list[str], list[str], str, dt.date, str]
] = [
    (
        EventType.ASSAULT,
        None,
        EventStatus.PLANNED,
        ["Syrian Democratic Forces"],
        ["Islamic State"],
        "The SDF announced the final phase of the battle for Raqa.",
        dt.date(2017, 10, 15),
        "US-backed forces on Sunday announced the",
    ),
    (
        EventType.AGREE,
        EventMode.EVACUATION,
        EventStatus.ASSERTED,
        ["Raqa Civil Council", "Islamic State"],
        ["civilians"],
        "An evacuation deal let more than 3,000 civilians leave Raqa.",
        dt.date(2017, 10, 14),
        "More than 3,000 civilians on Saturday night fled Raqa under an evacuation deal",
    ),
    (
        EventType.REJECT,
        None,
        EventStatus.ASSERTED,
        ["Raqa Civil Council"],
        ["Islamic State"],
        "The RCC denied that foreign IS fighters had been allowed to leave.",
        dt.date(2017, 10, 15),
        "The RCC on Sunday issued a statement denying",
    ),
    (
        EventType.THREATEN,
        EventMode.ULTIMATUM,
        EventStatus.ASSERTED,
        ["US-led coalition"],
        ["Islamic State"],
        "The coalition told IS fighters to stay and fight or surrender.",
        dt.date(2017, 10, 15),
        "they either stay and fight or they surrender unconditionally",
    ),
]
_QUOTES: list[tuple[str, QuoteKind, str, str]] = [
    (
        "Only 250 to 300 foreign terrorists who refused the deal and decided to stay and fight "
        "until the end remain in the city, and relatives of some members are with them",
        QuoteKind.DIRECT,
        "Talal Sello",
        "he",
    ),
    (
        "For clarification and accuracy, the foreign [IS] are not at all the concern of the Raqa "
        "Civil Council and the tribal leaders and they cannot be pardoned",
        QuoteKind.DIRECT,
        "Raqa Civil Council",
        "the RCC",
    ),
    (
        "Our stance was they either stay and fight or they surrender unconditionally",
        QuoteKind.DIRECT,
        "Ryan Dillon",
        "Colonel Ryan Dillon",
    ),
    ("This is a local solution", QuoteKind.DIRECT, "Ryan Dillon", "he"),
    (
        "local officials had not been asked for guarantees",
        QuoteKind.INDIRECT,
        "Ryan Dillon",
        "Dillon",
    ),
]


def sentence_at(text: str, start: int) -> Span:
    """The sentence (paragraph line) around `start`, as an exact span."""
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    return Span(start=begin, end=end, text=text[begin:end], alignment=AlignmentStatus.EXACT)


def fake_extraction(text: str) -> GroundedExtraction:
    """What the fake 'model' reports for an article: the seed's items that occur in it."""
    actors = [
        GroundedActor(
            name=name,
            aliases=aliases,
            kind=kind,
            affiliation=affiliation,
            canonical_name=name,
            mentions=_mentions(text, [name, *aliases]),
        )
        for name, aliases, kind, affiliation in _ACTORS
        if name in text
    ]
    known = {a.name for a in actors}
    events = []
    for etype, mode, status, sources, targets, summary, date, anchor in _EVENTS:
        at = text.find(anchor)
        if at < 0 or not set(sources + targets) <= known:
            continue
        evidence = sentence_at(text, at)
        category = acled_category(etype, mode)
        events.append(
            GroundedEvent(
                event_type=etype,
                mode=mode,
                status=status,
                sources=sources,
                targets=targets,
                summary=summary,
                date=date,
                date_precision=DatePrecision.DAY,
                location=_RAQA,
                evidence=evidence.text,
                evidence_span=evidence,
                acled_event_type=category.event_type if category else None,
                acled_sub_event_type=category.sub_event_type if category else None,
            )
        )
    quotes = []
    for quote_text, kind, speaker, mention in _QUOTES:
        span = _span(text, quote_text)
        if not span.grounded or speaker not in known:
            continue
        quotes.append(
            GroundedQuote(
                text=quote_text,
                kind=kind,
                speaker=speaker,
                speaker_mention=mention,
                cue="said",
                span=span,
                speaker_span=_span(text, mention, after=span.end or 0),
            )
        )
    return GroundedExtraction(actors=actors, events=events, quotes=quotes)


class FakeExtractor:
    """Satisfies api.jobs.ExtractorLike. `script` steps, consumed one per call: "succeeded",
    "invalid", "failed", an exception to raise, or a callable returning an outcome."""

    def __init__(
        self,
        *,
        prompt_version: str = "v1",
        model: str = "fake-model",
        script: list[ScriptStep] | None = None,
    ) -> None:
        self.provenance = Provenance(
            prompt_id="extract",
            prompt_version=prompt_version,
            prompt_sha256=hashlib.sha256(f"prompt {prompt_version}".encode()).hexdigest(),
            schema_sha256=hashlib.sha256(b"schema").hexdigest(),
            model=model,
            base_url="http://fake.invalid/v1",
            backend="fake",
            mode="tools",
        )
        self.script: deque[ScriptStep] = deque(script or [])
        self.calls: list[ArticleInput] = []

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        self.calls.append(article)
        step: ScriptStep = self.script.popleft() if self.script else "succeeded"
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(article)
        if step == "succeeded":
            result = fake_extraction(article.text)
            return self._outcome(
                OutcomeStatus.SUCCEEDED, result=result, attempts=1, raw=[result.model_dump_json()]
            )
        if step == "invalid":
            return self._outcome(
                OutcomeStatus.INVALID,
                attempts=3,
                error="quote 'we will win' is not in the article: quote only words that "
                "appear in it, verbatim",
                raw=['{"quotes": [{"text": "we will win"}]}'] * 3,
            )
        if step == "failed":
            return self._outcome(
                OutcomeStatus.FAILED,
                attempts=1,
                error="APIConnectionError: Connection refused",
                raw=[],
            )
        raise ValueError(f"unknown script step {step!r}")

    def _outcome(
        self,
        status: OutcomeStatus,
        *,
        attempts: int,
        raw: list[str],
        result: GroundedExtraction | None = None,
        error: str | None = None,
    ) -> ExtractionOutcome:
        return ExtractionOutcome(
            status=status,
            result=result,
            error=error,
            attempts=attempts,
            usage=Usage(prompt_tokens=1000 * attempts, completion_tokens=200 * len(raw)),
            latency_ms=15 * attempts,
            raw_outputs=raw,
            provenance=self.provenance,
        )
