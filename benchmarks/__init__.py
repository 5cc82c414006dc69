"""Benchmarks of the service around the model (issue 9): `python -m benchmarks` runs them all.

Each script starts what it needs, runs a bounded load and prints its figures with the
machine's load; `tests/benchmarks/test_benchmarks_smoke.py` runs each with small inputs.
"""
