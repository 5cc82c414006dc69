"""Reading a run: a table of aggregates, the worst cases with what was missed and invented,
and the comparison with a baseline that gates prompt changes."""

from __future__ import annotations

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from evals.event_attributes import NO_EVENT
from evals.runner import CaseRecord, RunRecord
from evals.scorers import KINDS, SCORER_VERSION
from schemas.contract import OutcomeStatus

# A run fails the gate when the headline or any kind's F1 falls by more than this.
DEFAULT_TOLERANCE = 0.02
GATED_METRICS = ("headline_f1", *(f"{kind}_f1" for kind in KINDS))
# Where a lower figure is the better one (so a rise is shown red).
LOWER_IS_BETTER = frozenset({"mean_attempts", "tokens_per_article", "mean_latency_ms"})


def _fmt(value: float | None, name: str = "") -> str:
    if value is None:
        return "—"
    if name == "mean_attempts":
        return f"{value:.2f}"
    if name in LOWER_IS_BETTER:
        return f"{value:,.1f}"
    return f"{value:.3f}"


def _ratio(correct: int, total: int) -> str:
    return f"{correct}/{total}"


def print_run(record: RunRecord, console: Console, *, worst: int = 5) -> None:
    """The run's spec in a line or two, its aggregates, and its `worst` weakest cases."""
    spec, agg = record.spec, record.aggregates
    p = spec.provenance
    git = f"{(spec.git_sha or 'unknown')[:10]}{' (dirty)' if spec.git_dirty else ''}"
    console.print(
        f"[bold]{spec.prompt_ref}[/bold] on [bold]{p.model}[/bold] ({p.backend}, {p.mode}) · "
        f"split {spec.split}, {agg.cases} cases · data {spec.dataset_hash[:12]} · git {git} · "
        f"scorer v{spec.scorer_version}"
    )

    s = agg.scores
    kinds = Table(title="Extraction (micro-averaged over cases)")
    for column in ("kind", "precision", "recall", "F1", "TP", "FP", "FN"):
        kinds.add_column(column, justify="left" if column == "kind" else "right")
    for name in (*KINDS, "quotes_exact"):
        c = getattr(s, name)
        label = "quotes (exact span)" if name == "quotes_exact" else name
        kinds.add_row(
            label, _fmt(c.precision), _fmt(c.recall), _fmt(c.f1), str(c.tp), str(c.fp), str(c.fn)
        )
    kinds.add_row("[bold]headline[/bold]", "", "", f"[bold]{_fmt(s.headline_f1)}[/bold]")
    console.print(kinds)

    details = Table(title="On matched items, and operations")
    details.add_column("metric")
    details.add_column("value", justify="right")
    details.add_column("of", justify="right")
    ratios = {
        "quote speaker accuracy": s.quote_speaker,
        "quote kind accuracy": s.quote_kind,
        "actor kind accuracy": s.actor_kind,
        "event role accuracy": s.event_roles,
        "event date accuracy": s.event_date,
        "event location accuracy": s.event_location,
        "event mode accuracy": s.event_mode,
        "event status accuracy": s.event_status,
        "event fatalities accuracy": s.event_fatalities,
        "grounding rate": s.grounding,
        "exact grounding rate": s.exact_grounding,
        "schema-valid rate": agg.schema_valid,
    }
    for label, r in ratios.items():
        details.add_row(label, _fmt(r.value), _ratio(r.correct, r.total))
    details.add_row("mean attempts", f"{agg.mean_attempts:.2f}", "")
    details.add_row("tokens per article", f"{agg.tokens_per_article:,.0f}", "")
    details.add_row("mean latency", f"{agg.mean_latency_ms / 1000:,.1f} s", "")
    console.print(details)

    print_type_confusion(s.event_types, console)
    print_worst_cases(record.cases, console, limit=worst)


def print_type_confusion(cells: dict[str, int], console: Console) -> None:
    """Per gold type: how many paired events share it, which other types they were given, how
    many no predicted event covers; then what was predicted where gold has no event. Events
    are paired by evidence whatever their types."""
    if not cells:
        return
    pairs = [(cell.split(">")[0], cell.split(">")[1], n) for cell, n in cells.items()]
    table = Table(title="Event types: gold × predicted (paired by evidence)")
    for column in ("gold type", "same", "predicted as", "no event"):
        table.add_column(
            column, justify="left" if column in ("gold type", "predicted as") else "right"
        )
    for gold in sorted({g for g, _, _ in pairs} - {NO_EVENT}):
        row = [(p, n) for g, p, n in pairs if g == gold]
        same = sum(n for p, n in row if p == gold)
        other = ", ".join(f"{p} {n}" for p, n in row if p not in (gold, NO_EVENT))
        missed = sum(n for p, n in row if p == NO_EVENT)
        table.add_row(gold, str(same or ""), other, str(missed or ""))
    invented = ", ".join(f"{p} {n}" for g, p, n in pairs if g == NO_EVENT)
    if invented:
        table.add_row(NO_EVENT, "", invented, "")
    console.print(table)


def worst_cases(cases: list[CaseRecord], limit: int) -> list[CaseRecord]:
    """Failed extractions first (an empty article scores 1.0 even when its extraction failed),
    then cases below a perfect score, lowest mean F1 first; ties by id."""

    def failed(c: CaseRecord) -> bool:
        return c.outcome.status != OutcomeStatus.SUCCEEDED

    weak = [c for c in cases if failed(c) or c.mean_f1 < 1.0]
    return sorted(weak, key=lambda c: (not failed(c), c.mean_f1, c.case_id))[:limit]


def print_worst_cases(cases: list[CaseRecord], console: Console, *, limit: int = 5) -> None:
    chosen = worst_cases(cases, limit)
    if not chosen:
        if limit:
            console.print("Every case scored 1.0.")
        return
    console.print(f"[bold]Worst {len(chosen)} cases[/bold] (mean of quote, actor, event F1)")
    for case in chosen:
        s = case.score
        console.print(
            f"\n[bold]{case.case_id}[/bold] {case.mean_f1:.3f} · quotes {s.quotes.f1:.2f} "
            f"actors {s.actors.f1:.2f} events {s.events.f1:.2f} · {case.outcome.status}"
            + (f" · {', '.join(case.phenomena)}" if case.phenomena else "")
        )
        if case.outcome.error:
            console.print(f"  [red]error[/red] {case.outcome.error[:300]}", markup=True)
        for kind in KINDS:
            for line in s.missed.get(kind, []):
                console.print(f"  [yellow]missed[/yellow]   {kind[:-1]}: {line}", highlight=False)
            for line in s.invented.get(kind, []):
                console.print(f"  [magenta]invented[/magenta] {kind[:-1]}: {line}", highlight=False)


class MetricDelta(BaseModel):
    name: str
    run: float | None
    baseline: float | None
    gated: bool  # part of the gate
    regressed: bool  # gated and fell by more than the tolerance

    @property
    def delta(self) -> float | None:
        if self.run is None or self.baseline is None:
            return None
        return self.run - self.baseline


class CaseDelta(BaseModel):
    case_id: str
    run: float
    baseline: float


class Comparison(BaseModel):
    tolerance: float
    metrics: list[MetricDelta]
    cases: list[CaseDelta] = Field(default_factory=list)  # cases in both, by mean F1 change
    warnings: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not any(m.regressed for m in self.metrics)

    @property
    def regressions(self) -> list[MetricDelta]:
        return [m for m in self.metrics if m.regressed]


def compare(
    run: RunRecord, baseline: RunRecord, tolerance: float = DEFAULT_TOLERANCE
) -> Comparison:
    """Every metric's delta; the gate fails when the headline or a kind's F1 drops by more
    than `tolerance`. Differences that make the comparison unfair are returned as warnings."""
    if tolerance < 0:
        raise ValueError("tolerance must not be negative")
    ours, theirs = run.aggregates.metrics(), baseline.aggregates.metrics()
    metrics = []
    for name, value in ours.items():
        base = theirs.get(name)
        gated = name in GATED_METRICS
        dropped = value is not None and base is not None and base - value > tolerance + 1e-12
        metrics.append(
            MetricDelta(
                name=name, run=value, baseline=base, gated=gated, regressed=gated and dropped
            )
        )
    base_cases = {c.case_id: c.mean_f1 for c in baseline.cases}
    cases = [
        CaseDelta(case_id=c.case_id, run=c.mean_f1, baseline=base_cases[c.case_id])
        for c in run.cases
        if c.case_id in base_cases
    ]
    cases.sort(key=lambda c: (c.run - c.baseline, c.case_id))
    return Comparison(
        tolerance=tolerance, metrics=metrics, cases=cases, warnings=_unfair(run, baseline)
    )


def _unfair(run: RunRecord, baseline: RunRecord) -> list[str]:
    a, b = run.spec, baseline.spec
    notes = []
    if a.dataset_hash != b.dataset_hash:
        notes.append(
            "the runs were scored on different gold data "
            f"({a.dataset_hash[:12]} vs {b.dataset_hash[:12]}): re-score the baseline or promote "
            "a new one"
        )
    if a.scorer_version != b.scorer_version:
        notes.append(
            f"scorer versions differ ({a.scorer_version} vs {b.scorer_version}; current is "
            f"{SCORER_VERSION}): re-score both with `wirecoder eval score`"
        )
    if a.split != b.split:
        notes.append(f"splits differ ({a.split} vs {b.split})")
    return notes


def print_comparison(
    comparison: Comparison, console: Console, *, run_label: str, baseline_label: str
) -> None:
    table = Table(title=f"{run_label} vs baseline {baseline_label}")
    for column in ("metric", "run", "baseline", "delta", "gate"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for m in comparison.metrics:
        delta = m.delta
        if delta is None or abs(delta) < 5e-4:
            shown = "" if delta is None else "0"
        else:
            better = delta < 0 if m.name in LOWER_IS_BETTER else delta > 0
            colour = "green" if better else "red"
            number = (
                f"{delta:+,.1f}"
                if m.name in LOWER_IS_BETTER - {"mean_attempts"}
                else f"{delta:+.3f}"
            )
            shown = f"[{colour}]{number}[/{colour}]"
        gate = ("[red bold]FAIL[/red bold]" if m.regressed else "ok") if m.gated else ""
        table.add_row(m.name, _fmt(m.run, m.name), _fmt(m.baseline, m.name), shown, gate)
    console.print(table)

    moved = [c for c in comparison.cases if abs(c.run - c.baseline) >= 5e-4]
    if moved:
        console.print("Cases whose mean F1 moved (worst first):")
        for c in moved[:10]:
            console.print(
                f"  {c.case_id}: {c.baseline:.3f} -> {c.run:.3f} ({c.run - c.baseline:+.3f})"
            )
    for note in comparison.warnings:
        console.print(f"[yellow]warning:[/yellow] {note}")
    if comparison.passed:
        console.print(f"[green]gate passed[/green] (tolerance {comparison.tolerance})")
    else:
        names = ", ".join(m.name for m in comparison.regressions)
        console.print(
            f"[red bold]gate failed[/red bold]: {names} dropped by more than {comparison.tolerance}"
        )
