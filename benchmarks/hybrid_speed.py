"""Time prompt v3's rules (stage 0, no model) on the gold articles, and the memory they hold.

    python -m benchmarks.hybrid_speed [--repeat 3] [--limit N]

Loads the spaCy pipeline and opens the gazetteer once (as the extractor does), then runs
`api.llm.coding.analyse` on every gold article `--repeat` times: per-article milliseconds
(median, 95th percentile, max) and characters per second; the process's peak resident memory
after loading and after the runs. Target: the rules stay well under a second per article on 2
cores, so the model's question is what an article waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time

from api.llm.actors import AliasTable
from api.llm.coding import analyse
from api.llm.gazetteer import load_gazetteer
from api.llm.nlp import load_pipeline
from evals.gold import load_gold


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)

    before = peak_rss_mb()
    started = time.perf_counter()
    nlp, gazetteer, aliases = load_pipeline(), load_gazetteer(), AliasTable.load()
    gazetteer.country("Syria")  # opens (or, the first time on a machine, builds) the file
    load_s = time.perf_counter() - started
    loaded = peak_rss_mb()

    cases = load_gold()[: args.limit] if args.limit else load_gold()
    timings: list[float] = []
    chars = 0
    for _ in range(args.repeat):
        for case in cases:
            t0 = time.perf_counter()
            analyse(case.text, aliases, nlp, gazetteer=gazetteer, dateline=case.dateline)
            timings.append(time.perf_counter() - t0)
            chars += len(case.text)
    total = sum(timings)
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"load (spaCy + gazetteer + table): {load_s:.2f} s")
    print(f"articles: {len(cases)} x {args.repeat}; total {total:.2f} s")
    print(
        f"per article: median {statistics.median(timings) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms; "
        f"{chars / total:,.0f} chars/s"
    )
    after = peak_rss_mb()
    print(f"peak RSS: {before:.0f} MB at start, {loaded:.0f} MB loaded, {after:.0f} MB after")
    print(f"load {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    figures = {
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
    }
    print("SUMMARY " + json.dumps({"benchmark": "hybrid_speed", **figures}))


if __name__ == "__main__":
    main()
