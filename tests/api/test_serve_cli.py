"""`wirecoder extract | ingest | db` with the fake extractor injected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import llm, serve_cli
from api.cli import app
from api.config import Settings
from api.db import head_revision

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, fake_extractor: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(serve_cli, "get_settings", lambda: settings)
    monkeypatch.setattr(llm, "build_extractor", lambda _settings: fake_extractor)
    return fake_extractor


def test_extract_prints_and_stores(cli_env: Any, tmp_path: Path) -> None:
    seed = Path(__file__).with_name("seed_004.txt")
    result = runner.invoke(app, ["extract", str(seed)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["job"]["status"] == "succeeded"
    assert (len(printed["extraction"]["events"]), len(printed["extraction"]["quotes"])) == (4, 5)
    # the seed header became metadata, not text
    assert cli_env.calls[0].published_at.isoformat() == "2017-10-17"
    assert cli_env.calls[0].dateline == "AIN ISSA, Syria"
    assert not cli_env.calls[0].text.lstrip().startswith("date")

    again = runner.invoke(app, ["extract", str(seed)])
    assert again.exit_code == 0 and json.loads(again.stdout)["job"]["id"] == printed["job"]["id"]
    assert len(cli_env.calls) == 1  # stored: not extracted twice
    assert runner.invoke(app, ["extract", "--rerun", str(seed)]).exit_code == 0
    assert len(cli_env.calls) == 2


def test_extract_exit_codes(cli_env: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    assert runner.invoke(app, ["extract", str(empty)]).exit_code == 2
    cli_env.script.append("invalid")
    article = tmp_path / "a.json"
    article.write_text(json.dumps({"text": "An article with nothing in it."}))
    failed = runner.invoke(app, ["extract", str(article)])
    assert failed.exit_code == 1 and json.loads(failed.stdout)["job"]["status"] == "invalid"


def test_ingest_is_resumable(cli_env: Any, tmp_path: Path, seed: Any) -> None:
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"text": seed.text, "published_at": "2017-10-17"}),
        "{not json",
        json.dumps({"text": seed.text + "\n\nMore."}),
        json.dumps({"text": "   "}),
        "",
    ]
    corpus.write_text("\n".join(lines))
    first = runner.invoke(app, ["ingest", str(corpus)])
    assert first.exit_code == 0, first.output
    assert "succeeded: 2" in first.output and "bad line: 2" in first.output
    second = runner.invoke(app, ["ingest", str(corpus)])
    assert "skipped (already extracted): 2" in second.output
    assert len(cli_env.calls) == 2


def test_db_upgrade(cli_env: Any) -> None:
    head = head_revision()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and f"database at revision {head}" in result.output
    assert runner.invoke(app, ["db", "current"]).output.strip() == head
