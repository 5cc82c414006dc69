"""Wall and CPU of the eval suite on the recordings, with the import time split out.

    python -m benchmarks.eval_suite [--repeat 3] [--case ID ...] [--code DIR ...]

Runs `wirecoder eval run --backend replay --split all` (with --case, only those gold cases)
as a subprocess --repeat times and prints the median wall and CPU (user + system, from the
child's rusage), then the import of the command line alone: `python -c "import api.cli"`'s
wall and CPU, the bare interpreter's, and `api.cli`'s cumulative import time from
`python -X importtime`. Issue 9's target: ≤ 5 s wall at low load. With several --code the
repeats alternate between the checkouts.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._harness import CODE, REPO, machine_load, median, summary_line


def timed(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one subprocess, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0,):
        raise RuntimeError(f"{command[2:]} exited {result.returncode}:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stderr


def cumulative_import_s(stderr: str, module: str) -> float:
    """`module`'s cumulative time from -X importtime's lines: 'import time: self | cumulative
    | name'."""
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.rsplit("|", 1)[-1].strip() == module:
            return int(line.split("|")[1]) / 1e6
    return float("nan")


def environment(code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRECODER_")}
    env |= {"PYTHONPATH": str(code), "WIRECODER_LLM_BACKEND": "replay"}
    if os.environ.get("WIRECODER_CACHE_DIR"):
        env["WIRECODER_CACHE_DIR"] = os.environ["WIRECODER_CACHE_DIR"]
    return env


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", action="append", default=[], help="only these gold cases")
    parser.add_argument("--code", type=Path, action="append", help="checkout(s) to measure")
    args = parser.parse_args(argv)
    codes = [code.resolve() for code in args.code or [CODE]]
    python = sys.executable
    cases = [arg for case in args.case for arg in ("--case", case)]

    print(f"eval_suite: {machine_load()}")
    runs: dict[Path, dict[str, list[float]]] = {
        code: {"wall": [], "cpu": [], "import_wall": [], "import_cpu": [], "importtime": []}
        for code in codes
    }
    bare: list[float] = []
    with tempfile.TemporaryDirectory(prefix="wirecoder-bench-eval-") as out:
        for i in range(args.repeat):
            for code in codes:  # alternating: the machine's load falls on each alike
                env = environment(code)
                eval_run = [python, "-c", "from api.cli import app; app()", "eval", "run"]
                eval_run += ["--backend", "replay", "--split", "all", *cases]
                eval_run += ["--out", f"{out}/run-{i}-{len(runs[code]['wall'])}.json"]
                wall, cpu, _ = timed(eval_run, cwd=code, env=env)
                runs[code]["wall"].append(wall)
                runs[code]["cpu"].append(cpu)
                wall, cpu, _ = timed([python, "-c", "import api.cli"], cwd=code, env=env)
                runs[code]["import_wall"].append(wall)
                runs[code]["import_cpu"].append(cpu)
                _, _, stderr = timed(
                    [python, "-X", "importtime", "-c", "import api.cli"], cwd=code, env=env
                )
                runs[code]["importtime"].append(cumulative_import_s(stderr, "api.cli"))
            bare.append(timed([python, "-c", "pass"], cwd=REPO, env=os.environ.copy())[0])

    scope = f"cases {', '.join(args.case)}" if args.case else "split all"
    for code, figures in runs.items():
        m: dict[str, Any] = {k: round(median(v), 3) for k, v in figures.items()}
        print(f"  code {code}  ({scope}, {args.repeat} runs, medians)")
        print(
            f"  eval run: wall {m['wall']:.2f} s, CPU {m['cpu']:.2f} s "
            f"(runs: {', '.join(f'{w:.2f}' for w in figures['wall'])} s)"
        )
        print(
            f"  import api.cli: wall {m['import_wall']:.2f} s, CPU {m['import_cpu']:.2f} s; "
            f"-X importtime cumulative {m['importtime']:.2f} s; bare interpreter "
            f"{median(bare):.2f} s"
        )
        print(summary_line("eval_suite", {"code": str(code), "runs": args.repeat, **m}))
    print(f"  {machine_load()}")


if __name__ == "__main__":
    main()
