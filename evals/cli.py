"""`wirecoder eval …`: run the gold set, re-score a run, compare with the baseline, promote,
write an HTML report.

stdout carries only the report (tables, the comparison); logs, the progress bar, errors and
where files went go to stderr, so `eval run > report.txt` keeps just the figures.

Exit codes: 0 ok; 1 the gate failed (a regression beyond the tolerance); 2 bad input (a missing
file, gold labels changed under a run, no baseline).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api import llm
from api.config import PROJECT_ROOT, LLMBackend, Settings
from api.logs import configure_logging, settings_secrets
from evals.gold import GOLD_DIR, GoldCase, load_gold
from evals.gold_cli import gold_app
from evals.report import DEFAULT_TOLERANCE, compare, print_comparison, print_run
from evals.runner import (
    DatasetMismatch,
    RunRecord,
    freeze_long_lived,
    resolve_run_path,
    run_eval,
    score,
)

BASELINES_DIR = PROJECT_ROOT / "evals" / "baselines"
CURRENT_POINTER = "CURRENT"  # a file in BASELINES_DIR holding the current baseline's file name

eval_app = typer.Typer(
    help="Score extraction against the hand-labelled gold set; gate prompt changes on a baseline.",
    no_args_is_help=True,
)
console = Console()  # the report: stdout
notes = Console(stderr=True)  # errors, warnings, where files went


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class SplitChoice(StrEnum):
    DEV = "dev"
    TEST = "test"
    ALL = "all"


RunPath = Annotated[
    Path, typer.Argument(help="A run record (JSON) written by `wirecoder eval run`.")
]
WorstOption = Annotated[
    int, typer.Option("--worst", help="How many of the weakest cases to show.", min=0)
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    notes.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=code)


def _load_run(path: Path) -> RunRecord:
    if not path.is_file():
        raise _fail(f"no run record at {path}")
    try:
        return RunRecord.load(path)
    except ValueError as error:
        raise _fail(f"{path} is not a run record: {error}") from None


@eval_app.command("run")
def run_command(
    split: Annotated[SplitChoice, typer.Option(help="Which gold cases to run.")] = SplitChoice.ALL,
    case_ids: Annotated[
        list[str] | None,
        typer.Option("--case", help="Only these gold case ids (repeatable), within the split."),
    ] = None,
    gold_dir: Annotated[
        Path | None,
        typer.Option(
            "--gold",
            metavar="DIR",
            help="Score against the gold files in DIR (e.g. `eval gold export`'s) instead "
            "of evals/gold/.",
        ),
    ] = None,
    prompt_version: Annotated[
        str | None, typer.Option(help="Prompt version, e.g. v2; default: Settings.prompt_version.")
    ] = None,
    backend: Annotated[
        LLMBackend | None,
        typer.Option(help="replay (recorded answers), local or openai; default: Settings."),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Record every live model answer for replay.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Articles extracted at once (1 suits a local model).")
    ] = 1,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Replay only: extract in N forked processes (the pipeline is CPU-bound; "
            "threads cannot share the CPUs). Default: one per CPU with replay, else 1.",
        ),
    ] = None,
    # a str, not a Path: Path drops the trailing "/" that marks a folder not yet made
    out: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="Where to write the run record: a file, or a folder (an existing one, or a "
            "path ending in /) where the file is named by time, model and prompt. "
            "Default: that name in evals/runs/.",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Also compare with this baseline (or 'current') and gate on it."),
    ] = None,
    tolerance: Annotated[float, typer.Option(min=0.0)] = DEFAULT_TOLERANCE,
    worst: WorstOption = 5,
    log_level: Annotated[
        LogLevel, typer.Option(help="Logs go to stderr; info shows every extraction.")
    ] = LogLevel.WARNING,
) -> None:
    """Extract the gold cases with a prompt version and backend, score, write the run record."""
    if gold_dir is not None and baseline is not None:
        raise _fail("--baseline is scored on evals/gold/: leave it out with --gold")
    if gold_dir is not None and not gold_dir.is_dir():
        raise _fail(f"--gold {gold_dir}: no such folder")
    try:
        cases = load_gold(None if split == SplitChoice.ALL else split.value, gold_dir or GOLD_DIR)
    except (OSError, ValueError) as error:  # a folder that is not there, a bad gold file
        raise _fail(f"cannot load the gold files: {error}") from None
    if not cases:
        raise _fail(f"no gold cases in split {split.value}")
    if case_ids:
        unknown = sorted(set(case_ids) - {c.id for c in cases})
        if unknown:
            raise _fail(f"no gold case {', '.join(unknown)} in split {split.value}")
        cases = [c for c in cases if c.id in case_ids]
    overrides: dict[str, object] = {"llm_record": record}
    if prompt_version is not None:
        overrides["prompt_version"] = prompt_version
    if backend is not None:
        overrides["llm_backend"] = backend
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if record and settings.llm_backend == LLMBackend.REPLAY:
        raise _fail("--record needs a live backend (local or openai), not replay")
    processes = _processes(processes, settings.llm_backend, concurrency)
    # structlog's default writes to stdout: route every log to stderr before anything logs
    configure_logging(log_level.value.upper(), secrets=settings_secrets(settings))
    try:
        extractor = llm.build_extractor(settings)
    except (RuntimeError, ValueError, OSError) as error:  # unknown prompt, bad settings, ...
        raise _fail(f"cannot build the extractor: {error}") from None
    freeze_long_lived()  # the pipeline and schemas live till exit: the collector skips them
    run = run_eval(cases, extractor, concurrency=concurrency, processes=processes, progress=True)
    try:
        path = run.save(resolve_run_path(out, run))
    except OSError as error:  # e.g. a file where a folder was meant; the run is not lost yet
        path = run.save(resolve_run_path(None, run))
        notes.print(f"[red]error:[/red] cannot write the run record to {out}: {error}")
        notes.print(f"run record: {path}", soft_wrap=True)
        raise typer.Exit(code=2) from None
    print_run(run, console, worst=worst)
    failed = run.aggregates.schema_valid.total - run.aggregates.schema_valid.correct
    if failed:
        notes.print(f"[yellow]{failed} of {len(cases)} extractions did not succeed[/yellow]")
    notes.print(f"run record: {path}", soft_wrap=True)
    if baseline is not None:
        _gate(run, _baseline_path(baseline), tolerance, run_label=path.name)


def _processes(asked: int | None, backend: LLMBackend, concurrency: int) -> int:
    """How many processes extract: the CPUs this process may use for replayed answers (never
    more than there are cases: extract_all forks no idle process), one for a live model,
    whose client (sockets, recordings written) stays in one process and waits in
    --concurrency threads."""
    if asked is None:
        if backend != LLMBackend.REPLAY or concurrency > 1:
            return 1
        return _usable_cpus()
    if asked > 1 and backend != LLMBackend.REPLAY:
        raise _fail(
            f"--processes {asked} needs --backend replay; a live backend extracts in threads "
            "(--concurrency)"
        )
    if asked > 1 and concurrency > 1:
        raise _fail("give --processes or --concurrency, not both")
    return asked


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # the CPUs this process may run on (Linux)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@eval_app.command("score")
def score_command(
    run_path: RunPath,
    out: Annotated[
        Path | None, typer.Option(help="Write the re-scored record here (default: print only).")
    ] = None,
    allow_dataset_change: Annotated[
        bool, typer.Option(help="Score against gold labels edited since the run.")
    ] = False,
    worst: WorstOption = 5,
) -> None:
    """Re-score a stored run with the current scorers and gold labels; no model is called."""
    run = _rescore(_load_run(run_path), load_gold(), allow_dataset_change=allow_dataset_change)
    print_run(run, console, worst=worst)
    if out is not None:
        notes.print(f"re-scored record: {run.save(out)}", soft_wrap=True)


def _rescore(run: RunRecord, gold: list[GoldCase], *, allow_dataset_change: bool) -> RunRecord:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rescored = score(run, gold, allow_dataset_change=allow_dataset_change)
    except DatasetMismatch as error:
        raise _fail(str(error)) from None
    for warning in caught:
        notes.print(f"[yellow]warning:[/yellow] {warning.message}")
    return rescored


def _baseline_path(baseline: Path | None) -> Path:
    """A given path, or for none / 'current' the baseline CURRENT names."""
    if baseline is not None and str(baseline) != "current":
        return baseline
    pointer = BASELINES_DIR / CURRENT_POINTER
    if not pointer.is_file():
        raise _fail(f"no baseline yet ({pointer} is missing): promote a run first")
    return BASELINES_DIR / pointer.read_text(encoding="utf-8").strip()


def _gate(run: RunRecord, baseline_path: Path, tolerance: float, *, run_label: str) -> None:
    # Stored outcomes are the facts, scores are derived: re-score both with today's scorers
    # and labels so a scorer change or a label fix is not read as a model regression.
    gold = load_gold()
    ours = _rescore(run, gold, allow_dataset_change=True)
    theirs = _rescore(_load_run(baseline_path), gold, allow_dataset_change=True)
    comparison = compare(ours, theirs, tolerance)
    print_comparison(comparison, console, run_label=run_label, baseline_label=baseline_path.name)
    if not comparison.passed:
        raise typer.Exit(code=1)


@eval_app.command("compare")
def compare_command(
    run_path: RunPath,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Baseline run record; default: the one evals/baselines/CURRENT names."),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(min=0.0, help="Largest F1 drop (headline or a kind) that passes.")
    ] = DEFAULT_TOLERANCE,
) -> None:
    """Print every metric's delta against the baseline; exit 1 when the gate fails."""
    _gate(_load_run(run_path), _baseline_path(baseline), tolerance, run_label=run_path.name)


@eval_app.command("report")
def report_command(
    run_path: RunPath,
    html: Annotated[
        Path,
        typer.Option(
            "--html",
            dir_okay=False,
            help="Write a self-contained HTML report (plots inline, no external asset) here.",
        ),
    ],
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Baseline run record to plot against; default: the one evals/baselines/CURRENT "
            "names, or none when there is none yet."
        ),
    ] = None,
    worst: Annotated[
        int, typer.Option("--worst", help="How many of the weakest cases to list.", min=0)
    ] = 10,
    tolerance: Annotated[float, typer.Option(min=0.0)] = DEFAULT_TOLERANCE,
) -> None:
    """Write a run's plots against the baseline as one self-contained HTML page.

    F1 per kind, type confusion, per-case F1, worst cases; both runs re-scored as the gate does."""
    try:
        from evals.html_report import render_html, write_html
    except ImportError as error:  # matplotlib is a dev extra, not a service dependency
        hint = "pip install -e '.[dev]'"
        raise _fail(f"the HTML report needs matplotlib ({error}): {hint}") from None
    gold = load_gold()
    run = _rescore(_load_run(run_path), gold, allow_dataset_change=True)
    baseline_path = _baseline_path(baseline) if baseline or _has_current() else None
    theirs = None
    if baseline_path is not None:
        theirs = _rescore(_load_run(baseline_path), gold, allow_dataset_change=True)
    page = render_html(
        run,
        baseline=theirs,
        splits={c.id: c.split for c in gold},
        run_label=run_path.name,
        baseline_label=baseline_path.name if baseline_path else None,
        worst=worst,
        tolerance=tolerance,
    )
    notes.print(f"HTML report: {write_html(html, page)}", soft_wrap=True)


def _has_current() -> bool:
    return (BASELINES_DIR / CURRENT_POINTER).is_file()


def baseline_name(run: RunRecord) -> str:
    """Stable: one baseline per split, model and prompt version (a re-run replaces it)."""
    p = run.spec.provenance
    name = f"{run.spec.split}-{p.model}-{p.prompt_id}-{p.prompt_version}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


@eval_app.command("promote")
def promote_command(
    run_path: RunPath,
    name: Annotated[
        str | None, typer.Option(help="Baseline file stem; default: <split>-<model>-<prompt>.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Promote even if the gold labels changed since the run.")
    ] = False,
) -> None:
    """Make a run the baseline: copy it into evals/baselines/ and point CURRENT at it."""
    run = _load_run(run_path)
    if not force:
        _rescore(run, load_gold(), allow_dataset_change=False)  # refuses a run on stale labels
    target = BASELINES_DIR / f"{name or baseline_name(run)}.json"
    BASELINES_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_path, target)
    (BASELINES_DIR / CURRENT_POINTER).write_text(target.name + "\n", encoding="utf-8")
    console.print(
        f"baseline: {target} (headline F1 {run.aggregates.headline_f1:.3f}); "
        f"commit it with {BASELINES_DIR / CURRENT_POINTER}"
    )


eval_app.add_typer(gold_app, name="gold")

# `wirecoder eval external …` lives with the adapters; it registers when they are installed.
if importlib.util.find_spec("evals.external.cli") is not None:
    from evals.external.cli import external_app

    eval_app.add_typer(external_app, name="external")
