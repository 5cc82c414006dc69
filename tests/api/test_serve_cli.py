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
    # the seed header fills the metadata and stays in the text, as when the file is POSTed
    assert cli_env.calls[0].published_at.isoformat() == "2017-10-17"
    assert cli_env.calls[0].dateline == "AIN ISSA, Syria"
    assert cli_env.calls[0].text.startswith("date 2017-10-17 AFP, AIN ISSA, Syria\n\n")

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


def _corpus(tmp_path: Path, lines: list[str]) -> Path:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    return corpus


def test_ingest_is_resumable(cli_env: Any, tmp_path: Path, seed: Any) -> None:
    corpus = _corpus(
        tmp_path,
        [
            json.dumps({"text": seed.text, "published_at": "2017-10-17"}),
            "",
            json.dumps({"text": seed.text + "\n\nMore."}),
        ],
    )
    first = runner.invoke(app, ["ingest", str(corpus)])
    assert first.exit_code == 0, first.output
    assert _row(first.output, "succeeded") == "2" and _row(first.output, "bad lines") == "0"
    second = runner.invoke(app, ["ingest", str(corpus)])
    assert second.exit_code == 0, second.output
    assert _row(second.output, "skipped (kept: 2 succeeded)") == "2"
    assert _row(second.output, "succeeded") == "0"
    assert len(cli_env.calls) == 2


def test_ingest_bad_lines_fail_the_run_and_are_named(
    cli_env: Any, tmp_path: Path, seed: Any
) -> None:
    corpus = _corpus(
        tmp_path,
        [
            json.dumps({"text": seed.text}),
            "{not json",
            json.dumps({"title": "no text here", "published_at": "2017-10-17"}),
            json.dumps({"text": seed.text + "\n\nMore.", "published_at": "not a date"}),
            "",
            json.dumps({"text": seed.text + "\n\nEven more."}),
        ],
    )
    result = runner.invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 1, result.output
    assert _row(result.output, "succeeded") == "2" and _row(result.output, "bad lines") == "3"
    assert _row(result.output, "total") == "5"  # the blank line is not work
    bad = _bad_lines(result.output)
    assert bad[2][0] == "-" and "not JSON" in bad[2][1]
    assert bad[3][0] == "text" and "Field required" in bad[3][1]
    assert bad[4][0] == "published_at"
    assert len(cli_env.calls) == 2  # no bad line reached the model


def test_ingest_failed_article_exits_1(cli_env: Any, tmp_path: Path, seed: Any) -> None:
    cli_env.script.extend(["succeeded", "invalid"])
    corpus = _corpus(
        tmp_path, [json.dumps({"text": seed.text}), json.dumps({"text": seed.text + " More."})]
    )
    result = runner.invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 1, result.output
    assert _row(result.output, "invalid") == "1" and _row(result.output, "succeeded") == "1"
    # kept invalid on a second run: said so, and not a failure of this run
    again = runner.invoke(app, ["ingest", str(corpus)])
    assert again.exit_code == 0, again.output
    assert "--retry-invalid" in again.output


def test_ingest_refuses_a_file_that_is_not_utf8(cli_env: Any, tmp_path: Path) -> None:
    corpus = tmp_path / "latin1.jsonl"
    corpus.write_bytes('{"text": "caf\u00e9"}'.encode("latin-1"))
    result = runner.invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 2 and "not UTF-8" in result.output
    assert cli_env.calls == []


def test_ingest_help_documents_exit_codes() -> None:
    result = runner.invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit codes: 0 every line" in text and "1 an article failed" in text


def _row(output: str, label: str) -> str:
    """The count in the summary table's row `label`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no row {label!r} in:\n{output}")


def _bad_lines(output: str) -> dict[int, tuple[str, str]]:
    """line number -> (field, problem) from the bad lines table (the problem's first line)."""
    rows = {}
    for line in output.split("bad lines (not extracted)", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) == 3 and cells[0].isdigit():
            rows[int(cells[0])] = (cells[1], cells[2])
    return rows


def test_db_upgrade(cli_env: Any) -> None:
    head = head_revision()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and f"database at revision {head}" in result.output
    assert runner.invoke(app, ["db", "current"]).output.strip() == head


def test_serve_offers_workers_and_worker_hides_its_parent_pid() -> None:
    serve = " ".join(runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "--workers" in serve and "WIRECODER_WORKERS" in serve
    worker = runner.invoke(app, ["worker", "--help"], env={"COLUMNS": "200"}).output
    assert "--worker-id" in worker and "--parent-pid" not in worker  # for `serve` only
    assert runner.invoke(app, ["serve", "--workers", "-1"]).exit_code == 2
