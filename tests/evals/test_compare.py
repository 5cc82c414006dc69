"""The gate: compare runs whose scores the scorers computed from synthetic answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import evals.cli as eval_cli
from api import llm
from evals.gold import GoldCase
from evals.report import DEFAULT_TOLERANCE, GATED_METRICS, compare, print_run, worst_cases
from evals.runner import RunRecord, run_eval
from tests.evals.synthetic_runs import FakeExtractor, drop_every_other, drop_quotes, make_cases


@pytest.fixture
def cases() -> list[GoldCase]:
    return make_cases()


@pytest.fixture
def perfect(cases: list[GoldCase]) -> RunRecord:
    return run_eval(cases, FakeExtractor(cases), progress=False)


@pytest.fixture
def degraded(cases: list[GoldCase]) -> RunRecord:
    return run_eval(cases, FakeExtractor(cases, drop_every_other), progress=False)


def test_equal_runs_pass_with_zero_deltas(perfect: RunRecord) -> None:
    result = compare(perfect, perfect)
    assert result.passed
    assert result.tolerance == DEFAULT_TOLERANCE
    assert {m.name for m in result.metrics if m.gated} == set(GATED_METRICS)
    assert all(m.delta in (0.0, None) for m in result.metrics)
    assert not result.warnings


def test_a_drop_beyond_tolerance_fails_and_an_improvement_passes(
    perfect: RunRecord, degraded: RunRecord
) -> None:
    assert degraded.aggregates.headline_f1 < perfect.aggregates.headline_f1 - DEFAULT_TOLERANCE
    worse = compare(degraded, perfect)
    assert not worse.passed
    assert "headline_f1" in {m.name for m in worse.regressions}
    assert worse.cases[0].run < worse.cases[0].baseline  # the worst-moved case comes first
    assert compare(perfect, degraded).passed


def test_tolerance_is_the_boundary(perfect: RunRecord, degraded: RunRecord) -> None:
    worst_drop = max(
        perfect.aggregates.metrics()[name] - degraded.aggregates.metrics()[name]  # type: ignore[operator]
        for name in GATED_METRICS
    )
    assert compare(degraded, perfect, tolerance=worst_drop + 0.001).passed
    assert not compare(degraded, perfect, tolerance=worst_drop - 0.001).passed
    with pytest.raises(ValueError):
        compare(degraded, perfect, tolerance=-0.1)


def test_one_kind_falling_fails_even_when_the_headline_holds(
    cases: list[GoldCase], perfect: RunRecord
) -> None:
    fewer_quotes = run_eval(cases, FakeExtractor(cases, drop_quotes), progress=False)
    before, after = perfect.aggregates.metrics(), fewer_quotes.aggregates.metrics()
    quote_drop = before["quotes_f1"] - after["quotes_f1"]  # type: ignore[operator]
    headline_drop = before["headline_f1"] - after["headline_f1"]  # type: ignore[operator]
    assert after["actors_f1"] == before["actors_f1"]
    assert 0 < headline_drop < quote_drop
    result = compare(fewer_quotes, perfect, tolerance=(headline_drop + quote_drop) / 2)
    assert [m.name for m in result.regressions] == ["quotes_f1"]


def test_unfair_comparisons_are_flagged(cases: list[GoldCase], perfect: RunRecord) -> None:
    dev = [c for c in cases if c.split == "dev"]
    dev_run = run_eval(dev, FakeExtractor(cases), progress=False)
    warnings = compare(dev_run, perfect).warnings
    assert any("different gold data" in w for w in warnings)
    assert any("splits differ" in w for w in warnings)


def test_report_prints_worst_cases_with_missed_items(degraded: RunRecord) -> None:
    console = eval_cli.Console(record=True, width=160)
    print_run(degraded, console, worst=2)
    text = console.export_text()
    assert "headline" in text
    assert "missed   actor: state Turkey" in text


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cases: list[GoldCase]) -> CliRunner:
    """The eval CLI over the synthetic cases, with its baselines in a temporary folder."""
    monkeypatch.setattr(
        eval_cli,
        "load_gold",
        lambda split=None, gold_dir=None: [c for c in cases if split is None or c.split == split],
    )
    monkeypatch.setattr(eval_cli, "BASELINES_DIR", tmp_path / "baselines")
    return CliRunner()


def test_cli_compare_exit_codes(
    cli: CliRunner, perfect: RunRecord, degraded: RunRecord, tmp_path: Path
) -> None:
    good, bad = perfect.save(tmp_path / "good.json"), degraded.save(tmp_path / "bad.json")
    same = cli.invoke(eval_cli.eval_app, ["compare", str(good), "--baseline", str(good)])
    assert same.exit_code == 0, same.output
    assert "gate passed" in same.output
    worse = cli.invoke(eval_cli.eval_app, ["compare", str(bad), "--baseline", str(good)])
    assert worse.exit_code == 1, worse.output
    assert "gate failed" in worse.output
    loose = cli.invoke(
        eval_cli.eval_app, ["compare", str(bad), "--baseline", str(good), "--tolerance", "1"]
    )
    assert loose.exit_code == 0, loose.output
    missing = cli.invoke(eval_cli.eval_app, ["compare", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2


def test_cli_promote_then_compare_against_current(
    cli: CliRunner, perfect: RunRecord, degraded: RunRecord, tmp_path: Path
) -> None:
    good, bad = perfect.save(tmp_path / "good.json"), degraded.save(tmp_path / "bad.json")
    no_baseline = cli.invoke(eval_cli.eval_app, ["compare", str(bad)])
    assert no_baseline.exit_code == 2
    assert "promote a run first" in no_baseline.output
    promoted = cli.invoke(eval_cli.eval_app, ["promote", str(good)])
    assert promoted.exit_code == 0, promoted.output
    baselines = tmp_path / "baselines"
    current = (baselines / "CURRENT").read_text().strip()
    assert current == "all-fake_model-0-extract-v1.json"
    assert RunRecord.load(baselines / current) == perfect
    assert cli.invoke(eval_cli.eval_app, ["compare", str(bad)]).exit_code == 1
    assert cli.invoke(eval_cli.eval_app, ["compare", str(good)]).exit_code == 0


def test_cli_promote_refuses_a_run_on_stale_labels(
    cli: CliRunner, perfect: RunRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = make_cases()
    edited[0].expected.actors.pop()
    monkeypatch.setattr(eval_cli, "load_gold", lambda split=None, gold_dir=None: edited)
    good = perfect.save(tmp_path / "good.json")
    refused = cli.invoke(eval_cli.eval_app, ["promote", str(good)])
    assert refused.exit_code == 2
    assert not (tmp_path / "baselines" / "CURRENT").exists()
    assert cli.invoke(eval_cli.eval_app, ["promote", str(good), "--force"]).exit_code == 0


def test_cli_run_score_and_gate(
    cli: CliRunner, cases: list[GoldCase], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {"answer": drop_every_other}
    monkeypatch.setattr(
        llm, "build_extractor", lambda settings: FakeExtractor(cases, answers["answer"])
    )
    out = tmp_path / "runs" / "dev.json"
    ran = cli.invoke(
        eval_cli.eval_app, ["run", "--split", "dev", "--backend", "replay", "--out", str(out)]
    )
    assert ran.exit_code == 0, ran.output
    record = RunRecord.load(out)
    assert record.spec.split == "dev"
    assert record.spec.case_ids == [c.id for c in cases if c.split == "dev"]

    rescored_path = tmp_path / "rescored.json"
    scored = cli.invoke(eval_cli.eval_app, ["score", str(out), "--out", str(rescored_path)])
    assert scored.exit_code == 0, scored.output
    assert RunRecord.load(rescored_path).aggregates == record.aggregates

    # A better run gates against the degraded one and passes; the reverse fails.
    answers["answer"] = lambda extraction: extraction
    better = tmp_path / "runs" / "better.json"
    args = ["run", "--split", "dev", "--out", str(better), "--baseline", str(out)]
    assert cli.invoke(eval_cli.eval_app, args).exit_code == 0
    answers["answer"] = drop_every_other
    args = ["run", "--split", "dev", "--out", str(tmp_path / "w.json"), "--baseline", str(better)]
    assert cli.invoke(eval_cli.eval_app, args).exit_code == 1


def test_failed_extractions_lead_the_worst_cases(cases: list[GoldCase]) -> None:
    record = run_eval(cases, FakeExtractor(cases, raise_for=frozenset({"quiet"})), progress=False)
    quiet = next(c for c in record.cases if c.case_id == "quiet")
    assert quiet.mean_f1 == 1.0  # nothing to find in the article, so nothing missed
    assert [c.case_id for c in worst_cases(record.cases, 3)] == ["quiet"]


def test_cli_run_refuses_bad_settings(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    recording_replay = cli.invoke(eval_cli.eval_app, ["run", "--record", "--backend", "replay"])
    assert recording_replay.exit_code == 2
    assert "live backend" in recording_replay.output

    def no_prompt(settings: object) -> FakeExtractor:
        raise RuntimeError("no prompt extract_v9.jinja")

    monkeypatch.setattr(llm, "build_extractor", no_prompt)
    unknown = cli.invoke(eval_cli.eval_app, ["run", "--prompt-version", "v9"])
    assert unknown.exit_code == 2
    assert "extract_v9" in unknown.output


def test_cli_gate_rescores_both_runs_against_edited_labels(
    cli: CliRunner, perfect: RunRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = make_cases()
    edited[0].expected.actors.pop()  # a label fix after the baseline was promoted
    monkeypatch.setattr(eval_cli, "load_gold", lambda split=None, gold_dir=None: edited)
    good = perfect.save(tmp_path / "good.json")
    same = cli.invoke(eval_cli.eval_app, ["compare", str(good), "--baseline", str(good)])
    assert same.exit_code == 0, same.output
    assert "labels changed" in same.output


def test_cli_run_selected_cases_only(
    cli: CliRunner, cases: list[GoldCase], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm, "build_extractor", lambda settings: FakeExtractor(cases))
    chosen = [c.id for c in cases if c.split == "dev"][:1]
    out = tmp_path / "one.json"
    args = ["run", "--split", "dev", "--case", chosen[0], "--backend", "replay", "--out", str(out)]
    ran = cli.invoke(eval_cli.eval_app, args)
    assert ran.exit_code == 0, ran.output
    assert RunRecord.load(out).spec.case_ids == chosen
    unknown = cli.invoke(eval_cli.eval_app, ["run", "--case", "no-such-case", "--out", str(out)])
    assert unknown.exit_code == 2
    assert "no-such-case" in unknown.output
