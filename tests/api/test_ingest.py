"""api/ingest.py: bad lines named by number and field, the bar counting finished work only,
log lines printed through the bar's console, the exit code."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
import structlog
from rich.console import Console

from api.ingest import (
    IngestTally,
    Submitted,
    bad_line,
    ingest_lines,
    new_progress,
    parse_line,
)
from api.logs import configure_logging
from api.service import ArticleTooLong
from schemas.api import ArticleIn


def _bad(line: str) -> Any:
    try:
        parse_line(line, ArticleIn.model_validate)
    except ValueError as error:
        return bad_line(7, error)
    raise AssertionError(f"{line!r} parsed")


def test_bad_lines_name_the_field_at_fault() -> None:
    missing = _bad(json.dumps({"title": "no text"}))
    assert (missing.fields, missing.problem) == (("text",), "Field required")
    assert str(missing) == "line 7: text: Field required"
    two = _bad(json.dumps({"text": "x", "published_at": "soon", "author": "me"}))
    assert two.fields == ("published_at", "author")
    assert "published_at: " in two.problem and "author: Extra inputs" in two.problem
    assert _bad("{not json").problem.startswith("not JSON: ") and _bad("{").fields == ()
    assert "JSON list" in _bad("[1, 2]").problem
    too_long = bad_line(3, ArticleTooLong("text has 9 characters; the limit is 5"))
    assert too_long.fields == ("text",)


def _validate(data: dict[str, Any]) -> ArticleIn:
    return ArticleIn.model_validate(data)


@pytest.fixture
def console() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=120)


def test_the_bar_counts_finished_lines_only(console: Console) -> None:
    lines = [
        json.dumps({"text": "one"}),
        "",
        "{bad",
        json.dumps({"text": "two"}),
        "   ",
        json.dumps({"text": "three"}),
    ]
    seen: list[tuple[str, float]] = []
    statuses = iter(["succeeded", "failed", "succeeded"])
    with new_progress(console) as progress:

        def submit(article: ArticleIn) -> Submitted:
            # while an article is being extracted, only the lines before it count as done
            seen.append((article.text, progress.tasks[0].completed))
            return Submitted(status=next(statuses), ran=True)

        tally = ingest_lines(lines, validate=_validate, submit=submit, progress=progress)
        task = progress.tasks[0]
        assert (task.total, task.completed) == (4, 4)  # blank lines are not work
    assert seen == [("one", 0), ("two", 2), ("three", 3)]
    assert tally.finished == 4 and tally.ran == {"succeeded": 2, "failed": 1}
    assert [b.number for b in tally.bad_lines] == [3]
    assert "2 succeeded, 1 failed, 1 bad" in task.fields["counts"]


def test_exit_code() -> None:
    tally = IngestTally(lines=3)
    tally.record(Submitted("succeeded", ran=True))
    tally.record(Submitted("queued", ran=True))
    tally.record(Submitted("invalid", ran=False))  # kept from an earlier run: not this run's
    assert tally.exit_code == 0
    tally.record(Submitted("invalid", ran=True))
    assert tally.exit_code == 1
    with_bad = IngestTally(lines=1, bad_lines=[bad_line(1, json.JSONDecodeError("x", "{", 1))])
    assert with_bad.exit_code == 1


def test_log_lines_go_through_the_bars_console(
    console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", secrets=["planted-secret"])  # as the command does
    library = logging.getLogger("some.library")  # httpx, DBOS, alembic: the standard library's
    with new_progress(console) as progress:
        progress.add_task("extracting", total=1, counts="")
        library.warning("library line with planted-secret")
        structlog.get_logger("wirecoder.test").warning("structlog line")
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    # printed by the bar's console (above the bar), not written past it onto the terminal
    assert "library line with ***" in printed and "structlog line" in printed
    assert "planted-secret" not in printed
    assert "library line" not in capsys.readouterr().err
    library.warning("after the bar")
    assert "after the bar" in capsys.readouterr().err
