"""Run every benchmark and print a summary table.

    python -m benchmarks [--quick] [--only NAME,...] [--code DIR ...]

Each benchmark runs as its own process (`python -m benchmarks.NAME`), its output shown as it
comes; the table is read from the `SUMMARY {...}` line each prints. --quick uses the small
inputs the CI smoke test uses (a check that everything runs, not figures to compare). With
several --code checkouts (e.g. a `git worktree` of an older commit and this one) the
benchmarks that can alternate between them do, so before and after share the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks._harness import REPO, machine_load

# issue 9's parameters; storage_writes.py is another benchmark's (bulk database writes)
FULL_ARGS: dict[str, list[str]] = {
    "service_throughput": ["--articles", "200", "--concurrency", "1,4,16"],
    "slow_model_concurrency": [],
    "long_articles": [],
    "eval_suite": [],
    "storage_writes": [],
    "hybrid_speed": [],
    "grounding_speed": [],
    "component_floors": [],
}
QUICK_ARGS: dict[str, list[str]] = {
    "service_throughput": ["--articles", "5", "--concurrency", "2", "--warmup", "1"],
    "slow_model_concurrency": ["--articles", "6", "--delay", "0.2", "--concurrency", "3"],
    "long_articles": ["--sizes", "1000,3000", "--repeat", "1"],
    "eval_suite": ["--repeat", "1", "--case", "iraq-mosul-heatwave-no-event"],
    "storage_writes": ["--articles", "5"],
    "hybrid_speed": ["--repeat", "1", "--limit", "2"],
    "grounding_speed": ["--chars", "5000", "--needles", "8"],
    "component_floors": ["--repeat", "1", "--limit", "2", "--long-chars", "3000", "--jobs", "20"],
}
TAKES_CODE = {"service_throughput", "slow_model_concurrency", "long_articles", "eval_suite"}


def summaries(output: str) -> list[dict[str, Any]]:
    return [
        json.loads(line.removeprefix("SUMMARY "))
        for line in output.splitlines()
        if line.startswith("SUMMARY ")
    ]


def run(name: str, args: list[str], code: Path | None) -> tuple[int, str]:
    """One benchmark as a process; with `code`, that checkout is first on PYTHONPATH."""
    env = dict(os.environ)
    cwd = REPO
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), str(REPO)])
        cwd = code
    process = subprocess.Popen(
        [sys.executable, "-m", f"benchmarks.{name}", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if not line.startswith("SUMMARY "):
            print(f"  | {line}", end="", flush=True)
    return process.wait(), "".join(lines)


def headline(row: dict[str, Any]) -> str:
    """The figures the issue's targets are about, for one SUMMARY row."""
    name = row["benchmark"]
    if name == "service_throughput":
        p95 = row.get("start_latency_ms", {}).get("p95")
        idle = row.get("idle_start_latency_ms", {}).get("median")
        return (
            f"c={row['concurrency']}: {row['articles_per_s']:.2f} articles/s, "
            f"{row['cpu_ms_per_article']:.1f} CPU ms/article, start p95 {p95} ms, "
            f"free-slot start {idle} ms ({row['succeeded']}/{row['articles']} stored)"
        )
    if name == "slow_model_concurrency":
        return (
            f"wall {row['wall_s']:.1f} s vs ideal {row['ideal_s']:.1f} s = {row['ratio']:.3f}×, "
            f"{row['busy_slots']:.1f}/{row['concurrency']} slots busy"
        )
    if name == "long_articles":
        sizes = row["sizes"]
        largest = sizes[-1]
        return (
            f"{largest['chars']:,} chars: {largest['wall_s']:.2f} s; exponent fit "
            f"{row.get('exponent_fit')}, last step {row.get('exponent_last')}"
        )
    if name == "eval_suite":
        return (
            f"wall {row['wall']:.2f} s, CPU {row['cpu']:.2f} s, import api.cli "
            f"{row['import_wall']:.2f} s"
        )
    if name == "component_floors":
        dbos = ", ".join(
            f"c={r['concurrency']} {r['jobs_per_s']:.1f} jobs/s {r['cpu_ms_per_job']:.2f} CPU ms"
            for r in row["dbos"]
        )
        long = row.get("spacy_long") or {}
        longest = f", {long['chars']:,} chars {long['cpu_s']:.2f} s" if long else ""
        return (
            f"spaCy {row['spacy']['mean_cpu_ms']:.1f} CPU ms/article{longest}; DBOS alone "
            f"{dbos or 'not run'}"
        )
    figures = {k: v for k, v in row.items() if k not in ("benchmark", "code")}
    return json.dumps(figures, sort_keys=True)[:110]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs (the CI smoke run)")
    parser.add_argument("--only", default="", help="comma list of benchmark names")
    parser.add_argument("--code", type=Path, action="append", help="checkout(s) to measure")
    args = parser.parse_args(argv)
    table = QUICK_ARGS if args.quick else FULL_ARGS
    names = [n for n in table if not args.only or n in args.only.split(",")]
    codes = [code.resolve() for code in args.code or []]
    print(f"benchmarks: {machine_load()}")

    rows: list[tuple[str, str, str]] = []
    failed = []
    for name in names:
        if not (REPO / "benchmarks" / f"{name}.py").exists():
            print(f"\n== {name}: not in this checkout, skipped")
            continue
        passes: list[tuple[list[str], Path | None]]
        if name in TAKES_CODE:
            passes = [([*table[name], *(a for c in codes for a in ("--code", str(c)))], None)]
        else:
            passes = [(table[name], code) for code in codes] or [(table[name], None)]
        for extra, code in passes:
            if code is not None and not (code / "benchmarks" / f"{name}.py").exists():
                print(f"\n== {name}: not in {code}, skipped there")  # an older checkout
                continue
            print(f"\n== {name} {' '.join(extra)}", flush=True)
            status, output = run(name, extra, code)
            if status != 0:
                failed.append(name)
                rows.append((name, str(code or "-"), f"FAILED (exit {status})"))
            for row in summaries(output):
                rows.append((name, str(row.get("code") or code or "-"), headline(row)))

    print(f"\nsummary ({machine_load()})")
    width = max((len(n) for n, _, _ in rows), default=10)
    for name, where, figures in rows:
        print(f"  {name:<{width}}  {Path(where).name or where:<12}  {figures}")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
