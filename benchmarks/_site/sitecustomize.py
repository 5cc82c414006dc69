"""Loaded by every Python process the benchmarks start with this folder on PYTHONPATH: with
WIRECODER_BENCH_PROFILE set, it starts the CPU sampler (benchmarks/_sampler.py), so worker
processes a service spawns are sampled too."""

import os

if os.environ.get("WIRECODER_BENCH_PROFILE"):
    from benchmarks._sampler import start

    start(os.environ["WIRECODER_BENCH_PROFILE"])
