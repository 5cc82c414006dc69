"""`wirecoder eval run`'s streams and `--out`: stdout is the report and nothing else (logs, the
progress bar and where the record went are on stderr); `--out` takes a file or a folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import structlog
from rich.console import Console
from typer.testing import CliRunner

import evals.cli as eval_cli
from api import llm
from evals.gold import GoldCase
from evals.report import print_run
from evals.runner import RunRecord, default_run_path
from schemas.contract import ArticleInput, ExtractionOutcome
from tests.evals.synthetic_runs import FakeExtractor, drop_every_other, make_cases


class LoggingExtractor(FakeExtractor):
    """Logs as the real extractor does (structlog, per article): structlog's default setup
    prints to stdout, which is how log lines got into the report."""

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        log = structlog.get_logger("tests.extractor")
        log.info("extraction finished", chars=len(article.text))
        log.warning("transport retry", attempt=1)
        return super().extract(article)


@pytest.fixture
def cases() -> list[GoldCase]:
    return make_cases()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cases: list[GoldCase]) -> CliRunner:
    monkeypatch.setattr(
        eval_cli,
        "load_gold",
        lambda split=None, gold_dir=None: [c for c in cases if split is None or c.split == split],
    )
    monkeypatch.setattr(eval_cli, "BASELINES_DIR", tmp_path / "baselines")
    monkeypatch.setattr(
        llm, "build_extractor", lambda settings: LoggingExtractor(cases, drop_every_other)
    )
    return CliRunner()


def _report(record: RunRecord, *, worst: int = 5) -> str:
    """What print_run writes for a record, at the width the CLI's console has here."""
    buffer = io.StringIO()
    print_run(record, Console(file=buffer, width=eval_cli.console.size.width), worst=worst)
    return buffer.getvalue()


def test_run_prints_only_the_report_on_stdout(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    ran = cli.invoke(eval_cli.eval_app, ["run", "--backend", "replay", "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert ran.stdout == _report(RunRecord.load(out))
    assert "transport retry" in ran.stderr  # the logs went somewhere: to stderr
    assert "extraction finished" not in ran.output  # info is below the default level
    assert f"run record: {out}\n" in ran.stderr


def test_run_logs_at_info_on_stderr_only(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    args = ["run", "--backend", "replay", "--out", str(out), "--log-level", "info"]
    ran = cli.invoke(eval_cli.eval_app, args)
    assert ran.exit_code == 0, ran.output
    assert ran.stderr.count("extraction finished") == len(make_cases())
    assert ran.stdout == _report(RunRecord.load(out))


def test_run_with_a_gate_keeps_stdout_to_the_report(cli: CliRunner, tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert cli.invoke(eval_cli.eval_app, ["run", "--out", str(first)]).exit_code == 0
    args = ["run", "--out", str(second), "--baseline", str(first), "--worst", "0"]
    gated = cli.invoke(eval_cli.eval_app, args)
    assert gated.exit_code == 0, gated.output
    report = _report(RunRecord.load(second), worst=0)
    assert gated.stdout.startswith(report)
    comparison = gated.stdout[len(report) :]
    assert comparison.splitlines()[-1] == "gate passed (tolerance 0.02)"
    assert "transport retry" not in gated.stdout and "run record" not in gated.stdout


def test_out_an_existing_folder_writes_a_named_file_in_it(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    ran = cli.invoke(eval_cli.eval_app, ["run", "--out", str(folder)])
    assert ran.exit_code == 0, ran.output
    (written,) = folder.iterdir()
    record = RunRecord.load(written)
    assert written == default_run_path(record, folder)
    assert written.name.endswith("-fake_model-0-extract@v1.json")


def test_out_a_new_path_ending_in_a_slash_is_a_folder(cli: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "runs"
    ran = cli.invoke(eval_cli.eval_app, ["run", "--out", f"{folder}/"])
    assert ran.exit_code == 0, ran.output
    (written,) = folder.iterdir()
    assert RunRecord.load(written).spec.case_ids == [c.id for c in make_cases()]


def test_out_that_cannot_be_written_exits_2_and_keeps_the_run(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("evals.runner.RUNS_DIR", tmp_path / "default-runs")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    ran = cli.invoke(eval_cli.eval_app, ["run", "--out", str(blocker / "run.json")])
    assert ran.exit_code == 2
    assert "cannot write the run record" in ran.stderr
    assert ran.stdout == ""
    (kept,) = (tmp_path / "default-runs").iterdir()  # a long live run is not thrown away
    assert RunRecord.load(kept).aggregates.cases == len(make_cases())


def test_run_forks_processes_for_replay_and_forwards_their_logs(
    cli: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "run.json"
    args = ["run", "--backend", "replay", "--processes", "2", "--out", str(out)]
    ran = cli.invoke(eval_cli.eval_app, [*args, "--log-level", "info"])
    assert ran.exit_code == 0, ran.output
    record = RunRecord.load(out)
    assert record.spec.processes == 2
    assert [c.case_id for c in record.cases] == [c.id for c in make_cases()]
    assert ran.stderr.count("extraction finished") == len(make_cases())  # logged in the forks
    assert ran.stdout == _report(record)


@pytest.mark.parametrize(
    ("args", "processes"),
    [
        (["--backend", "replay"], min(eval_cli._usable_cpus(), len(make_cases()))),
        (["--backend", "replay", "--concurrency", "3"], 1),  # threads asked for: no forks
        (["--backend", "local"], 1),  # a live model: threads only
    ],
)
def test_run_picks_processes_by_backend(
    cli: CliRunner, tmp_path: Path, args: list[str], processes: int
) -> None:
    out = tmp_path / "run.json"
    ran = cli.invoke(eval_cli.eval_app, ["run", *args, "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert RunRecord.load(out).spec.processes == processes


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--backend", "replay", "--processes", "0"], "greater than or equal to 1"),
        (["--backend", "local", "--processes", "2"], "--processes 2 needs --backend replay"),
        (
            ["--backend", "replay", "--processes", "2", "--concurrency", "2"],
            "--processes or --concurrency, not both",
        ),
    ],
)
def test_run_refuses_processes_it_cannot_use(
    cli: CliRunner, tmp_path: Path, args: list[str], error: str
) -> None:
    ran = cli.invoke(eval_cli.eval_app, ["run", *args, "--out", str(tmp_path / "run.json")])
    assert ran.exit_code == 2
    assert error in " ".join(ran.stderr.split())  # typer's box may wrap the message
    assert not (tmp_path / "run.json").exists()
