"""Score our extractions against an adapted external benchmark.

Events (MUC-4, WikiEvents): role-filler match. Per document, each gold event is paired one-to-
one with a predicted event of the same type, best role-filler overlap first (then the overlap
of the evidence sentences, then document order), with `evals.scorers.greedy_match`. Within a
pair, each role (source, target) pairs gold fillers with predicted names one-to-one; a
predicted name stands for its actor's name and aliases. A name fills a gold filler when it
equals or fuzzy-matches (`evals.scorers.name_similarity`, rapidfuzz) any alternative, or —
in the lenient "head noun" variant the papers also report — when both end in the same word
(plural `s` ignored). Counts are micro over role fillers: a matched filler is a true positive,
a gold filler left over a false negative, a predicted name left over (also those of unpaired
predicted events) a false positive. Optional gold (MUC-4 `?` fills and `(OPTIONAL)`
templates) is neither rewarded nor penalised: a name matching it is dropped from the counts.
Only predicted events of the types the benchmark's mapping produces are scored: MUC-4 keys
only terrorist incidents, WikiEvents only its ontology, so other predicted types are left out.

Quotes (PolNeAR): `evals.scorers.match_quotes` (span IoU >= QUOTE_IOU_THRESHOLD, and exact
spans), for quoted speech (direct + partial on both sides) and for all attributions; speaker
accuracy on matched quotes compares the speaker as written (PolNeAR's Source span) with the
predicted mention or speaker name, or by overlapping speaker spans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field, computed_field

from evals.external.common import ExternalDocument, GoldEvent, GoldFiller
from evals.external.registry import adapter_named
from evals.scorers import greedy_match, match_quotes, name_similarity, span_iou
from evals.scores import Counts, Ratio
from schemas.extraction import EventType, QuoteKind
from schemas.grounded import GroundedActor, GroundedEvent, GroundedExtraction, GroundedQuote
from schemas.text import name_key

QUOTED_KINDS = frozenset({QuoteKind.DIRECT, QuoteKind.PARTIAL})


class BenchmarkReport(BaseModel):
    """P/R/F1 per row (Counts carry them), accuracies, and the gold left out by the adapter."""

    benchmark: str
    documents: int = 0
    failed_extractions: int = 0  # scored as empty predictions
    counts: dict[str, Counts] = Field(default_factory=dict)
    ratios: dict[str, Ratio] = Field(default_factory=dict)
    unmapped: dict[str, int] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unmapped_total(self) -> int:
        return sum(self.unmapped.values())


# --- role fillers ------------------------------------------------------------------------------


def _head(name: str) -> str:
    words = name_key(name).split()
    head = words[-1] if words else ""
    return head[:-1] if len(head) > 3 and head.endswith("s") else head


def names_match(predicted: str, gold: str, *, head_nouns: bool) -> bool:
    if name_similarity(predicted, gold) > 0:
        return True
    return head_nouns and bool(_head(predicted)) and _head(predicted) == _head(gold)


def filler_matches(names: Iterable[str], filler: GoldFiller, *, head_nouns: bool) -> bool:
    """True when any of a predicted actor's names fills any alternative of the gold filler."""
    return any(
        names_match(n, alt, head_nouns=head_nouns) for n in names for alt in filler.alternatives
    )


def _names_of(name: str, actors: Sequence[GroundedActor]) -> list[str]:
    """A predicted name with its actor's name and aliases (the actor it names exactly)."""
    key = name_key(name)
    for actor in actors:
        names = [actor.name, *actor.aliases]
        if key in {name_key(n) for n in names}:
            return [name, *names]
    return [name]


class _RoleCounts(BaseModel):
    source: Counts = Field(default_factory=Counts)
    target: Counts = Field(default_factory=Counts)
    events: Counts = Field(default_factory=Counts)


def _pair_roles(
    gold: GoldEvent, pred: GroundedEvent, actors: Sequence[GroundedActor], *, head_nouns: bool
) -> dict[str, tuple[dict[int, int], list[GoldFiller], list[str]]]:
    pairs: dict[str, tuple[dict[int, int], list[GoldFiller], list[str]]] = {}
    for role, fillers, names in (
        ("source", gold.sources, pred.sources),
        ("target", gold.targets, pred.targets),
    ):
        expanded = [_names_of(n, actors) for n in names]
        sims = {
            (g, p): 1.0 + (not filler.optional)  # a required filler first
            for g, filler in enumerate(fillers)
            for p, pnames in enumerate(expanded)
            if filler_matches(pnames, filler, head_nouns=head_nouns)
        }
        pairs[role] = (greedy_match(sims), fillers, names)
    return pairs


def score_roles(
    doc: ExternalDocument,
    predicted: GroundedExtraction | None,
    in_scope: frozenset[EventType],
    *,
    head_nouns: bool = True,
) -> _RoleCounts:
    pred = predicted or GroundedExtraction()
    pred_events = [e for e in pred.events if e.event_type in in_scope]
    sims: dict[tuple[int, int], float] = {}
    role_pairs = {}
    for g, ge in enumerate(doc.events):
        for p, pe in enumerate(pred_events):
            if ge.event_type != pe.event_type:
                continue
            pairs = _pair_roles(ge, pe, pred.actors, head_nouns=head_nouns)
            role_pairs[(g, p)] = pairs
            overlap = sum(len(m) for m, _, _ in pairs.values())
            sims[(g, p)] = overlap + 0.5 * span_iou(ge.evidence_span, pe.evidence_span) + 1e-3
    matched = greedy_match(sims)
    counts = _RoleCounts()
    for g, ge in enumerate(doc.events):
        if g in matched:
            if ge.optional:  # an optional template found: nothing counted either way
                continue
            counts.events.tp += 1
            for role, (hits, fillers, names) in role_pairs[(g, matched[g])].items():
                required_hits = sum(not fillers[i].optional for i in hits)
                c: Counts = getattr(counts, role)
                c.tp += required_hits
                c.fn += sum(not f.optional for f in fillers) - required_hits
                c.fp += len(names) - len(hits)  # names on optional fillers: not counted
        elif not ge.optional:
            counts.events.fn += 1
            counts.source.fn += sum(not f.optional for f in ge.sources)
            counts.target.fn += sum(not f.optional for f in ge.targets)
    paired = set(matched.values())
    for p, pe in enumerate(pred_events):
        if p not in paired:
            counts.events.fp += 1
            counts.source.fp += len(pe.sources)
            counts.target.fp += len(pe.targets)
    return counts


# --- quotes ------------------------------------------------------------------------------------


def _speaker_agrees(
    gold: GroundedQuote, pred: GroundedQuote, actors: Sequence[GroundedActor] = ()
) -> bool | None:
    """The gold source as written names the predicted speaker: its mention, its name or one
    of its actor's aliases ("Trump" for the actor "Donald Trump"), or the spans overlap."""
    if not gold.speaker_mention:
        return None
    said = [n for n in (pred.speaker_mention, pred.speaker) if n]
    if pred.speaker:
        said += _names_of(pred.speaker, actors)
    if any(name_similarity(n, gold.speaker_mention) > 0 for n in said):
        return True
    return span_iou(gold.speaker_span, pred.speaker_span) > 0


def score_quotes(doc: ExternalDocument, predicted: GroundedExtraction | None) -> dict[str, object]:
    pred = predicted or GroundedExtraction()
    out: dict[str, object] = {}
    for row, keep in (("quotes_quoted", QUOTED_KINDS), ("quotes_all", frozenset(QuoteKind))):
        gold_q = [q for q in doc.quotes if q.kind in keep]
        pred_q = [q for q in pred.quotes if q.kind in keep]
        pairs = match_quotes(gold_q, pred_q)
        out[row] = _counts(len(pairs), len(gold_q), len(pred_q))
        if row == "quotes_all":
            exact = match_quotes(gold_q, pred_q, exact=True)
            out["quotes_all_exact"] = _counts(len(exact), len(gold_q), len(pred_q))
            judged = [_speaker_agrees(gold_q[g], pred_q[p], pred.actors) for g, p in pairs.items()]
            kinds = [gold_q[g].kind == pred_q[p].kind for g, p in pairs.items()]
            out["quote_speaker"] = _ratio(judged)
            out["quote_kind"] = _ratio(kinds)
    return out


def _counts(tp: int, n_gold: int, n_pred: int) -> Counts:
    return Counts(tp=tp, fp=n_pred - tp, fn=n_gold - tp)


def _ratio(checks: Iterable[bool | None]) -> Ratio:
    judged = [c for c in checks if c is not None]
    return Ratio(correct=sum(judged), total=len(judged))


# --- a benchmark -------------------------------------------------------------------------------


def score_benchmark(
    benchmark: str,
    documents: Sequence[ExternalDocument],
    predictions: Sequence[GroundedExtraction | None],
) -> BenchmarkReport:
    """Micro-averaged scores over the documents, of what the benchmark's adapter says it
    scores; a None prediction (failed extraction) is scored as an empty one."""
    adapter = adapter_named(benchmark)
    if len(documents) != len(predictions):
        raise ValueError("one prediction (or None) per document")
    report = BenchmarkReport(
        benchmark=benchmark,
        documents=len(documents),
        failed_extractions=sum(p is None for p in predictions),
    )
    totals: dict[str, Counts] = {}
    ratios: dict[str, Ratio] = {}
    unmapped: Counter[str] = Counter()
    in_scope = adapter.event_types
    for doc, pred in zip(documents, predictions, strict=True):
        unmapped.update(doc.unmapped)
        rows: dict[str, object] = {}
        if in_scope:
            lenient = score_roles(doc, pred, in_scope, head_nouns=True)
            strict = score_roles(doc, pred, in_scope, head_nouns=False)
            rows |= {
                "events": lenient.events,
                "role_fillers": lenient.source + lenient.target,
                "role_fillers_source": lenient.source,
                "role_fillers_target": lenient.target,
                "role_fillers_strict": strict.source + strict.target,
            }
        if adapter.scores_quotes:
            rows |= score_quotes(doc, pred)
        for name, value in rows.items():
            if isinstance(value, Counts):
                totals[name] = totals.get(name, Counts()) + value
            elif isinstance(value, Ratio):
                ratios[name] = ratios.get(name, Ratio()) + value
    report.counts, report.ratios = totals, ratios
    report.unmapped = dict(sorted(unmapped.items()))
    return report


def gold_as_prediction(doc: ExternalDocument) -> GroundedExtraction:
    """The gold labels in the shape of a prediction (each filler by its first alternative):
    what a perfect extractor would return. For checking the scorer, never for a score.
    Built without validation: gold may exceed the model-facing caps (4 sources, 6 aliases)."""
    events = [
        GroundedEvent.model_construct(
            event_type=e.event_type,
            mode=e.mode,
            sources=[f.name for f in e.sources],
            targets=[f.name for f in e.targets],
            summary=e.native_type,
            evidence=e.evidence_span.text if e.evidence_span else e.native_type,
            evidence_span=e.evidence_span,
            date=e.date,
            location=e.location,
        )
        for e in doc.events
    ]
    return GroundedExtraction.model_construct(actors=doc.actors, events=events, quotes=doc.quotes)
