"""`wirecoder demo` against the service on the replay backend (its real extractor and the
committed recordings, an inline queue), and its refusals."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import demo_cli
from api.cli import app
from api.config import LLMBackend, Settings
from api.jobs import InlineJobQueue, JobContext
from api.main import create_app
from tests.fakes import FakeExtractor

runner = CliRunner()
# one table line: id, status, events, actors, quotes, model calls, title
_LINE = re.compile(r"^\s*(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$", re.M)


def _inline(ctx: JobContext) -> InlineJobQueue:
    return InlineJobQueue(ctx, sleep=lambda _s: None)


def _serve(monkeypatch: pytest.MonkeyPatch, client: httpx2.Client) -> None:
    """The demo talks to `client` instead of opening one to --url."""
    monkeypatch.setattr(demo_cli, "open_client", lambda *_args: contextlib.nullcontext(client))


@pytest.fixture
def replay_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path, database_url="", dbos_database_url="", llm_backend=LLMBackend.REPLAY
    )
    with TestClient(create_app(settings, job_queue_factory=_inline)) as client:
        yield client


def test_demo_prints_each_articles_real_extraction_and_where_to_look(
    replay_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(monkeypatch, replay_client)
    result = runner.invoke(app, ["demo", "--url", "http://127.0.0.1:8000/"])
    assert result.exit_code == 0, result.output

    rows = _LINE.findall(result.stdout)
    assert len(rows) == len(demo_cli.DEMO_CASES) == 5
    model_calls = []
    for article_id, status, events, actors, quotes, calls, _title in rows:
        article = replay_client.get(f"/v1/articles/{article_id}").json()
        extraction = article["extraction"]
        assert status == "succeeded"
        counted = (len(extraction["events"]), len(extraction["actors"]), len(extraction["quotes"]))
        assert (int(events), int(actors), int(quotes)) == counted
        assert int(calls) == extraction["job"]["attempts"]
        model_calls.append(int(calls))
        assert f"http://127.0.0.1:8000/articles/{article_id}/view" in result.stdout
    # the seeds need no model call; the last two get the recorded answers of the real model
    assert model_calls[:3] == [0, 0, 0] and all(n >= 1 for n in model_calls[3:])
    assert "http://127.0.0.1:8000/docs" in result.stdout
    assert "replay backend" in result.stdout

    again = runner.invoke(app, ["demo"])  # the same articles: the same jobs, answered at once
    assert again.exit_code == 0 and _LINE.findall(again.stdout) == rows


def test_demo_refuses_a_service_on_another_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, llm_backend=LLMBackend.LOCAL)
    extractor = FakeExtractor()
    with TestClient(create_app(settings, extractor=extractor, job_queue_factory=_inline)) as client:
        _serve(monkeypatch, client)
        result = runner.invoke(app, ["demo"])
        assert client.get("/v1/articles").json()["total"] == 0
    assert result.exit_code == 2
    assert "runs the fake backend" in result.output and "needs the replay backend" in result.output
    assert demo_cli.START_REPLAY in result.output
    assert extractor.calls == []


def test_demo_says_how_to_start_a_service_when_none_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(request: httpx2.Request) -> Any:
        raise httpx2.ConnectError("Connection refused", request=request)

    _serve(
        monkeypatch,
        httpx2.Client(base_url="http://127.0.0.1:8000", transport=httpx2.MockTransport(refuse)),
    )
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 2
    assert "no wirecoder service answers at http://127.0.0.1:8000" in result.output
    assert demo_cli.START_REPLAY in result.output
