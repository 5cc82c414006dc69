"""Time `align` on a long synthetic article: exact, normalized, fuzzy and missing needles.

    python -m benchmarks.grounding_speed [--chars 100000] [--needles 200]

The text is random words with curly quotes and dashes; needles are slices of it, some with
typographic changes (normalized), some with one word changed (fuzzy), some absent (none).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import time
from collections import Counter

from api.llm.alignment import align
from schemas.grounded import AlignmentStatus


def synthetic_text(chars: int, rng: random.Random) -> str:
    vocabulary = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 10)))
        for _ in range(5000)
    ]
    words: list[str] = []
    length = 0
    while length < chars:
        word = rng.choice(vocabulary)
        roll = rng.random()
        if roll < 0.02:
            word = f"\u201c{word}\u201d"
        elif roll < 0.03:
            word = "\u2014"
        elif roll < 0.08:
            word += "."
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:chars]


def needles(text: str, count: int, rng: random.Random) -> list[str]:
    out: list[str] = []
    for i in range(count):
        start = rng.randrange(0, len(text) - 400)
        needle = text[start : start + rng.randint(40, 300)].strip()
        kind = i % 4
        if kind == 1:  # typographic change
            needle = needle.replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", "-")
            needle = needle.replace(" ", "  ", 1) if '"' not in needle else needle
        elif kind == 2:  # one word changed
            parts = needle.split(" ")
            parts[len(parts) // 2] = "zzzzzz"
            needle = " ".join(parts)
        elif kind == 3:  # not in the text
            needle = " ".join(rng.choice(["alpha", "bravo", "quux", "zulu"]) for _ in range(12))
        out.append(needle)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chars", type=int, default=100_000)
    parser.add_argument("--needles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    text = synthetic_text(args.chars, rng)
    probes = needles(text, args.needles, rng)

    started = time.perf_counter()
    align("warm the folding cache", text)
    fold_s = time.perf_counter() - started

    timings: dict[AlignmentStatus, list[float]] = {s: [] for s in AlignmentStatus}
    started = time.perf_counter()
    for needle in probes:
        t0 = time.perf_counter()
        span = align(needle, text)
        timings[span.alignment].append(time.perf_counter() - t0)
        if span.alignment == AlignmentStatus.EXACT:
            assert span.start is not None and text[span.start : span.end] == needle
    total_s = time.perf_counter() - started

    print(
        f"text: {len(text):,} chars; needles: {len(probes)}; first call (folds text): "
        f"{fold_s * 1000:.1f} ms"
    )
    print(f"total: {total_s:.3f} s, {total_s / len(probes) * 1000:.2f} ms per needle")
    print(f"load {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    figures = {"chars": len(text), "ms_per_needle": round(total_s / len(probes) * 1000, 3)}
    print("SUMMARY " + json.dumps({"benchmark": "grounding_speed", **figures}))
    counts = Counter({s: len(t) for s, t in timings.items()})
    for status, values in timings.items():
        if values:
            print(
                f"  {status.value:<10} n={counts[status]:>4}  "
                f"median {statistics.median(values) * 1000:7.2f} ms  "
                f"max {max(values) * 1000:7.2f} ms"
            )


if __name__ == "__main__":
    main()
