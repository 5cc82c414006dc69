"""`wirecoder ingest`'s bookkeeping: each line of a corpus becomes an article or a bad line
(its number, the fields at fault, what is wrong), every outcome is tallied, the progress bar
counts finished work, and a summary table closes the run. Log lines need nothing here: api/logs.py
writes them to the sys.stderr of the moment, which rich's Live sends through the bar's console
(above the bar) while a terminal shows it.

The command itself (api/serve_cli.py) only says how one article is submitted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from schemas.api import ArticleIn

# what a submission did: ran the extraction to this status, or left a stored one alone
RAN = ("succeeded", "invalid", "failed", "queued")
FAILURES = ("invalid", "failed")


@dataclass(frozen=True)
class BadLine:
    """A corpus line that is not an article: no extraction was tried."""

    number: int  # 1-based, as an editor shows it
    fields: tuple[str, ...]  # the fields at fault ('published_at', 'url'); () for the whole line
    problem: str  # for one field, without its name

    def __str__(self) -> str:
        where = f"{self.fields[0]}: " if len(self.fields) == 1 else ""
        return f"line {self.number}: {where}{self.problem}"


@dataclass(frozen=True)
class Submitted:
    """One article's outcome: `status` is its job's; `ran` is false when an earlier extraction
    was kept (already succeeded, or invalid without --retry-invalid)."""

    status: str
    ran: bool


@dataclass
class IngestTally:
    """What a run did with each non-blank line."""

    lines: int  # non-blank lines: the bar's total
    ran: Counter[str] = field(default_factory=Counter)  # status -> articles extracted or queued
    skipped: Counter[str] = field(default_factory=Counter)  # stored status -> articles left
    bad_lines: list[BadLine] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return sum(self.ran.values()) + sum(self.skipped.values()) + len(self.bad_lines)

    @property
    def failures(self) -> int:
        return sum(self.ran[status] for status in FAILURES)

    @property
    def exit_code(self) -> int:
        """0 when every line was extracted, queued or already done; 1 when an article failed,
        was invalid, or a line was bad."""
        return 1 if self.failures or self.bad_lines else 0

    def record(self, outcome: Submitted) -> None:
        (self.ran if outcome.ran else self.skipped)[outcome.status] += 1

    def brief(self) -> str:
        """The counts beside the bar."""
        parts = [f"{self.ran[s]} {s}" for s in RAN if self.ran[s]]
        if self.skipped:
            parts.append(f"{sum(self.skipped.values())} skipped")
        if self.bad_lines:
            parts.append(f"{len(self.bad_lines)} bad")
        return ", ".join(parts)


def bad_line(number: int, error: ValueError) -> BadLine:
    """What is wrong with a line, naming the fields pydantic rejected."""
    if isinstance(error, json.JSONDecodeError):
        return BadLine(number, (), f"not JSON: {error.msg} at column {error.colno}")
    if isinstance(error, ValidationError):
        problems = error.errors(include_url=False)
        fields = tuple(dict.fromkeys(_loc(p["loc"]) for p in problems if p["loc"]))
        if len(fields) == 1:
            return BadLine(number, fields, "; ".join(p["msg"] for p in problems))
        text = "; ".join(
            f"{_loc(p['loc'])}: {p['msg']}" if p["loc"] else p["msg"] for p in problems
        )
        return BadLine(number, fields, text)
    from api.service import ArticleTooLong

    return BadLine(number, ("text",) if isinstance(error, ArticleTooLong) else (), str(error))


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def parse_line(line: str, validate: Callable[[dict[str, Any]], ArticleIn]) -> ArticleIn:
    """An article from one JSON Lines line; ValueError (JSON, validation, length) if not one."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(
            f"not a JSON object but a JSON {type(data).__name__}: one article per line"
        )
    return validate(data)


def new_progress(console: Console) -> Progress:
    """The bar: finished lines of all, elapsed time, time left (from the pace so far)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[counts]}"),
        console=console,
    )


def ingest_lines(
    lines: Sequence[str],
    *,
    validate: Callable[[dict[str, Any]], ArticleIn],
    submit: Callable[[ArticleIn], Submitted],
    progress: Progress,
    description: str = "extracting",
) -> IngestTally:
    """Submit every article line; the bar advances once a line's work is done, never before."""
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    tally = IngestTally(lines=len(numbered))
    task = progress.add_task(description, total=tally.lines, counts="")
    for number, line in numbered:
        try:
            article = parse_line(line, validate)
        except ValueError as error:  # JSONDecodeError and pydantic's ValidationError too
            bad = bad_line(number, error)
            tally.bad_lines.append(bad)
            progress.console.print(f"[yellow]skipped[/] {escape(str(bad))}")
        else:
            tally.record(submit(article))
        progress.update(task, advance=1, counts=tally.brief())
    return tally


def print_summary(tally: IngestTally, console: Console, *, source: str) -> None:
    """The run's outcome in one table, then the bad lines with their fields."""
    table = Table(title=f"ingest {source}", title_justify="left")
    table.add_column("outcome")
    table.add_column("lines", justify="right")
    for status in RAN:
        if status != "queued" or tally.ran[status]:
            failed = status in FAILURES and tally.ran[status] > 0
            table.add_row(status, str(tally.ran[status]), style="red" if failed else None)
    skipped = ", ".join(f"{n} {s}" for s, n in sorted(tally.skipped.items()))
    table.add_row(
        f"skipped (kept: {skipped})" if skipped else "skipped (already extracted)",
        str(sum(tally.skipped.values())),
    )
    table.add_row(
        "bad lines",
        str(len(tally.bad_lines)),
        style="red" if tally.bad_lines else None,
        end_section=True,
    )
    table.add_row("total", str(tally.lines))
    console.print(table)
    if tally.bad_lines:
        bad = Table(title="bad lines (not extracted)", title_justify="left")
        bad.add_column("line", justify="right")
        bad.add_column("field")
        bad.add_column("problem", overflow="fold")
        for line in tally.bad_lines:
            bad.add_row(str(line.number), ", ".join(line.fields) or "-", line.problem)
        console.print(bad)
    if tally.skipped["invalid"]:
        console.print("invalid articles were kept: --retry-invalid runs them again")
    why = [f"{tally.failures} invalid or failed"] if tally.failures else []
    why += [f"{len(tally.bad_lines)} bad lines"] if tally.bad_lines else []
    console.print(f"exit code {tally.exit_code}" + (f": {', '.join(why)}" if why else ""))
