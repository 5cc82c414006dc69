"""Non-model time of the hybrid pipeline (prompt v3) against article length, and its growth.

    python -m benchmarks.long_articles [--sizes 1000,5000,20000,100000] [--repeat 3]
        [--code DIR ...]

Articles of each size are gold texts concatenated (cut at a space). Each runs through the
real `Extractor` (chunking, stage 0, the model questions through openai + instructor,
enrichment: grounding, dates, places, actor resolution), with the model answered in-process
by the scripted server's answer function (tests/scripted_openai_server.py) behind an
httpx2.MockTransport: the time spent answering is measured and taken out, so what remains is
wirecoder's own work. Per size: median wall and CPU of the non-model work, stage 0's share
(`analyse`), enrichment's share (`enrich`), and the rest (chunking, model-call overhead,
validation); then the growth exponent fitted by least squares on log time against log
characters, and the exponent between the two largest sizes (issue 9: ≤ 1.2 from 20k to 100k,
100k ≤ 1 s). With --code DIR the measuring runs in a subprocess on that checkout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._harness import CODE, REPO, gold_articles, machine_load, median, summary_line

_CHILD_FLAG = "WIRECODER_BENCH_LONG_CHILD"


def article_text(chars: int) -> str:
    """Gold texts one after another until `chars`, cut at the last space before it."""
    texts = [case["text"] for case in gold_articles()]
    parts: list[str] = []
    length, i = 0, 0
    while length < chars:
        parts.append(texts[i % len(texts)])
        length += len(parts[-1]) + 2
        i += 1
    text = "\n\n".join(parts)[:chars]
    cut = text.rfind(" ", 0, chars)
    return text[:cut] if cut > chars // 2 else text


class Timed:
    """Wraps a module's function to add up the time spent in it."""

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name = module, name
        self.original: Callable[..., Any] = getattr(module, name)
        self.seconds = 0.0
        setattr(module, name, self)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.original(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def build_extractor(answer_s: list[float], data_dir: Path) -> Any:
    import httpx2

    from api.config import LLMBackend, Settings
    from api.llm.extractor import Extractor
    from tests.scripted_openai_server import completion

    calls = [0]

    def answer(request: httpx2.Request) -> httpx2.Response:
        started = time.perf_counter()
        calls[0] += 1
        body = completion(json.loads(request.content), calls[0])
        response = httpx2.Response(200, json=body)
        answer_s[0] += time.perf_counter() - started
        return response

    settings = Settings(
        llm_backend=LLMBackend.OPENAI,
        llm_base_url="http://scripted.invalid/v1",
        llm_model="scripted-test-model",
        llm_transport_retries=0,
        data_dir=data_dir,
        prompt_version="v3",
    )
    return Extractor(settings, network=httpx2.MockTransport(answer))


def measure(sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    from api.logs import configure_logging

    configure_logging("WARNING")  # one 'extraction finished' line per chunk otherwise

    answer_s = [0.0]
    with tempfile.TemporaryDirectory(prefix="wirecoder-bench-long-") as data_dir:
        return _measure(build_extractor(answer_s, Path(data_dir)), answer_s, sizes, repeat)


def _measure(
    extractor: Any, answer_s: list[float], sizes: list[int], repeat: int
) -> list[dict[str, Any]]:
    import api.llm.extractor as extractor_module
    import api.llm.pipelines.hybrid as hybrid_module
    from schemas.contract import ArticleInput

    stage0 = Timed(hybrid_module, "analyse")
    enrichment = Timed(extractor_module, "enrich")
    extractor.extract(ArticleInput(text=article_text(1000)))  # loads spaCy's lazy parts
    rows = []
    for chars in sizes:
        article = ArticleInput(text=article_text(chars))
        runs = []
        for _ in range(repeat if chars <= 20_000 else max(1, repeat // 2)):
            answer_s[0] = stage0.seconds = enrichment.seconds = 0.0
            wall0, cpu0 = time.perf_counter(), time.process_time()
            outcome = extractor.extract(article)
            wall = time.perf_counter() - wall0 - answer_s[0]
            cpu = time.process_time() - cpu0 - answer_s[0]
            runs.append(
                {
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "stage0_s": stage0.seconds,
                    "enrich_s": enrichment.seconds,
                    "rest_s": wall - stage0.seconds - enrichment.seconds,
                    "status": outcome.status.value,
                    "events": len(outcome.result.events) if outcome.result else 0,
                    "actors": len(outcome.result.actors) if outcome.result else 0,
                }
            )
        best = {k: round(median([r[k] for r in runs]), 4) for k in runs[0] if k.endswith("_s")}
        rows.append(
            {"chars": len(article.text), "runs": len(runs), **best}
            | {k: runs[-1][k] for k in ("status", "events", "actors")}
        )
    return rows


def exponent(rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Least-squares slope of log wall on log chars; and the slope between the last two."""
    xs = [math.log(r["chars"]) for r in rows]
    ys = [math.log(max(r["wall_s"], 1e-6)) for r in rows]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return slope, last


def report(rows: list[dict[str, Any]], code: Path) -> None:
    print(f"  code {code}")
    print("      chars  runs   wall s    CPU s  stage 0 s  enrich s   rest s  events actors")
    for r in rows:
        print(
            f"  {r['chars']:>9,}  {r['runs']:>4}  {r['wall_s']:>7.3f}  {r['cpu_s']:>7.3f}  "
            f"{r['stage0_s']:>9.3f}  {r['enrich_s']:>8.3f}  {r['rest_s']:>7.3f}  "
            f"{r['events']:>6} {r['actors']:>6}  ({r['status']})"
        )
    figures: dict[str, Any] = {"code": str(code), "sizes": rows}
    if len(rows) >= 2:
        fitted, last = exponent(rows)
        print(
            f"  growth exponent: {fitted:.2f} fitted over all sizes; {last:.2f} from "
            f"{rows[-2]['chars']:,} to {rows[-1]['chars']:,} chars"
        )
        figures |= {"exponent_fit": round(fitted, 3), "exponent_last": round(last, 3)}
    print(f"  {machine_load()}")
    print(summary_line("long_articles", figures))


def run_child(code: Path, argv: list[str]) -> list[dict[str, Any]]:
    """The measuring part on another checkout: this module in a subprocess there."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(code), str(REPO)]))
    env[_CHILD_FLAG] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.long_articles", *argv],
        cwd=code,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"long_articles on {code} failed:\n{result.stderr[-3000:]}")
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median)")
    parser.add_argument("--code", type=Path, action="append", help="checkout(s) to measure")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    inner = ["--sizes", args.sizes, "--repeat", str(args.repeat)]

    if os.environ.get(_CHILD_FLAG):
        print(json.dumps(measure(sizes, args.repeat)))
        return
    print(f"long_articles: {machine_load()}")
    for code in args.code or [None]:
        if code is None:
            report(measure(sizes, args.repeat), CODE)
        else:
            report(run_child(code.resolve(), inner), code.resolve())


if __name__ == "__main__":
    main()
