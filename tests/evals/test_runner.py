"""The runner: a self-describing record that re-scores to the same figures without a model."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from evals.gold import GoldCase, dataset_hash
from evals.runner import (
    RUN_RECORD_VERSION,
    DatasetMismatch,
    RunRecord,
    default_run_path,
    run_eval,
    score,
)
from evals.scorers import SCORER_VERSION, score_case
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus
from tests.evals.synthetic_runs import PROVENANCE, FakeExtractor, drop_every_other, make_cases


@pytest.fixture
def cases() -> list[GoldCase]:
    return make_cases()


def test_record_is_self_describing(cases: list[GoldCase]) -> None:
    record = run_eval(cases, FakeExtractor(cases), progress=False)
    spec = record.spec
    assert spec.record_version == RUN_RECORD_VERSION
    assert spec.scorer_version == SCORER_VERSION
    assert spec.dataset_hash == dataset_hash(cases)
    assert spec.case_ids == [c.id for c in cases]
    assert spec.split == "all"  # dev and test cases together
    assert spec.provenance == PROVENANCE
    assert spec.prompt_ref == "extract@v1"
    assert spec.started_at <= spec.finished_at
    assert spec.git_sha is None or len(spec.git_sha) == 40
    assert spec.wirecoder_version
    first_key = next(iter(json.loads(record.model_dump_json())))
    assert first_key == "spec"  # the spec leads the file, as in an openai/evals log


def test_gold_answers_score_perfectly(cases: list[GoldCase]) -> None:
    record = run_eval(cases, FakeExtractor(cases), progress=False)
    agg = record.aggregates
    assert agg.cases == len(cases)
    assert agg.headline_f1 == 1.0
    assert agg.schema_valid.value == 1.0
    assert agg.mean_attempts == 1.0
    assert agg.tokens_per_article == sum(len(c.text) + 10 for c in cases) / len(cases)
    assert all(c.outcome.result is not None for c in record.cases)


def test_degraded_answers_score_lower_and_say_what_was_missed(cases: list[GoldCase]) -> None:
    record = run_eval(cases, FakeExtractor(cases, drop_every_other), progress=False)
    assert record.aggregates.headline_f1 < 1.0
    strike = next(c for c in record.cases if c.case_id == "strike")
    assert strike.score.missed["actors"] == ["state Turkey"]
    assert len(strike.score.missed["quotes"]) == 1
    assert strike.score.invented == {"quotes": [], "actors": [], "events": []}
    # Every case's score is the scorer's verdict on the stored output.
    for case, rec in zip(cases, record.cases, strict=True):
        assert rec.score == score_case(rec.outcome.result, case.expected)


def test_a_raising_or_invalid_extraction_is_kept_as_a_failed_case(cases: list[GoldCase]) -> None:
    fake = FakeExtractor(cases, raise_for=frozenset({"strike"}), invalid_for=frozenset({"talks"}))
    record = run_eval(cases, fake, progress=False)
    by_id = {c.case_id: c for c in record.cases}
    assert by_id["strike"].outcome.status == OutcomeStatus.FAILED
    assert "fake transport error" in (by_id["strike"].outcome.error or "")
    assert by_id["talks"].outcome.status == OutcomeStatus.INVALID
    assert by_id["strike"].score.quotes.recall == 0.0
    assert (record.aggregates.schema_valid.correct, record.aggregates.schema_valid.total) == (2, 4)
    assert fake.calls == len(cases)


def test_concurrency_keeps_case_order_and_scores(cases: list[GoldCase]) -> None:
    one = run_eval(cases, FakeExtractor(cases, drop_every_other), progress=False)
    three = run_eval(cases, FakeExtractor(cases, drop_every_other), concurrency=3, progress=False)
    assert [c.case_id for c in three.cases] == [c.id for c in cases]
    assert three.aggregates == one.aggregates
    assert three.spec.concurrency == 3
    with pytest.raises(ValueError):
        run_eval(cases, FakeExtractor(cases), concurrency=0, progress=False)


class SlowOnTheFirstCase(FakeExtractor):
    """Answers the first case last, so outcomes come back out of order."""

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        if self._by_text[article.text].id == "strike":
            time.sleep(0.3)
        return super().extract(article)


def test_processes_give_the_sequential_outcomes_in_case_order(cases: list[GoldCase]) -> None:
    sequential = SlowOnTheFirstCase(cases, drop_every_other)
    one = run_eval(cases, sequential, progress=False)
    forked = SlowOnTheFirstCase(cases, drop_every_other)
    two = run_eval(cases, forked, processes=2, progress=False)
    assert sequential.calls == len(cases)
    assert forked.calls == 0  # every article was extracted in a forked process, none here
    assert [c.case_id for c in two.cases] == [c.id for c in cases]
    assert two.cases == one.cases
    assert two.aggregates == one.aggregates
    assert (two.spec.processes, two.spec.concurrency) == (2, 1)
    with pytest.raises(ValueError, match="processes"):
        run_eval(cases, FakeExtractor(cases), processes=0, progress=False)
    with pytest.raises(ValueError, match="not both"):
        run_eval(cases, FakeExtractor(cases), processes=2, concurrency=2, progress=False)


class DiesOnTalks(FakeExtractor):
    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        if self._by_text[article.text].id == "talks":
            os._exit(3)  # as a crash in native code would: no exception, no outcome
        return super().extract(article)


def test_a_process_that_dies_fails_its_cases_instead_of_hanging(cases: list[GoldCase]) -> None:
    record = run_eval(cases, DiesOnTalks(cases), processes=2, progress=False)
    assert [c.case_id for c in record.cases] == [c.id for c in cases]
    talks = next(c for c in record.cases if c.case_id == "talks")
    assert talks.outcome.status == OutcomeStatus.FAILED
    assert "BrokenProcessPool" in (talks.outcome.error or "")
    assert record.aggregates.schema_valid.correct < len(cases)


def test_split_is_named_when_the_cases_share_one(cases: list[GoldCase]) -> None:
    dev = [c for c in cases if c.split == "dev"]
    assert run_eval(dev, FakeExtractor(cases), progress=False).spec.split == "dev"


def test_rescoring_gives_identical_aggregates_and_survives_json(
    cases: list[GoldCase], tmp_path: Path
) -> None:
    record = run_eval(cases, FakeExtractor(cases, drop_every_other), progress=False)
    path = record.save(tmp_path / "run.json")
    loaded = RunRecord.load(path)
    assert loaded == record
    rescored = score(loaded, cases)
    assert rescored.aggregates == record.aggregates
    assert [c.score for c in rescored.cases] == [c.score for c in record.cases]
    assert rescored.spec.scored_at is not None
    # Cases beyond the run's are ignored: runs on a split re-score against the whole gold set.
    dev = [c for c in cases if c.split == "dev"]
    dev_run = run_eval(dev, FakeExtractor(cases), progress=False)
    assert score(dev_run, cases).aggregates == dev_run.aggregates


def test_rescoring_refuses_changed_or_missing_labels(cases: list[GoldCase]) -> None:
    record = run_eval(cases, FakeExtractor(cases), progress=False)
    edited = [c.model_copy(deep=True) for c in cases]
    edited[0].expected.actors.pop()  # a labeller removed an actor
    with pytest.raises(DatasetMismatch, match="labels changed"):
        score(record, edited)
    with pytest.warns(UserWarning, match="labels changed"):
        rescored = score(record, edited, allow_dataset_change=True)
    assert rescored.spec.dataset_hash == dataset_hash(edited)
    assert rescored.aggregates.scores.actors.fp == 1  # the run's answer still has that actor
    with pytest.raises(DatasetMismatch, match="missing"):
        score(record, cases[1:])


def test_default_run_path_is_file_safe(cases: list[GoldCase], tmp_path: Path) -> None:
    record = run_eval(cases[:1], FakeExtractor(cases), progress=False)
    path = default_run_path(record, tmp_path)
    assert path.parent == tmp_path
    assert path.name.endswith("-fake_model-0-extract@v1.json")
    assert "/" not in path.name
