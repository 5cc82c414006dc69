"""Articles per second POST → stored through the real service with a zero-latency model.

    python -m benchmarks.service_throughput [--articles 200] [--concurrency 1,4,16]
        [--delay 0] [--workers N] [--database-url postgresql://...] [--code DIR ...]

Starts tests/scripted_openai_server.py (the smallest valid answer to every request's schema,
after --delay seconds) and `wirecoder serve` on a fresh data dir (SQLite unless
--database-url), posts a few warm-up articles, then --articles distinct articles (gold texts
with a marker each) from 4 threads, and waits until every job is finished in the database.
Per run it prints: articles/s POST → stored, the service processes' CPU per article (from
/proc) split by phase (http / queue / pipeline / model-call overhead / db, from a sampler in
each service process, benchmarks/_sampler.py), model calls per article, queue start latency
(job started_at − created_at) median and p95, and the processes' RSS at start and end.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from benchmarks._harness import (
    JobCounter,
    Load,
    ServiceOptions,
    add_service_arguments,
    distinct_articles,
    idle_start_latency,
    machine_load,
    median,
    percentile,
    run_load,
    running_stack,
    service_runs,
    summary_line,
    warm_up,
)
from benchmarks._sampler import PHASES


def measure(
    options: ServiceOptions,
    *,
    articles: int,
    delay_s: float,
    warmup: int,
    posters: int,
    idle_probes: int,
) -> tuple[Load, list[float], bool]:
    run_id = uuid.uuid4().hex[:8]
    with running_stack(options, delay_s) as (service, model):
        warm_up(service, warmup, run_id)
        counter = JobCounter(service.options.database_url, service.workdir / "data")
        try:
            load = run_load(
                service, model, counter, distinct_articles(articles, run_id), posters=posters
            )
            idle = idle_start_latency(service, counter, idle_probes, run_id)
        finally:
            counter.dispose()
        return load, idle, service.workers_flag


def describe(options: ServiceOptions, workers_flag: bool, delay_s: float) -> str:
    workers = f"{options.workers}" if workers_flag else "- (one process)"
    if options.workers is not None and not workers_flag:
        workers += f"; --workers {options.workers} not supported by this checkout"
    db = "postgresql" if options.database_url else "sqlite"
    return (
        f"code {options.code_dir}  concurrency {options.concurrency}  workers {workers}  "
        f"db {db}  prompt {options.prompt_version or 'default'}  model delay {delay_s:.3f} s"
    )


def report(load: Load) -> dict[str, Any]:
    """Print one run's figures; return them for the summary."""
    n = load.articles
    rate = n / load.stored_s
    succeeded = load.statuses.get("succeeded", 0)
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(load.statuses.items()))
    print(
        f"  stored {sum(load.statuses.values())}/{n} ({statuses}) in {load.stored_s:.2f} s: "
        f"{rate:.2f} articles/s POST → stored (POSTs answered in {load.post_s:.2f} s)"
    )
    cpu_ms = load.cpu_s * 1000 / n
    print(f"  service CPU {cpu_ms:.1f} ms/article over {load.processes} process(es)")
    figures: dict[str, Any] = {
        "articles": n,
        "succeeded": succeeded,
        "articles_per_s": round(rate, 3),
        "cpu_ms_per_article": round(cpu_ms, 2),
        "model_calls_per_article": round(load.model_calls / n, 3),
    }
    if load.phases_s is None:
        print("  by phase: not measured (--no-profile, or a process did not report)")
    else:
        attributed = sum(load.phases_s.get(p, 0.0) for p in PHASES)
        sampler = load.phases_s.get("sampler", 0.0)
        rest = load.cpu_s - attributed - sampler
        parts = [f"{p} {load.phases_s.get(p, 0.0) * 1000 / n:.1f}" for p in PHASES]
        print(
            "  by phase, ms/article: "
            + "  ".join(parts)
            + f"  | sampler {sampler * 1000 / n:.1f}  unattributed {rest * 1000 / n:.1f}"
            " (threads outside Python, e.g. native pools, and sampling error)"
        )
        figures["phase_ms_per_article"] = {
            p: round(load.phases_s.get(p, 0.0) * 1000 / n, 2) for p in PHASES
        }
    latency = load.start_latency_s
    if latency:
        print(
            f"  model calls {load.model_calls / n:.2f}/article; queue start latency "
            f"(started_at − created_at) median {median(latency) * 1000:.0f} ms, "
            f"p95 {percentile(latency, 0.95) * 1000:.0f} ms"
        )
        figures["start_latency_ms"] = {
            "median": round(median(latency) * 1000, 1),
            "p95": round(percentile(latency, 0.95) * 1000, 1),
        }
    print(f"  RSS {load.rss_start_mib:.0f} MiB at start, {load.rss_end_mib:.0f} MiB at end")
    figures["rss_mib"] = {"start": round(load.rss_start_mib), "end": round(load.rss_end_mib)}
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.0, help="model seconds per call")
    parser.add_argument("--warmup", type=int, default=3, help="articles before the timed load")
    parser.add_argument("--posters", type=int, default=4, help="client threads posting")
    parser.add_argument(
        "--idle-probes",
        type=int,
        default=5,
        help="articles posted one at a time after the load: start latency with a free slot",
    )
    add_service_arguments(parser, concurrency="16")
    args = parser.parse_args(argv)

    rows = []
    for options in service_runs(args):
        print(f"service_throughput: {machine_load()}")
        load, idle, workers_flag = measure(
            options,
            articles=args.articles,
            delay_s=args.delay,
            warmup=args.warmup,
            posters=args.posters,
            idle_probes=args.idle_probes,
        )
        print(f"  {describe(options, workers_flag, args.delay)}")
        figures = report(load)
        if idle:
            print(
                f"  start latency with a free slot ({len(idle)} articles one at a time): "
                f"median {median(idle) * 1000:.0f} ms, max {max(idle) * 1000:.0f} ms"
            )
            figures["idle_start_latency_ms"] = {
                "median": round(median(idle) * 1000, 1),
                "max": round(max(idle) * 1000, 1),
            }
        print(f"  {machine_load()}")
        figures |= {"code": str(options.code_dir), "concurrency": options.concurrency}
        rows.append(figures)
        print(summary_line("service_throughput", figures))
    if len(rows) > 1:
        print("\n  concurrency  articles/s  CPU ms/article  start p95 ms  code")
        for row in rows:
            p95 = row.get("start_latency_ms", {}).get("p95", float("nan"))
            print(
                f"  {row['concurrency']:>11}  {row['articles_per_s']:>10.2f}  "
                f"{row['cpu_ms_per_article']:>14.1f}  {p95:>12.0f}  {row['code']}"
            )


if __name__ == "__main__":
    main()
