"""A quick run of every benchmark script (small inputs), so none rots unnoticed. The figures
are read from each script's `SUMMARY {...}` line and checked for presence and sanity (every
article stored, a ratio above zero), never as timings."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import QUICK_ARGS

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SMOKE_ARGS = {
    "service_throughput.py": ["--articles", "5", "--concurrency", "2", "--warmup", "1"],
    "slow_model_concurrency.py": ["--articles", "6", "--delay", "0.2", "--concurrency", "3"],
    "long_articles.py": ["--sizes", "1000,3000", "--repeat", "1"],
    "eval_suite.py": ["--repeat", "1", "--case", "iraq-mosul-heatwave-no-event"],
    "storage_writes.py": ["--articles", "5"],  # the bulk-writes benchmark (another change)
    "hybrid_speed.py": ["--repeat", "1", "--limit", "2"],
    "grounding_speed.py": ["--chars", "5000", "--needles", "8"],
    "component_floors.py": QUICK_ARGS["component_floors"],
    "__main__.py": ["--quick", "--only", "grounding_speed"],
}
# written by the bulk database writes change; its smoke run waits until the file is there
NOT_YET_WRITTEN = {"storage_writes.py"}

pytestmark = pytest.mark.slow


def _scripts() -> set[str]:
    """Every benchmark: the modules of benchmarks/ but the package's own and private ones."""
    return {
        p.name
        for p in BENCHMARKS.glob("*.py")
        if p.name == "__main__.py" or not p.name.startswith("_")
    }


def _summaries(output: str) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("SUMMARY "))
        for line in output.splitlines()
        if line.startswith("SUMMARY ")
    ]


def test_every_benchmark_has_smoke_arguments() -> None:
    present = _scripts()
    assert present - set(SMOKE_ARGS) == set(), "a benchmark without smoke arguments"
    assert set(SMOKE_ARGS) - present <= NOT_YET_WRITTEN
    assert {f"{name}.py" for name in QUICK_ARGS} == set(SMOKE_ARGS) - {"__main__.py"}


def _check(row: dict[str, Any]) -> None:
    name = row["benchmark"]
    if name in ("service_throughput", "slow_model_concurrency"):
        assert row["succeeded"] == row["articles"] > 0  # every article stored
        assert row.get("articles_per_s", 1) > 0 and row.get("ratio", 1) > 0
    if name == "service_throughput":
        assert row["cpu_ms_per_article"] > 0
        assert set(row["phase_ms_per_article"]) >= {"http", "queue", "pipeline", "model", "db"}
        assert row["start_latency_ms"]["median"] >= 0
    if name == "slow_model_concurrency":
        assert row["model_calls_per_article"] >= 0 and row["busy_slots"] > 0
    if name == "long_articles":
        assert [s["status"] for s in row["sizes"]] == ["succeeded"] * len(row["sizes"])
        assert all(s["wall_s"] > 0 for s in row["sizes"]) and "exponent_fit" in row
    if name == "eval_suite":
        assert row["wall"] > 0 and row["cpu"] > 0 and row["import_wall"] > 0
    if name == "component_floors":
        spacy = row["spacy"]
        assert spacy["articles"] > 0 and spacy["tokens"] > 0 and spacy["tokens_per_s"] > 0
        assert spacy["mean_cpu_ms"] > 0 and spacy["median_wall_ms"] > 0
        assert set(spacy["components_cpu_ms"]) >= {"tok2vec", "parser", "ner"}
        assert sum(spacy["components_cpu_ms"].values()) > 0
        assert row["spacy_long"]["tokens"] > 0 and row["spacy_long"]["cpu_s"] > 0
        assert [r["concurrency"] for r in row["dbos"]] == [16, 1]
        for dbos in row["dbos"]:  # every job ran, and cost something
            assert dbos["succeeded"] == dbos["jobs"] * dbos["rounds"] > 0
            assert dbos["jobs_per_s"] > 0 and dbos["cpu_ms_per_job"] > 0
        assert row["targets"]["cpu_ms_per_article_at_300"]["budget"] > 0


@pytest.mark.parametrize("name", sorted(SMOKE_ARGS))
def test_benchmark_runs_and_prints_its_figures(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if not (BENCHMARKS / name).exists():
        pytest.skip(f"benchmarks/{name} is not written yet")
    module = importlib.import_module(f"benchmarks.{name.removesuffix('.py')}")
    if inspect.signature(module.main).parameters:
        module.main(SMOKE_ARGS[name])
        output = capsys.readouterr().out
    else:  # a main() that reads sys.argv itself: as a process
        done = subprocess.run(
            [sys.executable, "-m", module.__name__, *SMOKE_ARGS[name]],
            cwd=BENCHMARKS.parent,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        output = done.stdout
    rows = _summaries(output)
    if name == "__main__.py":  # its child's SUMMARY line is read into its table
        assert "summary (load" in output and "ms_per_needle" in output
        return
    if name == "storage_writes.py" and not rows:  # another change's format
        assert "ms" in output
        return
    assert rows, f"no SUMMARY line from {name}"
    for row in rows:
        _check(row)
