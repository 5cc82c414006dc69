"""Scorers on small cases whose expected figures are computed by hand in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from evals.scorers import (
    QUOTE_IOU_THRESHOLD,
    greedy_match,
    name_similarity,
    score_case,
    span_iou,
)
from evals.scores import Counts, total_scores
from schemas.extraction import ActorKind, EventMode, EventType, Location, QuoteKind
from schemas.grounded import (
    AlignmentStatus,
    GroundedActor,
    GroundedEvent,
    GroundedExtraction,
    GroundedQuote,
    Span,
)

TEXT = (
    "The Syrian Democratic Forces (SDF) said on Sunday that Turkish jets struck Ain Issa. "
    '"We will defend the town to the last man," said SDF spokesman Mustafa Bali. '
    "Turkey denied that its aircraft had hit civilians."
)
STRIKE = "The Syrian Democratic Forces (SDF) said on Sunday that Turkish jets struck Ain Issa."
DEFEND = "We will defend the town to the last man,"
DENIAL = "Turkey denied that its aircraft had hit civilians."


def span(sub: str, alignment: AlignmentStatus = AlignmentStatus.EXACT) -> Span:
    start = TEXT.index(sub)
    return Span(start=start, end=start + len(sub), text=sub, alignment=alignment)


def offsets(start: int, end: int) -> Span:
    return Span(start=start, end=end, text=TEXT[start:end], alignment=AlignmentStatus.EXACT)


def actor(name: str, kind: ActorKind, *aliases: str) -> GroundedActor:
    return GroundedActor(name=name, kind=kind, aliases=list(aliases), mentions=[span(name)])


SDF = actor("Syrian Democratic Forces", ActorKind.ARMED_GROUP, "SDF")
TURKEY = actor("Turkey", ActorKind.STATE)
BALI = actor("Mustafa Bali", ActorKind.PERSON)


def quote(text: str, speaker: str | None, kind: QuoteKind = QuoteKind.DIRECT) -> GroundedQuote:
    return GroundedQuote(text=text, kind=kind, speaker=speaker, span=span(text))


def event(
    event_type: EventType,
    evidence: str,
    sources: list[str],
    targets: list[str],
    *,
    date: dt.date | None = None,
    location: Location | None = None,
    evidence_span: Span | None = None,
) -> GroundedEvent:
    return GroundedEvent(
        event_type=event_type,
        evidence=evidence,
        sources=sources,
        targets=targets,
        summary="",
        date=date,
        location=location,
        evidence_span=evidence_span if evidence_span is not None else span(evidence),
    )


STRIKE_EVENT = event(
    EventType.ASSAULT,
    STRIKE,
    ["Turkey"],
    ["Syrian Democratic Forces"],
    date=dt.date(2019, 10, 13),
    location=Location(place="Ain Issa", country="Syria"),
)
GOLD = GroundedExtraction(
    actors=[SDF, TURKEY, BALI],
    events=[STRIKE_EVENT],
    quotes=[quote(DEFEND, "Mustafa Bali")],
)


def test_counts_precision_recall_f1_by_hand() -> None:
    c = Counts(tp=2, fp=1, fn=3)  # P = 2/3, R = 2/5, F1 = 2PR/(P+R) = 0.5
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(0.4)
    assert c.f1 == pytest.approx(0.5)


def test_perfect_prediction_scores_one_everywhere() -> None:
    s = score_case(GOLD.model_copy(deep=True), GOLD)
    for counts in (s.quotes, s.quotes_exact, s.actors, s.events):
        assert (counts.tp, counts.fp, counts.fn) != (0, 0, 0)
        assert counts.f1 == 1.0
    assert s.headline_f1 == 1.0
    for ratio in (s.quote_speaker, s.quote_kind, s.actor_kind, s.event_roles, s.event_date):
        assert ratio.value == 1.0
    assert s.event_location.value == 1.0
    assert all(not v for v in s.missed.values())
    assert all(not v for v in s.invented.values())


def test_empty_gold_and_empty_prediction_is_perfect_and_accuracies_undefined() -> None:
    s = score_case(GroundedExtraction(), GroundedExtraction())
    assert (s.quotes.precision, s.quotes.recall, s.quotes.f1) == (1.0, 1.0, 1.0)
    assert s.headline_f1 == 1.0
    assert s.quote_speaker.value is None
    assert s.event_roles.value is None
    assert s.grounding.value is None


def test_empty_prediction_misses_everything() -> None:
    for predicted in (GroundedExtraction(), None):  # None: a failed extraction
        s = score_case(predicted, GOLD)
        assert (s.actors.tp, s.actors.fp, s.actors.fn) == (0, 0, 3)
        assert s.actors.precision == 1.0  # nothing invented
        assert s.actors.recall == 0.0
        assert s.headline_f1 == 0.0
        assert len(s.missed["actors"]) == 3
        assert s.missed["quotes"] == ['direct quote "' + DEFEND + '" — Mustafa Bali']


def test_predictions_on_an_empty_article_are_all_invented() -> None:
    s = score_case(GOLD, GroundedExtraction())
    assert (s.events.tp, s.events.fp, s.events.fn) == (0, 1, 0)
    assert s.events.precision == 0.0
    assert s.events.recall == 1.0
    assert s.events.f1 == 0.0
    assert len(s.invented["events"]) == 1


def test_one_invented_quote() -> None:
    invented = quote(DENIAL, "Turkey", QuoteKind.INDIRECT)
    pred = GOLD.model_copy(update={"quotes": [*GOLD.quotes, invented]})
    s = score_case(pred, GOLD)
    assert (s.quotes.tp, s.quotes.fp, s.quotes.fn) == (1, 1, 0)
    assert s.quotes.f1 == pytest.approx(2 / 3)  # P = 1/2, R = 1
    assert s.invented["quotes"] == [f'indirect quote "{DENIAL}" — Turkey']


def test_span_iou_by_hand() -> None:
    assert span_iou(offsets(10, 30), offsets(15, 30)) == pytest.approx(15 / 20)
    assert span_iou(offsets(10, 30), offsets(20, 40)) == pytest.approx(10 / 30)
    assert span_iou(offsets(0, 10), offsets(10, 20)) == 0.0  # touching is not overlapping
    assert span_iou(offsets(0, 10), Span(text="x")) == 0.0  # no offsets


@pytest.mark.parametrize(
    ("pred_start", "pred_end", "matched", "exact"),
    [
        (0, 0, True, True),  # same span
        (5, 0, True, False),  # IoU = 35/40 = 0.875
        (20, 0, True, False),  # IoU = 20/40 = 0.5: at the threshold counts
        (21, 0, False, False),  # IoU = 19/40 < 0.5
        (0, 25, False, False),  # pred [start, start+15): IoU = 15/40
    ],
)
def test_quote_overlap_threshold_and_exact(
    pred_start: int, pred_end: int, matched: bool, exact: bool
) -> None:
    assert QUOTE_IOU_THRESHOLD == 0.5
    start = TEXT.index(DEFEND)  # DEFEND is 40 characters long
    assert len(DEFEND) == 40
    gold = GroundedExtraction(quotes=[quote(DEFEND, None)])
    pred_span = offsets(start + pred_start, start + 40 - pred_end)
    pred = GroundedExtraction(
        quotes=[GroundedQuote(text=pred_span.text, kind=QuoteKind.DIRECT, span=pred_span)]
    )
    s = score_case(pred, gold)
    assert s.quotes.tp == int(matched)
    assert s.quotes.fp == int(not matched)
    assert s.quotes_exact.tp == int(exact)


def test_alias_matches_actor_and_speaker() -> None:
    gold = GroundedExtraction(actors=[SDF], quotes=[quote(DEFEND, "Syrian Democratic Forces")])
    pred = GroundedExtraction(
        actors=[actor("SDF", ActorKind.ARMED_GROUP)], quotes=[quote(DEFEND, "SDF")]
    )
    s = score_case(pred, gold)
    assert s.actors.tp == 1
    assert s.actor_kind.value == 1.0
    assert s.quote_speaker.value == 1.0


def test_wrong_speaker_and_kind_on_a_matched_quote() -> None:
    pred = GOLD.model_copy(update={"quotes": [quote(DEFEND, "Turkey", QuoteKind.PARTIAL)]})
    s = score_case(pred, GOLD)
    assert s.quotes.tp == 1
    assert (s.quote_speaker.correct, s.quote_speaker.total) == (0, 1)
    assert (s.quote_kind.correct, s.quote_kind.total) == (0, 1)


def test_speaker_named_directly_without_a_matching_actor_still_counts() -> None:
    # The model names the speaker right but lists no actors: identity falls back to the name.
    pred = GroundedExtraction(quotes=[quote(DEFEND, "Mustafa Bali")])
    s = score_case(pred, GOLD)
    assert s.quote_speaker.value == 1.0


def test_fuzzy_name_match_and_its_limits() -> None:
    assert name_similarity("Abu Bakr al-Baghdadi", "Abu Bakr Baghdadi") >= 90  # 91.9
    assert name_similarity("the Syrian army", "Syrian Army") == 100.0  # same name key
    assert name_similarity("army", "Syrian army") == 0.0  # a subset is not a match
    assert name_similarity("Turkey", "Syria") == 0.0


def test_wrong_actor_kind() -> None:
    pred = GOLD.model_copy(update={"actors": [actor("SDF", ActorKind.STATE), TURKEY, BALI]})
    s = score_case(pred, GOLD)
    assert s.actors.tp == 3
    assert (s.actor_kind.correct, s.actor_kind.total) == (2, 3)


def test_duplicate_actor_is_invented_once() -> None:
    dup = [SDF, actor("SDF", ActorKind.ARMED_GROUP), TURKEY, BALI]
    s = score_case(GOLD.model_copy(update={"actors": dup}), GOLD)
    assert (s.actors.tp, s.actors.fp, s.actors.fn) == (3, 1, 0)
    assert s.invented["actors"] == ["armed_group SDF"]


def test_event_of_another_type_is_not_matched() -> None:
    wrong = STRIKE_EVENT.model_copy(update={"event_type": EventType.COERCE})
    s = score_case(GOLD.model_copy(update={"events": [wrong]}), GOLD)
    assert (s.events.tp, s.events.fp, s.events.fn) == (0, 1, 1)
    assert s.event_roles.value is None  # nothing matched, nothing to judge


def test_event_matched_by_shared_actor_without_evidence_overlap() -> None:
    # Evidence from another sentence, date and place missing: matched through Turkey.
    pred_event = event(EventType.ASSAULT, DENIAL, ["Turkey"], ["SDF"])
    s = score_case(GOLD.model_copy(update={"events": [pred_event]}), GOLD)
    assert s.events.tp == 1
    assert s.event_roles.value == 1.0  # SDF is the gold Syrian Democratic Forces
    assert (s.event_date.correct, s.event_date.total) == (0, 1)
    assert (s.event_location.correct, s.event_location.total) == (0, 1)


def test_event_without_overlap_or_shared_actor_is_not_matched() -> None:
    pred_event = event(EventType.ASSAULT, DENIAL, ["Mustafa Bali"], [])
    s = score_case(GOLD.model_copy(update={"events": [pred_event]}), GOLD)
    assert s.events.tp == 0


def test_role_swap_matches_but_roles_are_wrong() -> None:
    swapped = STRIKE_EVENT.model_copy(
        update={"sources": ["Syrian Democratic Forces"], "targets": ["Turkey"]}
    )
    s = score_case(GOLD.model_copy(update={"events": [swapped]}), GOLD)
    assert s.events.tp == 1
    assert (s.event_roles.correct, s.event_roles.total) == (0, 1)
    assert s.event_date.value == 1.0


def test_location_named_at_another_level_counts_and_no_gold_date_is_not_judged() -> None:
    gold_event = STRIKE_EVENT.model_copy(update={"date": None})
    pred_event = STRIKE_EVENT.model_copy(
        update={"date": dt.date(2019, 10, 1), "location": Location(admin_area="Ain Issa")}
    )
    gold = GOLD.model_copy(update={"events": [gold_event]})
    s = score_case(GOLD.model_copy(update={"events": [pred_event]}), gold)
    assert s.event_location.value == 1.0
    assert s.event_date.value is None


def test_grounding_rate_counts_every_predicted_span() -> None:
    pred = GroundedExtraction(
        quotes=[
            GroundedQuote(text=DEFEND, kind=QuoteKind.DIRECT, span=span(DEFEND)),
            GroundedQuote(
                text="made up", kind=QuoteKind.DIRECT, span=Span(text="made up")
            ),  # not found
        ],
        events=[
            event(
                EventType.ASSAULT,
                STRIKE,
                [],
                [],
                evidence_span=span(STRIKE, AlignmentStatus.FUZZY),
            )
        ],
        actors=[GroundedActor(name="Turkey", kind=ActorKind.STATE)],  # no mentions: no spans
    )
    s = score_case(pred, GroundedExtraction())
    assert (s.grounding.correct, s.grounding.total) == (2, 3)
    assert (s.exact_grounding.correct, s.exact_grounding.total) == (1, 3)


def test_greedy_match_is_one_to_one_best_first_with_stable_ties() -> None:
    sims = {(0, 0): 0.6, (0, 1): 0.9, (1, 1): 0.8, (1, 0): 0.6}
    assert greedy_match(sims) == {0: 1, 1: 0}
    assert greedy_match({(0, 0): 1.0, (0, 1): 1.0, (1, 0): 1.0}) == {0: 0}
    assert greedy_match({(1, 0): 1.0, (0, 0): 1.0}) == {0: 0}


def test_totals_are_micro_averages() -> None:
    perfect = score_case(GOLD, GOLD)  # 3 actors: tp 3
    empty = score_case(GroundedExtraction(), GOLD)  # fn 3
    one_of_one = score_case(
        GroundedExtraction(actors=[TURKEY]), GroundedExtraction(actors=[TURKEY])
    )
    total = total_scores([perfect, empty, one_of_one])
    assert (total.actors.tp, total.actors.fp, total.actors.fn) == (4, 0, 3)
    assert total.actors.recall == pytest.approx(4 / 7)
    assert total.actor_kind.total == 4
    assert total_scores([]).headline_f1 == 1.0


def test_every_gold_case_scores_perfectly_against_itself() -> None:
    """The scorers agree with the labels they were written for: each gold file, taken as a
    prediction, matches itself item for item (catches ambiguous names and unresolvable
    speakers or event actors in a label)."""
    from evals.gold import load_gold

    cases = load_gold()
    if not cases:
        pytest.skip("no gold cases yet")
    for case in cases:
        s = score_case(case.expected.model_copy(deep=True), case.expected)
        assert s.headline_f1 == 1.0, case.id
        assert s.quotes_exact.f1 == 1.0, case.id
        for name in ("quote_speaker", "quote_kind", "actor_kind", "event_roles"):
            assert getattr(s, name).value in (1.0, None), (case.id, name)
        assert s.event_date.value in (1.0, None), case.id
        assert s.event_location.value in (1.0, None), case.id


def test_mode_status_and_fatalities_are_judged_on_matched_events() -> None:
    gold_event = STRIKE_EVENT.model_copy(update={"mode": EventMode.AERIAL, "fatalities": 3})
    gold = GOLD.model_copy(update={"events": [gold_event]})
    # same mode and status, another death toll
    pred = gold.model_copy(update={"events": [gold_event.model_copy(update={"fatalities": 4})]})
    scores = score_case(pred, gold)
    assert (scores.event_mode.correct, scores.event_mode.total) == (1, 1)
    assert (scores.event_status.correct, scores.event_status.total) == (1, 1)
    assert (scores.event_fatalities.correct, scores.event_fatalities.total) == (0, 1)
    # neither side gives a mode or a toll: not judged
    bare = GOLD.model_copy(update={"events": [STRIKE_EVENT]})
    unjudged = score_case(bare, bare)
    assert unjudged.event_mode.total == unjudged.event_fatalities.total == 0


def test_type_confusion_pairs_events_by_evidence_whatever_their_types() -> None:
    denial = event(EventType.REJECT, DENIAL, ["Turkey"], [])
    gold = GOLD.model_copy(update={"events": [STRIKE_EVENT, denial]})
    as_accuse = denial.model_copy(update={"event_type": EventType.ACCUSE})
    invented = event(EventType.THREATEN, DEFEND, ["Mustafa Bali"], [])
    pred = GOLD.model_copy(update={"events": [STRIKE_EVENT, as_accuse, invented]})
    assert score_case(pred, gold).event_types == {
        "ASSAULT>ASSAULT": 1,
        "REJECT>ACCUSE": 1,
        "—>THREATEN": 1,
    }
