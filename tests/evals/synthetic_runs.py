"""Synthetic gold cases and a fake extractor for testing the runner and the gate's mechanics.

The fake's answers are the gold labels themselves, optionally degraded by dropping items: they
exercise matching, aggregation and comparison, and are never stored as recordings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from evals.gold import GoldCase, fill_offsets
from schemas.contract import (
    ArticleInput,
    ExtractionOutcome,
    OutcomeStatus,
    Provenance,
    Usage,
)
from schemas.extraction import ActorKind, EventType, Location, QuoteKind
from schemas.grounded import GroundedActor, GroundedEvent, GroundedExtraction, GroundedQuote

STRIKE_TEXT = (
    "AIN ISSA, Syria (Wire) - Turkish jets struck Ain Issa on Sunday, the Syrian Democratic "
    "Forces said.\n\n"
    '"We will defend the town," said SDF spokesman Mustafa Bali.\n\n'
    "Turkey said the strikes hit only militant positions."
)
TALKS_TEXT = (
    "MOSCOW (Wire) - Russia and Turkey held talks in Moscow on Monday to discuss the "
    "ceasefire.\n\n"
    "Russia said the talks had been useful."
)
QUIET_TEXT = "GENEVA (Wire) - The weather in Geneva was mild on Tuesday."
DEAL_TEXT = (
    "DOUMA, Syria (Wire) - Jaish al-Islam agreed on Saturday to leave Douma under an "
    "evacuation deal with Russia, the group's spokesman Hamza Bayraqdar said."
)


def _actor(name: str, kind: ActorKind, *aliases: str) -> GroundedActor:
    return GroundedActor(name=name, kind=kind, aliases=list(aliases))


def _case(
    case_id: str, split: str, text: str, published: dt.date, expected: GroundedExtraction
) -> GoldCase:
    case = GoldCase.model_validate(
        {
            "id": case_id,
            "split": split,
            "title": case_id,
            "source": "synthetic test article",
            "published_at": published,
            "text": text,
            "expected": expected.model_dump(),
        }
    )
    return fill_offsets(case)


def make_cases() -> list[GoldCase]:
    strike = GroundedExtraction(
        actors=[
            _actor("Syrian Democratic Forces", ActorKind.ARMED_GROUP, "SDF"),
            _actor("Turkey", ActorKind.STATE),
            _actor("Mustafa Bali", ActorKind.PERSON),
        ],
        events=[
            GroundedEvent(
                event_type=EventType.ASSAULT,
                sources=["Turkey"],
                targets=["Syrian Democratic Forces"],
                summary="Turkish jets struck Ain Issa.",
                date=dt.date(2019, 10, 13),
                location=Location(place="Ain Issa", country="Syria"),
                evidence="Turkish jets struck Ain Issa on Sunday, the Syrian Democratic Forces "
                "said.",
            )
        ],
        quotes=[
            GroundedQuote(
                text="We will defend the town,",
                kind=QuoteKind.DIRECT,
                speaker="Mustafa Bali",
                speaker_mention="Mustafa Bali",
                cue="said",
            ),
            GroundedQuote(
                text="the strikes hit only militant positions",
                kind=QuoteKind.INDIRECT,
                speaker="Turkey",
                speaker_mention="Turkey",
                cue="said",
            ),
        ],
    )
    talks = GroundedExtraction(
        actors=[_actor("Russia", ActorKind.STATE), _actor("Turkey", ActorKind.STATE)],
        events=[
            GroundedEvent(
                event_type=EventType.CONSULT,
                sources=["Russia", "Turkey"],
                summary="Russia and Turkey held talks in Moscow.",
                date=dt.date(2019, 10, 14),
                location=Location(place="Moscow", country="Russia"),
                evidence="MOSCOW (Wire) - Russia and Turkey held talks in Moscow on Monday to "
                "discuss the ceasefire.",
            )
        ],
        quotes=[
            GroundedQuote(
                text="the talks had been useful",
                kind=QuoteKind.INDIRECT,
                speaker="Russia",
                speaker_mention="Russia",
                cue="said",
            )
        ],
    )
    deal = GroundedExtraction(
        actors=[
            _actor("Jaish al-Islam", ActorKind.ARMED_GROUP),
            _actor("Russia", ActorKind.STATE),
            _actor("Hamza Bayraqdar", ActorKind.PERSON),
        ],
        events=[
            GroundedEvent(
                event_type=EventType.AGREE,
                sources=["Jaish al-Islam"],
                targets=["Russia"],
                summary="Jaish al-Islam agreed to leave Douma.",
                date=dt.date(2018, 4, 7),
                location=Location(place="Douma", country="Syria"),
                evidence=DEAL_TEXT,
            )
        ],
    )
    return [
        _case("strike", "dev", STRIKE_TEXT, dt.date(2019, 10, 14), strike),
        _case("talks", "dev", TALKS_TEXT, dt.date(2019, 10, 15), talks),
        _case("quiet", "dev", QUIET_TEXT, dt.date(2019, 10, 15), GroundedExtraction()),
        _case("deal", "test", DEAL_TEXT, dt.date(2018, 4, 8), deal),
    ]


def drop_every_other(extraction: GroundedExtraction) -> GroundedExtraction:
    """Keep items 0, 2, 4, ... of each kind: a prediction that misses some of everything."""
    return GroundedExtraction(
        actors=extraction.actors[::2], events=extraction.events[::2], quotes=extraction.quotes[::2]
    )


def drop_quotes(extraction: GroundedExtraction) -> GroundedExtraction:
    return extraction.model_copy(update={"quotes": extraction.quotes[1:]})


def identity(extraction: GroundedExtraction) -> GroundedExtraction:
    return extraction.model_copy(deep=True)


PROVENANCE = Provenance(
    prompt_id="extract",
    prompt_version="v1",
    prompt_sha256="0" * 64,
    schema_sha256="1" * 64,
    model="fake/model-0",
    base_url="http://fake.invalid/v1",
    backend="fake",
    mode="tools",
)


class FakeExtractor:
    """Answers with the gold labels of the article's case passed through `answer`; raises for
    the texts in `raise_for`, returns an invalid outcome for those in `invalid_for`."""

    def __init__(
        self,
        cases: list[GoldCase],
        answer: Callable[[GroundedExtraction], GroundedExtraction] = identity,
        *,
        raise_for: frozenset[str] = frozenset(),
        invalid_for: frozenset[str] = frozenset(),
    ) -> None:
        self._by_text = {c.text: c for c in cases}
        self._answer = answer
        self._raise_for = raise_for
        self._invalid_for = invalid_for
        self.provenance = PROVENANCE
        self.calls = 0

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        self.calls += 1
        case = self._by_text[article.text]
        if case.id in self._raise_for:
            raise RuntimeError(f"fake transport error on {case.id}")
        usage = Usage(prompt_tokens=len(article.text), completion_tokens=10)
        if case.id in self._invalid_for:
            return ExtractionOutcome(
                status=OutcomeStatus.INVALID,
                error="validation failed after re-asks",
                attempts=3,
                usage=usage,
                latency_ms=30,
                provenance=self.provenance,
            )
        return ExtractionOutcome(
            status=OutcomeStatus.SUCCEEDED,
            result=self._answer(case.expected),
            attempts=1,
            usage=usage,
            latency_ms=10,
            raw_outputs=["{}"],
            provenance=self.provenance,
        )
