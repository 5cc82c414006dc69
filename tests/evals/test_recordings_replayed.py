"""Every committed recording is an answer the replay runs still ask for (as pydantic-ai's
cassette check): a recording nothing replays is stale — its request changed — and is deleted or
recorded again from the model, never kept by accident."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import LLMBackend, Settings
from api.llm.extractor import Extractor
from api.llm.recording import RecordingStore
from evals.gold import load_gold
from evals.runner import CaseRecord, RunRecord, run_eval
from schemas.contract import OutcomeStatus

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def test_the_gold_replay_plays_every_committed_recording(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served: set[str] = set()
    load = RecordingStore.load

    def spy(store: RecordingStore, digest: str) -> dict[str, object] | None:
        found = load(store, digest)
        if found is not None:
            served.add(digest)
        return found

    monkeypatch.setattr(RecordingStore, "load", spy)
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_backend=LLMBackend.REPLAY)
    run = run_eval(load_gold(), Extractor(settings), progress=False)

    failed = [c.case_id for c in run.cases if c.outcome.status != OutcomeStatus.SUCCEEDED]
    assert not failed, f"gold cases with no recorded answer: {failed}"
    committed = {path.stem for path in RECORDINGS.glob("*.json")}
    assert committed - served == set(), "recordings no replay asks for (stale)"


def test_forked_processes_replay_the_sequential_run(tmp_path: Path) -> None:
    """The eval CLI forks extraction processes for replay: they must give what one process
    gives, in case order (but for latencies)."""
    cases = load_gold()[:6]
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_backend=LLMBackend.REPLAY)
    extractor = Extractor(settings)
    two = run_eval(cases, extractor, processes=2, progress=False)  # forks a fresh extractor
    one = run_eval(cases, extractor, progress=False)

    def untimed(run: RunRecord) -> list[CaseRecord]:
        return [
            c.model_copy(update={"outcome": c.outcome.model_copy(update={"latency_ms": 0})})
            for c in run.cases
        ]

    assert [c.case_id for c in two.cases] == [c.id for c in cases]
    assert untimed(two) == untimed(one)
    assert two.aggregates.scores == one.aggregates.scores
    assert all(c.outcome.status == OutcomeStatus.SUCCEEDED for c in two.cases)
