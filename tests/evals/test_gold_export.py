"""Corrections become gold: seed articles extracted on replay through the API, reviewed through
the API, exported as gold files, loaded by the gold loader and scored by `wirecoder eval run
--gold DIR` on the replay backend — the model's version scores below 1.0 exactly where the
review changed it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from api.config import LLMBackend, Settings
from api.main import create_app
from evals.gold import load_gold
from evals.gold_export import case_id
from evals.runner import RunRecord

# prompt v3's rules decide these seeds without asking the model (tests/e2e): fast on replay
SEEDS = ["seed-004-raqa-final-phase", "seed-003-manbij-offer-ignored"]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Path]]:
    database = tmp_path / "service.db"
    monkeypatch.setenv("WIRECODER_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("WIRECODER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WIRECODER_LLM_BACKEND", "replay")
    settings = Settings(llm_backend=LLMBackend.REPLAY)
    with TestClient(create_app(settings)) as client:
        yield client, tmp_path


def _post(client: TestClient, gold_id: str) -> dict[str, Any]:
    case = next(c for c in load_gold() if c.id == gold_id)
    body = {
        "text": case.text,
        "title": case.title,
        "source": case.source,
        "published_at": case.published_at.isoformat(),
        "dateline": case.dateline,
    }
    posted = client.post("/v1/articles?wait=120", json=body)
    assert posted.status_code == 200 and posted.json()["extraction"], posted.text
    return posted.json()


def test_reviewed_articles_round_trip_to_gold_and_score(env: tuple[TestClient, Path]) -> None:
    client, tmp_path = env
    raqa, manbij = (_post(client, gold_id) for gold_id in SEEDS)
    extraction = raqa["extraction"]
    first, *_ = extraction["events"]
    retyped = "PROTEST" if first["event_type"] != "PROTEST" else "AID"
    reviewed = client.post(
        f"/v1/articles/{raqa['article_id']}/reviews",
        json={
            "note": "analyst pass",
            "base_job_id": extraction["job"]["id"],
            "changes": [
                {"op": "update_event", "event_id": first["id"], "event_type": retyped},
                {"op": "delete_quote", "quote_id": extraction["quotes"][0]["id"]},
            ],
        },
    )
    assert reviewed.status_code == 201, reviewed.text
    other = manbij["extraction"]
    assert (
        client.post(
            f"/v1/articles/{manbij['article_id']}/reviews",
            json={"changes": [{"op": "delete_event", "event_id": other["events"][-1]["id"]}]},
        ).status_code
        == 201
    )

    runner = CliRunner()
    out = tmp_path / "gold"
    exported = runner.invoke(cli_app, ["eval", "gold", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    cases = {c.id: c for c in load_gold(gold_dir=out)}  # the gold loader's own checks
    raqa_case = cases[case_id(raqa["article_id"])]
    assert len(cases) == 2
    assert raqa_case.expected.events[0].event_type == retyped
    assert len(raqa_case.expected.quotes) == len(extraction["quotes"]) - 1
    for quote in raqa_case.expected.quotes:  # offsets computed, and right
        assert quote.span is not None and quote.span.start is not None
        assert raqa_case.text[quote.span.start : quote.span.end] == quote.text

    record = tmp_path / "run.json"
    ran = runner.invoke(
        cli_app,
        ["eval", "run", "--gold", str(out), "--backend", "replay", "--out", str(record)],
    )
    assert ran.exit_code == 0, ran.output
    run = RunRecord.load(record)
    scores = {c.case_id: c.score for c in run.cases}
    raqa_score = scores[case_id(raqa["article_id"])]
    manbij_score = scores[case_id(manbij["article_id"])]
    # the model still says what it said: below 1.0 where the review changed it
    assert raqa_score.events.f1 < 1.0 and raqa_score.events.fp >= 1
    assert raqa_score.quotes.fp == 1 and raqa_score.quotes.fn == 0
    assert manbij_score.events.fp == 1 and manbij_score.events.fn == 0
    # and 1.0 where it did not: the actors nobody touched all match
    assert raqa_score.actors.f1 == 1.0 and manbij_score.actors.f1 == 1.0
    assert json.loads(record.read_text())["spec"]["case_ids"] == sorted(cases)


def test_export_refuses_what_is_not_reviewed(env: tuple[TestClient, Path]) -> None:
    client, tmp_path = env
    posted = _post(client, SEEDS[0])
    result = CliRunner().invoke(
        cli_app,
        [
            "eval",
            "gold",
            "export",
            "--out",
            str(tmp_path / "g"),
            "--article",
            str(posted["article_id"]),
        ],
    )
    assert result.exit_code == 1
    assert "has no reviewed version" in result.output
