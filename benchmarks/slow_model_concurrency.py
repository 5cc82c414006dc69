"""Whether a slow model keeps every queue slot busy: wall time against the ideal.

    python -m benchmarks.slow_model_concurrency [--articles 200] [--delay 1.0]
        [--concurrency 16] [--code DIR ...]

The service_throughput harness with a model that answers after --delay seconds. The ideal
is what the model alone needs: model calls (counted by the model server) × delay /
concurrency. It prints the wall time POST → stored, the ideal, their ratio (issue 9's
target: ≤ 1.10), the slots busy on average (the jobs' summed running time / wall) and the
model calls in flight on average (calls × delay / wall).
"""

from __future__ import annotations

import argparse
import uuid

from benchmarks._harness import (
    JobCounter,
    add_service_arguments,
    distinct_articles,
    machine_load,
    run_load,
    running_stack,
    service_runs,
    summary_line,
    warm_up,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--delay", type=float, default=1.0, help="model seconds per call")
    parser.add_argument("--warmup", type=int, default=2)
    add_service_arguments(parser, concurrency="16")
    args = parser.parse_args(argv)

    for options in service_runs(args):
        run_id = uuid.uuid4().hex[:8]
        print(f"slow_model_concurrency: {machine_load()}")
        print(
            f"  code {options.code_dir}  concurrency {options.concurrency}  "
            f"articles {args.articles}  model delay {args.delay:.2f} s"
        )
        with running_stack(options, args.delay) as (service, model):
            warm_up(service, args.warmup, run_id)
            counter = JobCounter(service.options.database_url, service.workdir / "data")
            try:
                load = run_load(
                    service,
                    model,
                    counter,
                    distinct_articles(args.articles, run_id),
                    posters=4,
                )
            finally:
                counter.dispose()
        wall = load.stored_s
        per_article = load.model_calls / load.articles
        ideal = load.model_calls * args.delay / options.concurrency
        ratio = wall / ideal if ideal else float("nan")
        busy = sum(load.running_s) / wall
        in_flight = load.model_calls * args.delay / wall
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(load.statuses.items()))
        print(f"  stored {sum(load.statuses.values())}/{load.articles} ({statuses})")
        print(
            f"  wall {wall:.2f} s; ideal {ideal:.2f} s ({per_article:.2f} model calls/article "
            f"× {load.articles} × {args.delay:.2f} s / {options.concurrency}); "
            f"ratio {ratio:.3f}× ideal"
        )
        print(
            f"  slots busy on average {busy:.2f} of {options.concurrency} (jobs running); "
            f"model calls in flight on average {in_flight:.2f}"
        )
        print(f"  {machine_load()}")
        print(
            summary_line(
                "slow_model_concurrency",
                {
                    "code": str(options.code_dir),
                    "articles": load.articles,
                    "succeeded": load.statuses.get("succeeded", 0),
                    "concurrency": options.concurrency,
                    "wall_s": round(wall, 3),
                    "ideal_s": round(ideal, 3),
                    "ratio": round(ratio, 3),
                    "model_calls_per_article": round(per_article, 3),
                    "busy_slots": round(busy, 2),
                    "calls_in_flight": round(in_flight, 2),
                },
            )
        )


if __name__ == "__main__":
    main()
