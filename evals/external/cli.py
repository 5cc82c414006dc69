"""`wirecoder eval external {muc4,wikievents,polnear} PATH`: adapt a benchmark read from its
native files, extract its documents with our extractor, score, print a table.

`--gold-only` prints what the adapter made of the gold labels and calls no model.
Exit codes: 0 ok; 2 bad input (nothing readable at PATH, an extractor that cannot be built).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api import llm
from api.config import LLMBackend, Settings
from evals.external.common import BenchmarkAdapter, ExternalDocument, gold_stats
from evals.external.registry import ADAPTERS
from evals.external.scoring import BenchmarkReport, score_benchmark
from evals.runner import extract_all
from schemas.contract import ArticleInput, OutcomeStatus

external_app = typer.Typer(
    help="Score extraction on external benchmarks read from their native formats.",
    no_args_is_help=True,
)
console = Console()


def load_documents(
    adapter: BenchmarkAdapter, path: Path, limit: int | None
) -> list[ExternalDocument]:
    if not path.exists():
        raise _fail(f"nothing at {path}")
    try:
        documents = adapter.load(path)
    except (OSError, ValueError, KeyError) as error:
        raise _fail(f"cannot read {adapter.name} from {path}: {error}") from None
    if not documents:
        raise _fail(f"no {adapter.name} documents found under {path}")
    return documents[:limit] if limit is not None else documents


def print_report(report: BenchmarkReport) -> None:
    table = Table(title=f"{report.benchmark}: {report.documents} documents")
    for column in ("", "TP", "FP", "FN", "P", "R", "F1"):
        table.add_column(column, justify="left" if not column else "right")
    for name, c in report.counts.items():
        table.add_row(
            name,
            str(c.tp),
            str(c.fp),
            str(c.fn),
            *(f"{v:.3f}" for v in (c.precision, c.recall, c.f1)),
        )
    console.print(table)
    for name, ratio in report.ratios.items():
        value = "n/a" if ratio.value is None else f"{ratio.value:.3f}"
        console.print(f"{name}: {value} ({ratio.correct}/{ratio.total})")
    console.print(
        f"failed extractions: {report.failed_extractions}; "
        f"gold items not mappable: {report.unmapped_total}"
    )


def print_gold_stats(adapter: BenchmarkAdapter, documents: list[ExternalDocument]) -> None:
    table = Table(title=f"{adapter.name}: adapted gold")
    table.add_column("item")
    table.add_column("count", justify="right")
    for item, n in gold_stats(documents).items():
        table.add_row(item, str(n))
    console.print(table)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def evaluate(
    adapter: BenchmarkAdapter,
    path: Path,
    *,
    limit: int | None,
    backend: LLMBackend | None,
    gold_only: bool,
    concurrency: int,
    out: Path | None,
) -> None:
    documents = load_documents(adapter, path, limit)
    if gold_only:
        print_gold_stats(adapter, documents)
        return
    settings = Settings() if backend is None else Settings(llm_backend=backend)
    try:
        extractor = llm.build_extractor(settings)
    except (RuntimeError, ValueError, OSError) as error:
        raise _fail(f"cannot build the extractor: {error}") from None
    outcomes = extract_all(
        [(d.doc_id, ArticleInput.of(d)) for d in documents],
        extractor,
        concurrency=concurrency,
        label="extract",
    )
    predictions = [o.result if o.status == OutcomeStatus.SUCCEEDED else None for o in outcomes]
    report = score_benchmark(adapter.name, documents, predictions)
    print_report(report)
    if out is not None:
        record = {
            "benchmark": adapter.name,
            "path": str(path),
            "limit": limit,
            "provenance": extractor.provenance.model_dump(mode="json"),
            "report": report.model_dump(mode="json"),
            "documents": [
                {"doc_id": d.doc_id, "outcome": o.model_dump(mode="json")}
                for d, o in zip(documents, outcomes, strict=True)
            ],
        }
        out.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
        console.print(f"record: {out}")


def _command(adapter: BenchmarkAdapter) -> Callable[..., None]:
    def command(
        path: Path = typer.Argument(..., help=adapter.path_help),  # help differs per command
        limit: Annotated[
            int | None, typer.Option(min=1, help="Only the first N documents.")
        ] = None,
        backend: Annotated[
            LLMBackend | None,
            typer.Option(help="replay (recorded answers), local or openai; default: Settings."),
        ] = None,
        gold_only: Annotated[
            bool, typer.Option("--gold-only", help="Print the adapted gold; call no model.")
        ] = False,
        concurrency: Annotated[int, typer.Option(min=1, help="Extractions at once.")] = 1,
        out: Annotated[
            Path | None, typer.Option(help="Write the report and every outcome here (JSON).")
        ] = None,
    ) -> None:
        evaluate(
            adapter,
            path,
            limit=limit,
            backend=backend,
            gold_only=gold_only,
            concurrency=concurrency,
            out=out,
        )

    command.__doc__ = f"Extract and score the {adapter.name} documents under PATH."
    return command


for _adapter in ADAPTERS.values():
    external_app.command(_adapter.name)(_command(_adapter))
