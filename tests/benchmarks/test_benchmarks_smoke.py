"""A quick run of every benchmark script (small inputs), so none rots unnoticed; the figures
themselves are read from the scripts' output, never asserted as timings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SMOKE_ARGS = {
    "grounding_speed.py": ["--chars", "5000", "--needles", "8"],
    "hybrid_speed.py": ["--repeat", "1", "--limit", "2"],
}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"benchmark_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_has_smoke_arguments() -> None:
    assert {p.name for p in BENCHMARKS.glob("*.py")} == set(SMOKE_ARGS)


@pytest.mark.parametrize("name", sorted(SMOKE_ARGS))
def test_benchmark_runs_and_prints_its_figures(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _load(BENCHMARKS / name).main(SMOKE_ARGS[name])
    assert "ms" in capsys.readouterr().out
