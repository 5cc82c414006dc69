"""The eval report as one self-contained HTML file (`wirecoder eval report RUN --html FILE`):
F1 per kind against the baseline, the event-type confusion matrix, every case's headline F1,
and the worst cases with what they missed and invented.

The plots are matplotlib figures inlined as base64 PNG, and the page loads no script, font or
style sheet from elsewhere, so it opens offline and can be attached to a pull request. Every
text taken from a run (case ids, errors, model output) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evals.event_attributes import NO_EVENT
from evals.report import DEFAULT_TOLERANCE, MetricDelta, compare, worst_cases
from evals.runner import CaseRecord, RunRecord
from evals.scorers import KINDS
from schemas.contract import OutcomeStatus

TEMPLATE = Path(__file__).parent / "templates" / "report.html"
DPI = 150  # drawn at 150 dpi and shown scaled down: sharp on high-density screens too
RUN_COLOUR, BASELINE_COLOUR = "#3a6ea5", "#b8b8b8"
BETTER, WORSE, SAME = "#2e7d32", "#c62828", "#555555"
SPLIT_COLOURS = {"dev": "#3a6ea5", "test": "#e08a1e"}
OTHER_SPLIT = "#8c8c8c"
NO_EVENT_LABEL = "(none)"
MOVED = 5e-4  # a smaller delta is shown as no change (it rounds to 0.000)

# (name in Aggregates.metrics(), label), in the order the F1 figure shows them
F1_MEASURES = (
    ("headline_f1", "headline"),
    ("quotes_f1", "quotes"),
    ("actors_f1", "actors"),
    ("events_f1", "events"),
    ("quotes_exact_f1", "quotes, exact span"),
)
ACCURACY_MEASURES = (
    ("quote_speaker_accuracy", "quote speaker"),
    ("quote_kind_accuracy", "quote kind"),
    ("actor_kind_accuracy", "actor kind"),
    ("event_roles_accuracy", "event roles"),
    ("event_date_accuracy", "event date"),
    ("event_location_accuracy", "event location"),
    ("event_mode_accuracy", "event mode"),
    ("event_status_accuracy", "event status"),
    ("event_fatalities_accuracy", "event fatalities"),
    ("grounding_rate", "grounding"),
    ("exact_grounding_rate", "exact grounding"),
    ("schema_valid_rate", "schema-valid"),
)


@dataclass(frozen=True)
class Measure:
    label: str
    metric: MetricDelta

    @property
    def run(self) -> float:
        return self.metric.run or 0.0


def _png(fig: Figure) -> str:
    """The figure as a data: URI, so the page needs no file beside it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _delta_colour(m: MetricDelta) -> str:
    delta = m.delta
    if delta is None or abs(delta) < MOVED:
        return SAME
    return BETTER if delta > 0 else WORSE


def plot_measures(panels: list[tuple[str, list[Measure]]], *, has_baseline: bool) -> Figure:
    """One horizontal bar per measure (this run), the baseline's bar beneath it, the value and
    the change written at the bar's end (red when it fell, bold when the fall fails the gate)."""
    panels = [(title, rows) for title, rows in panels if rows]
    sizes = [len(rows) for _, rows in panels]
    fig = Figure(figsize=(8.5, 0.42 * sum(sizes) + 0.9 * len(panels) + 0.4), layout="constrained")
    axes = fig.subplots(len(panels), 1, height_ratios=sizes, squeeze=False)[:, 0]
    height = 0.4 if has_baseline else 0.65
    shift = height / 2 if has_baseline else 0.0
    for ax, (title, rows) in zip(axes, panels, strict=True):
        ys = np.arange(len(rows))
        ax.barh(ys - shift, [m.run for m in rows], height=height, color=RUN_COLOUR)
        if has_baseline:
            base = [m.metric.baseline or 0.0 for m in rows]
            ax.barh(ys + shift, base, height=height, color=BASELINE_COLOUR)
            for y, m in zip(ys, rows, strict=True):
                if m.metric.baseline is None:  # else an empty slot reads as 0
                    note = "baseline: nothing judged"
                    ax.text(0.01, y + shift, note, va="center", fontsize=8, color=SAME)
        for y, m in zip(ys, rows, strict=True):
            text = f"{m.run:.3f}"
            if m.metric.delta is not None:
                moved = abs(m.metric.delta) >= MOVED
                text += f"  ({m.metric.delta:+.3f})" if moved else "  (±0)"
            weight = "bold" if m.metric.regressed else "normal"
            colour = _delta_colour(m.metric)
            ax.text(
                m.run + 0.01,
                y - shift,
                text,
                va="center",
                fontsize=9,
                color=colour,
                fontweight=weight,
            )
        ax.set_yticks(ys, [m.label for m in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first at the top, no padding
        ax.set_xlim(0, 1.25)
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(title, loc="left", fontsize=11)
    handles = [Patch(color=RUN_COLOUR, label="this run")]
    if has_baseline:
        handles.append(Patch(color=BASELINE_COLOUR, label="baseline"))
    fig.legend(handles=handles, loc="outside upper right", ncols=2, frameon=False)
    return fig


def confusion_matrix(cells: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """Scores.event_types ("GOLD>PREDICTED" counts) as a square matrix, rows gold, columns
    predicted, over the types seen on either side and a last "none" row and column."""
    pairs = [(g, p, n) for cell, n in cells.items() for g, p in [cell.split(">", 1)]]
    types = sorted({t for g, p, _ in pairs for t in (g, p)} - {NO_EVENT})
    axis = [*types, NO_EVENT]
    index = {t: i for i, t in enumerate(axis)}
    matrix = np.zeros((len(axis), len(axis)), dtype=int)
    for gold, predicted, n in pairs:
        matrix[index[gold], index[predicted]] += n
    return axis, matrix


def plot_confusion(cells: dict[str, int]) -> Figure | None:
    """Agreement (the diagonal) in green, confusion and misses in red, each cell's count
    written in it: the red cells are where to look."""
    if not cells:
        return None
    axis, matrix = confusion_matrix(cells)
    n = len(axis)
    diagonal = np.eye(n, dtype=bool)
    off_max = int(matrix[~diagonal].max(initial=0)) or 1
    fig = Figure(figsize=(0.42 * n + 2.6, 0.38 * n + 2.0), layout="constrained")
    ax = fig.subplots()
    agree = np.ma.masked_where(~diagonal | (matrix == 0), matrix)
    confused = np.ma.masked_where(diagonal | (matrix == 0), matrix)
    ax.imshow(agree, cmap="Greens", vmin=0, vmax=int(matrix.max()) * 1.2)
    ax.imshow(confused, cmap="Reds", vmin=0, vmax=off_max * 1.3)
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            ax.text(col, row, str(count), ha="center", va="center", fontsize=8)
    labels = [NO_EVENT_LABEL if t == NO_EVENT else t for t in axis]
    ax.set_xticks(range(n), labels, rotation=50, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#e4e4e4", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("predicted type")
    ax.set_ylabel("gold type")
    return fig


def plot_cases(
    cases: list[CaseRecord], splits: dict[str, str], baseline_f1: dict[str, float]
) -> Figure:
    """Every case's headline F1, worst at the top, coloured by split, the baseline's as a tick."""
    ordered = sorted(cases, key=lambda c: (c.mean_f1, c.case_id))
    ys = list(range(len(ordered)))
    fig = Figure(figsize=(8.5, 0.26 * len(ordered) + 1.1), layout="constrained")
    ax = fig.subplots()
    colours = [SPLIT_COLOURS.get(splits.get(c.case_id, ""), OTHER_SPLIT) for c in ordered]
    ax.barh(ys, [c.mean_f1 for c in ordered], height=0.7, color=colours)
    for y, case in zip(ys, ordered, strict=True):
        failed = case.outcome.status != OutcomeStatus.SUCCEEDED
        label = f"{case.mean_f1:.2f}" + (f"  {case.outcome.status.value}" if failed else "")
        colour = WORSE if failed else SAME
        ax.text(case.mean_f1 + 0.012, y, label, va="center", fontsize=8, color=colour)
    ticks = [
        (y, baseline_f1[c.case_id])
        for y, c in zip(ys, ordered, strict=True)
        if c.case_id in baseline_f1
    ]
    if ticks:
        ax.scatter(
            [b for _, b in ticks],
            [y for y, _ in ticks],
            marker="|",
            s=110,
            linewidths=1.6,
            color="black",
            zorder=3,
        )
    ax.set_yticks(ys, [c.case_id for c in ordered], fontsize=8)
    ax.set_ylim(len(ordered) - 0.5, -0.5)  # worst at the top, no padding
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("headline F1 (mean of quote, actor and event F1)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    present = sorted({splits.get(c.case_id, "other") for c in cases})
    handles: list[Patch | Line2D] = [
        Patch(color=SPLIT_COLOURS.get(s, OTHER_SPLIT), label=s) for s in present
    ]
    if ticks:
        tick = Line2D([], [], marker="|", linestyle="", color="black", label="baseline")
        handles.append(tick)
    fig.legend(handles=handles, loc="outside upper right", ncols=len(handles), frameon=False)
    return fig


def _measures(metrics: dict[str, MetricDelta], names: tuple[tuple[str, str], ...]) -> list[Measure]:
    """The measures this run has: an accuracy with nothing to judge (None) is left out."""
    return [
        Measure(label, metrics[name])
        for name, label in names
        if name in metrics and metrics[name].run is not None
    ]


def render_html(
    run: RunRecord,
    *,
    baseline: RunRecord | None,
    splits: dict[str, str],
    run_label: str,
    baseline_label: str | None = None,
    worst: int = 10,
    tolerance: float = DEFAULT_TOLERANCE,
) -> str:
    """The whole page. `splits` maps case ids to dev / test (a run record only knows its own
    split); both runs should be scored alike (re-scored with today's scorers and labels)."""
    comparison = compare(run, baseline, tolerance) if baseline is not None else None
    if comparison is not None:
        metrics = {m.name: m for m in comparison.metrics}
    else:
        metrics = {
            name: MetricDelta(name=name, run=value, baseline=None, gated=False, regressed=False)
            for name, value in run.aggregates.metrics().items()
        }
    f1s, accuracies = _measures(metrics, F1_MEASURES), _measures(metrics, ACCURACY_MEASURES)
    panels = [
        ("F1 (one-to-one matching)", f1s),
        ("Accuracy on matched items, and rates", accuracies),
    ]
    baseline_f1 = {c.case_id: c.mean_f1 for c in baseline.cases} if baseline else {}
    confusion = plot_confusion(run.aggregates.scores.event_types)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE.parent),
        autoescape=True,  # model output and errors are untrusted text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(TEMPLATE.name).render(
        run=run,
        run_label=run_label,
        baseline=baseline,
        baseline_label=baseline_label,
        comparison=comparison,
        measures=[*f1s, *accuracies],
        measures_png=_png(plot_measures(panels, has_baseline=baseline is not None)),
        confusion_png=_png(confusion) if confusion is not None else None,
        cases_png=_png(plot_cases(run.cases, splits, baseline_f1)),
        worst=worst_cases(run.cases, worst),
        splits=splits,
        baseline_f1=baseline_f1,
        kinds=KINDS,
        moved=MOVED,
    )


def write_html(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
