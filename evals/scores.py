"""The figures a scorer produces: counts (TP / FP / FN) and ratios per kind, summed over cases
(micro-averages). The scorers (evals.scorers) fill them; run records store them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field, computed_field


class Counts(BaseModel):
    """True positives, false positives, false negatives of one kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)


class Ratio(BaseModel):
    """correct / total; None when there was nothing to judge."""

    correct: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(correct=self.correct + other.correct, total=self.total + other.total)


class Scores(BaseModel):
    """Counts and accuracies for one case, or summed over many."""

    quotes: Counts = Field(default_factory=Counts)  # span IoU >= QUOTE_IOU_THRESHOLD
    quotes_exact: Counts = Field(default_factory=Counts)  # identical start and end
    actors: Counts = Field(default_factory=Counts)
    events: Counts = Field(default_factory=Counts)
    quote_speaker: Ratio = Field(default_factory=Ratio)
    quote_kind: Ratio = Field(default_factory=Ratio)
    actor_kind: Ratio = Field(default_factory=Ratio)
    event_roles: Ratio = Field(default_factory=Ratio)
    event_date: Ratio = Field(default_factory=Ratio)
    event_location: Ratio = Field(default_factory=Ratio)
    event_mode: Ratio = Field(default_factory=Ratio)
    event_status: Ratio = Field(default_factory=Ratio)
    event_fatalities: Ratio = Field(default_factory=Ratio)
    # "GOLD>PREDICTED" type -> count, events paired by evidence whatever their types ("—": none)
    event_types: dict[str, int] = Field(default_factory=dict)
    grounding: Ratio = Field(default_factory=Ratio)  # predicted spans found in the article
    exact_grounding: Ratio = Field(default_factory=Ratio)  # ... found verbatim

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headline_f1(self) -> float:
        """Mean of the quote, actor and event F1: the one number a prompt change moves."""
        return (self.quotes.f1 + self.actors.f1 + self.events.f1) / 3

    def __add__(self, other: Scores) -> Scores:
        fields = {
            name: getattr(self, name) + getattr(other, name)
            for name in Scores.model_fields
            if name != "event_types"
        }
        types = Counter(self.event_types) + Counter(other.event_types)
        return Scores(**fields, event_types=dict(sorted(types.items())))


class CaseScore(Scores):
    """One case's scores plus what was missed (gold, unmatched) and invented (predicted,
    unmatched), described in a line each, keyed by kind."""

    missed: dict[str, list[str]] = Field(default_factory=dict)
    invented: dict[str, list[str]] = Field(default_factory=dict)


def total_scores(scores: Iterable[Scores]) -> Scores:
    """Micro totals: counts summed over cases."""
    total = Scores()
    for score in scores:
        total = total + score
    return total
