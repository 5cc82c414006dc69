"""The HTML eval report (evals/html_report.py, `wirecoder eval report --html`): four sections
with real plots, no asset from elsewhere, every run text escaped."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from matplotlib.colors import to_hex
from typer.testing import CliRunner

import evals.cli as eval_cli
from evals.event_attributes import NO_EVENT
from evals.gold import GoldCase
from evals.html_report import SPLIT_COLOURS, confusion_matrix, plot_cases, render_html
from evals.report import worst_cases
from evals.runner import RunRecord, run_eval
from schemas.extraction import ActorKind, EventType
from schemas.grounded import GroundedActor, GroundedExtraction
from tests.evals.synthetic_runs import FakeExtractor, drop_every_other, make_cases

SCRIPT = '<script>alert("x")</script>'
SECTIONS = ("f1-per-kind", "event-types", "per-case", "worst-cases")


def misread(extraction: GroundedExtraction) -> GroundedExtraction:
    """Drops items, invents an actor whose name is markup, and takes ASSAULT for COERCE."""
    degraded = drop_every_other(extraction)
    events = [
        e.model_copy(update={"event_type": EventType.COERCE})
        if e.event_type == EventType.ASSAULT
        else e
        for e in degraded.events
    ]
    actors = [*degraded.actors, GroundedActor(name=SCRIPT, kind=ActorKind.OTHER)]
    return degraded.model_copy(update={"events": events, "actors": actors})


@pytest.fixture
def cases() -> list[GoldCase]:
    return make_cases()


@pytest.fixture
def baseline(cases: list[GoldCase]) -> RunRecord:
    return run_eval(cases, FakeExtractor(cases), progress=False)


@pytest.fixture
def run(cases: list[GoldCase]) -> RunRecord:
    return run_eval(cases, FakeExtractor(cases, misread), progress=False)


def _splits(cases: list[GoldCase]) -> dict[str, str]:
    return {c.id: c.split for c in cases}


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert found, f"no section {section_id}"
    return found.group(1)


def test_report_has_the_four_sections_with_real_plots(
    run: RunRecord, baseline: RunRecord, cases: list[GoldCase]
) -> None:
    html = render_html(
        run, baseline=baseline, splits=_splits(cases), run_label="run.json", baseline_label="b"
    )
    for section_id in SECTIONS[:3]:
        images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', _section(html, section_id))
        assert len(images) == 1, section_id
        assert base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")
    f1 = _section(html, "f1-per-kind")
    assert "<td>headline</td><td>" in f1 and '<span class="down">' in f1  # fell vs baseline
    assert "gate failed" in html
    worst = _section(html, "worst-cases")
    listed = re.findall(r'<h3 id="case-([^"]+)"', worst)
    assert listed == [c.case_id for c in worst_cases(run.cases, 10)]
    assert set(listed) == {c.id for c in cases}  # the markup actor spoils even "quiet"
    assert "missed</span> quote:" in worst and "invented</span> actor:" in worst


def test_report_loads_nothing_from_elsewhere(
    run: RunRecord, baseline: RunRecord, cases: list[GoldCase]
) -> None:
    html = render_html(run, baseline=baseline, splits=_splits(cases), run_label="run.json")
    for value in re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', html, re.I):
        assert value.startswith(("data:", "#")), value
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|iframe|object|embed)\b", html, re.I)
    assert "url(" not in html  # no CSS import or remote font either


def test_report_escapes_the_texts_of_a_run(
    run: RunRecord, baseline: RunRecord, cases: list[GoldCase]
) -> None:
    html = render_html(run, baseline=baseline, splits=_splits(cases), run_label="<b>run</b>")
    assert SCRIPT not in html and "<script" not in html
    assert "invented</span> actor: other &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;run&lt;/b&gt;" in html


def test_report_without_a_baseline_says_so(run: RunRecord, cases: list[GoldCase]) -> None:
    html = render_html(run, baseline=None, splits=_splits(cases), run_label="run.json")
    assert "no baseline to compare with" in html
    assert "<th>baseline</th>" not in html
    for section_id in SECTIONS:
        _section(html, section_id)


def test_confusion_matrix_rows_are_gold_columns_predicted_none_last() -> None:
    axis, matrix = confusion_matrix(
        {"ASSAULT>ASSAULT": 3, "ASSAULT>AID": 1, f"ASSAULT>{NO_EVENT}": 2, f"{NO_EVENT}>REJECT": 4}
    )
    assert axis == ["AID", "ASSAULT", "REJECT", NO_EVENT]
    assert matrix.tolist() == [[0, 0, 0, 0], [1, 3, 0, 2], [0, 0, 0, 0], [0, 0, 4, 0]]


def test_case_bars_are_sorted_worst_first_and_coloured_by_split(
    run: RunRecord, cases: list[GoldCase]
) -> None:
    figure = plot_cases(run.cases, _splits(cases), baseline_f1={})
    ax = figure.axes[0]
    bars = ax.patches
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_id = {c.case_id: c for c in run.cases}
    assert [b.get_width() for b in bars] == sorted(c.mean_f1 for c in run.cases)
    assert [by_id[label].mean_f1 for label in labels] == [b.get_width() for b in bars]
    split = _splits(cases)
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        SPLIT_COLOURS[split[label]] for label in labels
    ]
    assert {split[label] for label in labels} == {"dev", "test"}


def test_cli_report_writes_the_file_against_the_current_baseline(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    cases: list[GoldCase],
    run: RunRecord,
    baseline: RunRecord,
) -> None:
    monkeypatch.setattr(eval_cli, "load_gold", lambda split=None, gold_dir=None: cases)
    monkeypatch.setattr(eval_cli, "BASELINES_DIR", tmp_path / "baselines")
    cli = CliRunner()
    run_path, base_path = run.save(tmp_path / "run.json"), baseline.save(tmp_path / "base.json")
    assert cli.invoke(eval_cli.eval_app, ["promote", str(base_path)]).exit_code == 0
    out = tmp_path / "report" / "run.html"
    made = cli.invoke(eval_cli.eval_app, ["report", str(run_path), "--html", str(out)])
    assert made.exit_code == 0, made.output
    assert made.stdout == ""
    assert f"HTML report: {out}" in made.stderr
    html = out.read_text(encoding="utf-8")
    assert "all-fake_model-0-extract-v1.json" in html  # the baseline CURRENT names
    assert "gate failed" in html
    missing = cli.invoke(eval_cli.eval_app, ["report", str(tmp_path / "no.json"), "--html", "x"])
    assert missing.exit_code == 2
