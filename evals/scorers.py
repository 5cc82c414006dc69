"""Scorers: compare one predicted extraction with its gold labels. Pure functions, no I/O.

Each kind (quotes, actors, events) is matched one-to-one, predicted to gold, then counted as
true positives (matched), false positives (invented: predicted, unmatched) and false negatives
(missed: gold, unmatched). Attribute accuracies (speaker, kind, roles, date, location) are
measured on matched pairs only, so they say how good the matched items are, not how many.

Matching is greedy by score: every (gold, predicted) pair that clears the kind's bar gets a
similarity, pairs are taken best first, and a pair is kept when neither side is taken yet.
Ties go to the lower gold index, then the lower predicted index, so a run always scores the
same. (scipy's optimal assignment is not a dependency; with the bars below, conflicting
candidates are rare and greedy picks the same pairs in every case we label.)

Empty cases: precision is 1.0 when nothing was predicted (nothing invented) and recall is 1.0
when there is no gold (nothing missed); F1 follows. So an article with no events and no
predicted events scores 1.0, one with invented events scores 0.0. Accuracies with nothing to
judge are undefined (None) and are left out of averages. Corpus figures are micro-averages:
TP / FP / FN and correct / total are summed over cases before dividing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz

from evals.event_attributes import (
    describe_actor,
    describe_event,
    describe_quote,
    fatalities_agree,
    mode_agrees,
    type_confusion,
)
from evals.scores import CaseScore, Counts, Ratio
from schemas.extraction import Location
from schemas.grounded import (
    AlignmentStatus,
    GroundedActor,
    GroundedEvent,
    GroundedExtraction,
    GroundedQuote,
    Span,
)
from schemas.text import name_key

# Bump when a change to this module can change a score; run records carry it.
SCORER_VERSION = "2"  # 2: event mode, status, fatalities accuracy; the type confusion

# A predicted quote matches a gold quote when their spans overlap this much (intersection over
# union of character offsets).
QUOTE_IOU_THRESHOLD = 0.5

# Two names are the same actor when their name_keys are equal or their rapidfuzz
# token_sort_ratio reaches this. (Not token_set_ratio: it scores a subset as 100, so
# "army" would equal "Syrian army".)
ACTOR_FUZZY_THRESHOLD = 90.0

KINDS = ("quotes", "actors", "events")


# --- matching ---------------------------------------------------------------------------------


def greedy_match(similarity: dict[tuple[int, int], float]) -> dict[int, int]:
    """One-to-one {gold index: predicted index}, best similarity first (see module doc)."""
    ranked = sorted(similarity.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for (g, p), _ in ranked:
        if g not in matched and p not in taken:
            matched[g] = p
            taken.add(p)
    return dict(sorted(matched.items()))


def _interval(span: Span | None) -> tuple[int, int] | None:
    if span is None or span.start is None or span.end is None or span.end <= span.start:
        return None
    return span.start, span.end


def span_iou(a: Span | None, b: Span | None) -> float:
    """Character-offset intersection over union; 0.0 when either span has no offsets."""
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None:
        return 0.0
    inter = min(ia[1], ib[1]) - max(ia[0], ib[0])
    if inter <= 0:
        return 0.0
    return inter / (max(ia[1], ib[1]) - min(ia[0], ib[0]))


def name_similarity(a: str, b: str) -> float:
    """100 for equal name keys, else the fuzzy ratio when it reaches the threshold, else 0."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    if ka == kb:
        return 100.0
    ratio = fuzz.token_sort_ratio(ka, kb)
    return ratio if ratio >= ACTOR_FUZZY_THRESHOLD else 0.0


def _actor_names(actor: GroundedActor) -> list[str]:
    return [actor.name, *actor.aliases]


def actor_similarity(gold: GroundedActor, pred: GroundedActor) -> float:
    """Best name similarity over names and aliases; a name-to-name match ranks above a
    match through aliases so that duplicates do not steal the main pairing."""
    best = 0.0
    for gi, g in enumerate(_actor_names(gold)):
        for pi, p in enumerate(_actor_names(pred)):
            sim = name_similarity(g, p)
            if sim:
                best = max(best, sim + (gi == 0) + (pi == 0))
    return best


def _resolve(name: str, actors: Sequence[GroundedActor]) -> int | None:
    """Index of the actor that a name refers to: exact key first, then the best fuzzy match."""
    best, best_sim = None, 0.0
    for i, actor in enumerate(actors):
        for n in _actor_names(actor):
            sim = name_similarity(name, n)
            if sim > best_sim:
                best, best_sim = i, sim
    return best


class ActorIdentity:
    """Maps actor names on either side to one identity so that speakers and event roles can
    be compared: a predicted name counts as a gold actor when its predicted actor was matched
    to that gold actor, or failing that when the name itself names the gold actor."""

    def __init__(
        self,
        gold: Sequence[GroundedActor],
        pred: Sequence[GroundedActor],
        matched: dict[int, int],
    ) -> None:
        self._gold = gold
        self._pred = pred
        self._gold_of_pred = {p: g for g, p in matched.items()}

    def gold(self, name: str | None) -> str | None:
        if name is None:
            return None
        g = _resolve(name, self._gold)
        return f"#{g}" if g is not None else f"name:{name_key(name)}"

    def pred(self, name: str | None) -> str | None:
        if name is None:
            return None
        p = _resolve(name, self._pred)
        if p is not None and p in self._gold_of_pred:
            return f"#{self._gold_of_pred[p]}"
        return self.gold(name)

    def gold_set(self, names: Iterable[str]) -> set[str]:
        return {i for i in (self.gold(n) for n in names) if i is not None}

    def pred_set(self, names: Iterable[str]) -> set[str]:
        return {i for i in (self.pred(n) for n in names) if i is not None}


def match_actors(gold: Sequence[GroundedActor], pred: Sequence[GroundedActor]) -> dict[int, int]:
    sims = {
        (g, p): s
        for g, ga in enumerate(gold)
        for p, pa in enumerate(pred)
        if (s := actor_similarity(ga, pa)) > 0
    }
    return greedy_match(sims)


def match_quotes(
    gold: Sequence[GroundedQuote], pred: Sequence[GroundedQuote], *, exact: bool = False
) -> dict[int, int]:
    sims: dict[tuple[int, int], float] = {}
    for g, gq in enumerate(gold):
        for p, pq in enumerate(pred):
            if exact:
                gi, pi = _interval(gq.span), _interval(pq.span)
                if gi is not None and gi == pi:
                    sims[(g, p)] = 1.0
            elif (iou := span_iou(gq.span, pq.span)) >= QUOTE_IOU_THRESHOLD:
                sims[(g, p)] = iou
    return greedy_match(sims)


def _event_actors(event: GroundedEvent) -> list[str]:
    return [*event.sources, *event.targets]


def match_events(
    gold: Sequence[GroundedEvent], pred: Sequence[GroundedEvent], identity: ActorIdentity
) -> dict[int, int]:
    """Same type, and overlapping evidence or a shared actor (either role)."""
    sims: dict[tuple[int, int], float] = {}
    for g, ge in enumerate(gold):
        gold_actors = identity.gold_set(_event_actors(ge))
        for p, pe in enumerate(pred):
            if ge.event_type != pe.event_type:
                continue
            iou = span_iou(ge.evidence_span, pe.evidence_span)
            pred_actors = identity.pred_set(_event_actors(pe))
            union = gold_actors | pred_actors
            shared = len(gold_actors & pred_actors) / len(union) if union else 0.0
            if iou > 0 or shared > 0:
                sims[(g, p)] = iou + shared
    return greedy_match(sims)


# --- attribute checks -------------------------------------------------------------------------


def roles_agree(gold: GroundedEvent, pred: GroundedEvent, identity: ActorIdentity) -> bool:
    return identity.gold_set(gold.sources) == identity.pred_set(pred.sources) and identity.gold_set(
        gold.targets
    ) == identity.pred_set(pred.targets)


def _location_names(location: Location | None) -> list[str]:
    if location is None:
        return []
    return [n for n in (location.place, location.admin_area, location.country) if n]


def location_agrees(gold: Location | None, pred: Location | None) -> bool | None:
    """Gold's most specific named level must be named anywhere in the prediction (a model
    that puts a town under admin_area still found the town). None: gold names no place."""
    gold_names = _location_names(gold)
    if not gold_names:
        return None
    return any(name_similarity(gold_names[0], n) for n in _location_names(pred))


def _grounding(pred: GroundedExtraction) -> tuple[Ratio, Ratio]:
    """Share of predicted quote spans, evidence spans and actor mentions found in the article
    (any alignment but none), and found verbatim. A missing span counts as not found."""
    spans: list[Span | None] = [q.span for q in pred.quotes]
    spans += [e.evidence_span for e in pred.events]
    spans += [m for a in pred.actors for m in a.mentions]
    found = sum(1 for s in spans if s is not None and s.grounded)
    exact = sum(1 for s in spans if s is not None and s.alignment == AlignmentStatus.EXACT)
    return Ratio(correct=found, total=len(spans)), Ratio(correct=exact, total=len(spans))


def _counts(matched: dict[int, int], n_gold: int, n_pred: int) -> Counts:
    return Counts(tp=len(matched), fp=n_pred - len(matched), fn=n_gold - len(matched))


def _unmatched(items: Sequence[object], used: Iterable[int]) -> list[int]:
    taken = set(used)
    return [i for i in range(len(items)) if i not in taken]


# --- one case ---------------------------------------------------------------------------------


def score_case(predicted: GroundedExtraction | None, gold: GroundedExtraction) -> CaseScore:
    """Score one article. A missing prediction (failed or invalid extraction) scores as an
    empty one: everything in gold is missed."""
    pred = predicted or GroundedExtraction()

    actor_pairs = match_actors(gold.actors, pred.actors)
    identity = ActorIdentity(gold.actors, pred.actors, actor_pairs)
    quote_pairs = match_quotes(gold.quotes, pred.quotes)
    exact_pairs = match_quotes(gold.quotes, pred.quotes, exact=True)
    event_pairs = match_events(gold.events, pred.events, identity)

    def ratio(checks: Iterable[bool | None]) -> Ratio:
        judged = [c for c in checks if c is not None]
        return Ratio(correct=sum(judged), total=len(judged))

    quote_matches = [(gold.quotes[g], pred.quotes[p]) for g, p in quote_pairs.items()]
    event_matches = [(gold.events[g], pred.events[p]) for g, p in event_pairs.items()]
    grounding, exact_grounding = _grounding(pred)
    used_quotes, used_actors = quote_pairs.values(), actor_pairs.values()
    used_events = event_pairs.values()

    return CaseScore(
        quotes=_counts(quote_pairs, len(gold.quotes), len(pred.quotes)),
        quotes_exact=_counts(exact_pairs, len(gold.quotes), len(pred.quotes)),
        actors=_counts(actor_pairs, len(gold.actors), len(pred.actors)),
        events=_counts(event_pairs, len(gold.events), len(pred.events)),
        quote_speaker=ratio(
            identity.gold(g.speaker) == identity.pred(p.speaker) for g, p in quote_matches
        ),
        quote_kind=ratio(g.kind == p.kind for g, p in quote_matches),
        actor_kind=ratio(
            gold.actors[g].kind == pred.actors[p].kind for g, p in actor_pairs.items()
        ),
        event_roles=ratio(roles_agree(g, p, identity) for g, p in event_matches),
        event_date=ratio(None if g.date is None else g.date == p.date for g, p in event_matches),
        event_location=ratio(location_agrees(g.location, p.location) for g, p in event_matches),
        event_mode=ratio(mode_agrees(g, p) for g, p in event_matches),
        event_status=ratio(g.status == p.status for g, p in event_matches),
        event_fatalities=ratio(fatalities_agree(g, p) for g, p in event_matches),
        event_types=type_confusion(gold.events, pred.events),
        grounding=grounding,
        exact_grounding=exact_grounding,
        missed={
            "quotes": [
                describe_quote(gold.quotes[g]) for g in _unmatched(gold.quotes, quote_pairs)
            ],
            "actors": [
                describe_actor(gold.actors[g]) for g in _unmatched(gold.actors, actor_pairs)
            ],
            "events": [
                describe_event(gold.events[g]) for g in _unmatched(gold.events, event_pairs)
            ],
        },
        invented={
            "quotes": [
                describe_quote(pred.quotes[p]) for p in _unmatched(pred.quotes, used_quotes)
            ],
            "actors": [
                describe_actor(pred.actors[p]) for p in _unmatched(pred.actors, used_actors)
            ],
            "events": [
                describe_event(pred.events[p]) for p in _unmatched(pred.events, used_events)
            ],
        },
    )
