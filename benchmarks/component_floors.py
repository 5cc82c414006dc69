"""What the components the project mandates cost on their own: spaCy and the DBOS queue.

    python -m benchmarks.component_floors [--repeat 3] [--limit N] [--long-chars 100000]
        [--jobs 400] [--concurrency 16,1]

Issue 9's targets (zero-latency model, 2 cores) are compared with the floor these two set,
with no wirecoder code around them:

- spaCy: `en_core_web_sm` 3.8.0 as the hybrid pipeline runs it (`load_pipeline`, then
  `parse_sentences(split_sentences(text))`, one batch per article) over every gold article,
  `--repeat` times: per article the median and mean CPU and wall milliseconds, tokens per
  second, and each component's share (the tokenizer, then every pipe timed over the article's
  docs the way `Language.pipe` chains them); the same for one `--long-chars` article
  (gold texts concatenated, as benchmarks/long_articles.py builds it).
- DBOS: one workflow per job with one `DBOS.run_step` of a function that does nothing (the
  shape of api/jobs.py's `wirecoder.extract_article` with one try), `--jobs` of them enqueued
  with `SetWorkflowID` on a queue registered with api/jobs.py's `queue_options` (the project's
  polling interval, the rate limit lifted as the service benchmarks lift it), its system
  database on SQLite in a temp dir. Per `--concurrency`: jobs per second from the first
  enqueue until every workflow is finished, and the process's CPU milliseconds per job
  (enqueueing included: the service's API does that too). DBOS is one per process: each
  concurrency runs in a subprocess, warmed up with a few jobs before the measured rounds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks._harness import REPO, gold_articles, machine_load, median, summary_line

# issue 9's targets, zero-latency model, on its 2-core machine
TARGET_ARTICLES_PER_S = 300  # at concurrency 16
TARGET_CORES = 2
TARGET_SEQUENTIAL_PER_S = 20  # at queue concurrency 1
TARGET_NON_MODEL_CPU_MS = 25.0  # per article
TARGET_LONG_S = 1.0  # a 100k-character article's non-model work
DBOS_QUEUE = "component_floors"
DBOS_WARMUP_JOBS = 5


# ---- spaCy ----------------------------------------------------------------------------------


def component_cpu_s(nlp: Any, sentence_texts: list[str]) -> dict[str, float]:
    """CPU seconds of the tokenizer and of each pipe over one article's sentences, chained as
    `Language.pipe` chains them (each pipe over every doc before the next)."""
    started = time.process_time()
    docs = [nlp.make_doc(text) for text in sentence_texts]
    seconds = {"tokenizer": time.process_time() - started}
    for name, proc in nlp.pipeline:
        started = time.process_time()
        if hasattr(proc, "pipe"):
            docs = list(proc.pipe(docs, batch_size=nlp.batch_size))
        else:
            docs = [proc(doc) for doc in docs]
        seconds[name] = time.process_time() - started
    return seconds


def parse_once(nlp: Any, text: str) -> dict[str, float]:
    """One article through our sentence split and spaCy, as the hybrid pipeline runs it."""
    from api.llm.nlp import parse_sentences
    from api.llm.sentences import split_sentences

    started = time.perf_counter()
    sentences = split_sentences(text)
    split_s = time.perf_counter() - started
    wall0, cpu0 = time.perf_counter(), time.process_time()
    parsed = parse_sentences(sentences, nlp)
    return {
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "split_s": split_s,
        "sentences": len(sentences),
        "tokens": sum(len(p.doc) for p in parsed),
    }


def measure_spacy(texts: list[str], repeat: int) -> dict[str, Any]:
    """Per-article medians over `repeat` passes, then their median and mean over articles;
    each component's CPU per article (the median pass)."""
    from api.llm.nlp import load_pipeline
    from api.llm.sentences import split_sentences

    started = time.perf_counter()
    nlp = load_pipeline()
    load_s = time.perf_counter() - started
    parse_once(nlp, texts[0])  # spaCy's lazy parts (lemmatizer tables) load on first use

    sentence_texts = [[s.text for s in split_sentences(text)] for text in texts]
    runs: list[list[dict[str, float]]] = [[] for _ in texts]
    passes: list[dict[str, float]] = []
    for _ in range(repeat):
        for i, text in enumerate(texts):
            runs[i].append(parse_once(nlp, text))
        total: dict[str, float] = {}
        for article in sentence_texts:
            for name, seconds in component_cpu_s(nlp, article).items():
                total[name] = total.get(name, 0.0) + seconds
        passes.append(total)
    per_article = [
        {k: median([r[k] for r in article]) for k in ("wall_s", "cpu_s", "split_s")}
        | {"tokens": article[0]["tokens"], "sentences": article[0]["sentences"]}
        for article in runs
    ]
    tokens = sum(a["tokens"] for a in per_article)
    cpu = [a["cpu_s"] * 1000 for a in per_article]
    wall = [a["wall_s"] * 1000 for a in per_article]
    return {
        "pipeline": f"{nlp.meta['lang']}_{nlp.meta['name']} {nlp.meta['version']}",
        "load_s": round(load_s, 3),
        "articles": len(texts),
        "repeat": repeat,
        "sentences": sum(int(a["sentences"]) for a in per_article),
        "tokens": int(tokens),
        "median_cpu_ms": round(median(cpu), 2),
        "mean_cpu_ms": round(sum(cpu) / len(cpu), 2),
        "median_wall_ms": round(median(wall), 2),
        "mean_wall_ms": round(sum(wall) / len(wall), 2),
        "tokens_per_s": round(tokens / max(sum(a["cpu_s"] for a in per_article), 1e-9)),
        "split_ms_mean": round(sum(a["split_s"] for a in per_article) * 1000 / len(texts), 3),
        "components_cpu_ms": {
            name: round(median([p[name] for p in passes]) * 1000 / len(texts), 3)
            for name in passes[0]
        },
    }


# ---- DBOS -----------------------------------------------------------------------------------


class Finished:
    """Counts workflows whose step has run, so waiting for them costs no database poll."""

    def __init__(self) -> None:
        self.count = 0
        self.condition = threading.Condition()

    def add(self) -> None:
        with self.condition:
            self.count += 1
            self.condition.notify_all()

    def wait_for(self, count: int, timeout_s: float) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: self.count >= count, timeout=timeout_s):
                raise RuntimeError(f"only {self.count} of {count} DBOS jobs ran")


def measure_dbos(concurrency: int, jobs: int, repeat: int, idle_s: float) -> dict[str, Any]:
    """The DBOS part, in a process of its own (DBOS is one per process)."""
    from dbos import DBOS, DBOSConfig, SetWorkflowID

    from api.config import Settings
    from api.jobs import queue_options

    finished = Finished()

    def nothing(number: int) -> str:  # the try: the extraction left out
        return f"done {number}"

    @DBOS.workflow(name="component_floors.job")
    def job(number: int) -> str:
        result = DBOS.run_step({"name": "extraction_try_1"}, nothing, number)
        finished.add()
        return result

    settings = Settings(queue_concurrency=concurrency, queue_rate_limit=100_000_000)
    options = queue_options(settings)
    with tempfile.TemporaryDirectory(prefix="wirecoder-bench-dbos-") as data_dir:
        config: DBOSConfig = {
            "name": "wirecoder-component-floors",
            "system_database_url": f"sqlite:///{Path(data_dir) / 'dbos.sqlite'}",
            "log_level": "WARNING",
            "executor_id": "component-floors",
            "application_version": "component-floors-1",
        }
        started = time.perf_counter()
        DBOS(config=config)
        DBOS.launch()
        queue = DBOS.register_queue(DBOS_QUEUE, **options, on_conflict="always_update")
        launch_s = time.perf_counter() - started

        def unfinished() -> bool:
            return bool(
                DBOS.list_workflows(
                    queue_name=DBOS_QUEUE,
                    status=["ENQUEUED", "PENDING"],
                    load_input=False,
                    load_output=False,
                    limit=1,
                )
            )

        def run_round(label: str, count: int) -> dict[str, float]:
            target = finished.count + count
            wall0, cpu0 = time.perf_counter(), time.process_time()
            for i in range(count):
                with SetWorkflowID(f"floor-{label}-{i}"):
                    queue.enqueue(job, i)
            enqueue_s = time.perf_counter() - wall0
            finished.wait_for(target, timeout_s=60 + count * 2.0)
            while unfinished():  # the last workflows' own status writes
                time.sleep(0.002)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            return {"wall_s": wall, "cpu_s": cpu, "enqueue_s": enqueue_s}

        try:
            run_round("warmup", DBOS_WARMUP_JOBS)
            rounds = [run_round(f"round{n}", jobs) for n in range(repeat)]
            cpu0 = time.process_time()
            time.sleep(idle_s)  # the queue's polling with nothing to do
            idle_cpu_s = time.process_time() - cpu0
            succeeded = len(
                DBOS.list_workflows(
                    queue_name=DBOS_QUEUE, status="SUCCESS", load_input=False, load_output=False
                )
            )
        finally:
            DBOS.destroy(workflow_completion_timeout_sec=0)
    expected = DBOS_WARMUP_JOBS + jobs * repeat
    if succeeded != expected:
        raise RuntimeError(f"{succeeded} of {expected} DBOS workflows succeeded")
    wall = median([r["wall_s"] for r in rounds])
    return {
        "concurrency": concurrency,
        "jobs": jobs,
        "rounds": repeat,
        "succeeded": succeeded - DBOS_WARMUP_JOBS,
        "poll_s": options["polling_interval_sec"],
        "launch_s": round(launch_s, 3),
        "jobs_per_s": round(jobs / wall, 2),
        "ms_per_job": round(wall * 1000 / jobs, 3),
        "cpu_ms_per_job": round(median([r["cpu_s"] for r in rounds]) * 1000 / jobs, 3),
        "enqueue_ms_per_job": round(median([r["enqueue_s"] for r in rounds]) * 1000 / jobs, 3),
        "idle_cpu_ms_per_s": round(idle_cpu_s * 1000 / idle_s, 2),
    }


def run_dbos_child(concurrency: int, jobs: int, repeat: int, idle_s: float) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.component_floors",
            "--dbos-child",
            str(concurrency),
            "--jobs",
            str(jobs),
            "--repeat",
            str(repeat),
            "--idle",
            str(idle_s),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120 + jobs * repeat * 2,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"the DBOS run at concurrency {concurrency} failed:\n{result.stderr[-3000:]}"
        )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# ---- the report -----------------------------------------------------------------------------


def _components(figures: dict[str, float], unit: str) -> str:
    return ", ".join(f"{name} {value:g}" for name, value in figures.items()) + f" {unit}"


def against_targets(
    spacy: dict[str, Any], long: dict[str, Any] | None, dbos: list[dict[str, Any]]
) -> dict[str, Any]:
    """Each target's budget beside what the mandated components take of it."""
    by_level = {row["concurrency"]: row for row in dbos}
    busiest = max(dbos, key=lambda row: row["concurrency"]) if dbos else None
    budget_ms = TARGET_CORES * 1000 / TARGET_ARTICLES_PER_S
    targets: dict[str, Any] = {
        "cpu_ms_per_article_at_300": {
            "budget": round(budget_ms, 2),
            "spacy": spacy["mean_cpu_ms"],
            "dbos": busiest["cpu_ms_per_job"] if busiest else None,
            "dbos_concurrency": busiest["concurrency"] if busiest else None,
        },
        "non_model_cpu_ms": {"budget": TARGET_NON_MODEL_CPU_MS, "spacy": spacy["mean_cpu_ms"]},
    }
    if 1 in by_level:
        targets["ms_per_article_at_concurrency_1"] = {
            "budget": 1000 / TARGET_SEQUENTIAL_PER_S,
            "spacy": spacy["mean_wall_ms"],
            "dbos": by_level[1]["ms_per_job"],
        }
    if long is not None:
        targets["long_article_s"] = {
            "budget": TARGET_LONG_S,
            "chars": long["chars"],
            "spacy": long["cpu_s"],
        }
    return targets


def _verdict(budget: float, used: float) -> str:
    share = used / budget if budget else float("inf")
    return f"{share:.0%} of the budget" + (" — over it" if used > budget else "")


def report(
    spacy: dict[str, Any],
    long: dict[str, Any] | None,
    dbos: list[dict[str, Any]],
    targets: dict[str, Any],
) -> None:
    print(
        f"  spaCy {spacy['pipeline']} (loaded in {spacy['load_s']:.2f} s) over our sentences, "
        f"{spacy['articles']} gold articles × {spacy['repeat']}:"
    )
    print(
        f"    per article: CPU median {spacy['median_cpu_ms']:.1f} ms, mean "
        f"{spacy['mean_cpu_ms']:.1f} ms; wall median {spacy['median_wall_ms']:.1f} ms, mean "
        f"{spacy['mean_wall_ms']:.1f} ms; {spacy['tokens'] / spacy['articles']:.0f} tokens, "
        f"{spacy['tokens_per_s']:,} tokens/s (our sentence split: "
        f"{spacy['split_ms_mean']:.2f} ms)"
    )
    print(f"    per component, CPU per article: {_components(spacy['components_cpu_ms'], 'ms')}")
    if long is not None:
        print(
            f"  spaCy on one {long['chars']:,}-char article ({long['sentences']} sentences, "
            f"{long['tokens']:,} tokens) × {long['runs']}: CPU {long['cpu_s']:.2f} s, wall "
            f"{long['wall_s']:.2f} s (our sentence split: {long['split_s'] * 1000:.1f} ms)"
        )
        print(f"    per component, CPU: {_components(long['components_cpu_s'], 's')}")
    for row in dbos:
        print(
            f"  DBOS alone, concurrency {row['concurrency']} (poll {row['poll_s']} s), "
            f"{row['jobs']} jobs × {row['rounds']}: {row['jobs_per_s']:.1f} jobs/s "
            f"({row['ms_per_job']:.1f} ms each), CPU {row['cpu_ms_per_job']:.2f} ms/job "
            f"(enqueueing took {row['enqueue_ms_per_job']:.2f} ms wall/job); idle "
            f"{row['idle_cpu_ms_per_s']:.0f} ms CPU/s; {row['succeeded']} succeeded"
        )
    print("  against issue 9's targets:")
    at_300 = targets["cpu_ms_per_article_at_300"]
    both = at_300["spacy"] + (at_300["dbos"] or 0.0)
    print(
        f"    {TARGET_ARTICLES_PER_S}/s on {TARGET_CORES} cores allows {at_300['budget']:.1f} ms "
        f"CPU per article: spaCy alone {at_300['spacy']:.1f} ms, DBOS alone "
        + (
            f"{at_300['dbos']:.2f} ms (c={at_300['dbos_concurrency']})"
            if at_300["dbos"] is not None
            else "not run"
        )
        + f"; together {both:.1f} ms = {_verdict(at_300['budget'], both)}"
    )
    sequential = targets.get("ms_per_article_at_concurrency_1")
    if sequential:
        both = sequential["spacy"] + sequential["dbos"]
        print(
            f"    {TARGET_SEQUENTIAL_PER_S}/s at concurrency 1 allows {sequential['budget']:.0f} "
            f"ms per article: spaCy alone {sequential['spacy']:.1f} ms wall, the DBOS queue "
            f"alone {sequential['dbos']:.1f} ms per job; together {both:.1f} ms = "
            f"{_verdict(sequential['budget'], both)}"
        )
    non_model = targets["non_model_cpu_ms"]
    print(
        f"    non-model CPU ≤ {non_model['budget']:.0f} ms per article: spaCy alone "
        f"{non_model['spacy']:.1f} ms = {_verdict(non_model['budget'], non_model['spacy'])}"
    )
    if "long_article_s" in targets:
        one = targets["long_article_s"]
        print(
            f"    {one['chars']:,} chars ≤ {one['budget']:.0f} s: spaCy alone "
            f"{one['spacy']:.2f} s CPU = {_verdict(one['budget'], one['spacy'])}"
        )
    print(f"  {machine_load()}")
    print(
        summary_line(
            "component_floors",
            {"spacy": spacy, "spacy_long": long, "dbos": dbos, "targets": targets},
        )
    )


def measure_long(chars: int, repeat: int) -> dict[str, Any]:
    from api.llm.nlp import load_pipeline
    from api.llm.sentences import split_sentences
    from benchmarks.long_articles import article_text

    nlp = load_pipeline()
    text = article_text(chars)
    runs = [parse_once(nlp, text) for _ in range(repeat)]
    sentence_texts = [s.text for s in split_sentences(text)]
    passes = [component_cpu_s(nlp, sentence_texts) for _ in range(repeat)]
    return {
        "chars": len(text),
        "runs": repeat,
        "sentences": int(runs[0]["sentences"]),
        "tokens": int(runs[0]["tokens"]),
        **{k: round(median([r[k] for r in runs]), 4) for k in ("cpu_s", "wall_s", "split_s")},
        "components_cpu_s": {
            name: round(median([p[name] for p in passes]), 3) for name in passes[0]
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes (medians)")
    parser.add_argument("--limit", type=int, default=None, help="the first N gold articles")
    parser.add_argument(
        "--long-chars", type=int, default=100_000, help="one long article's size (0: none)"
    )
    parser.add_argument("--jobs", type=int, default=400, help="DBOS jobs per pass")
    parser.add_argument(
        "--concurrency", default="16,1", help="DBOS queue concurrency; a comma list runs each"
    )
    parser.add_argument("--idle", type=float, default=1.0, help="seconds of an idle queue")
    parser.add_argument("--dbos-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.dbos_child is not None:
        print(json.dumps(measure_dbos(args.dbos_child, args.jobs, args.repeat, args.idle)))
        return
    print(f"component_floors: {machine_load()}")
    texts = [case["text"] for case in gold_articles()][: args.limit]
    spacy = measure_spacy(texts, args.repeat)
    long = measure_long(args.long_chars, args.repeat) if args.long_chars else None
    levels = [int(level) for level in str(args.concurrency).split(",") if level]
    dbos = [run_dbos_child(level, args.jobs, args.repeat, args.idle) for level in levels]
    report(spacy, long, dbos, against_targets(spacy, long, dbos))


if __name__ == "__main__":
    main()
