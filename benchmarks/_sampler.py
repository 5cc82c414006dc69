"""A CPU sampler for the service's processes, started by benchmarks/_site/sitecustomize.py.

Every tick (WIRECODER_BENCH_PROFILE_INTERVAL_S, 10 ms) it reads each Python thread's own CPU
clock (`pthread_getcpuclockid`, nanosecond resolution) and charges the CPU the thread used
since the last tick to the phase its current stack is in. Statistical, like any sampler: a
thread preempted mid-phase is charged where it stopped. It counts only between the harness's
flag files `DIR/start` and `DIR/stop`, then writes `DIR/cpu-PID.json` once: seconds per
phase, the sampler's own CPU, and the ticks taken.

Phases, decided by the innermost frame that belongs to one (a library frame such as
SQLAlchemy's or pydantic's is charged to the code that called it):
- model: the model call around the network: api/llm/calls|client|transport|recording,
  instructor, openai, httpx / httpx2 / httpcore (the model server's own time is another process)
- db: api/extraction_store, api/crud, and any SQLAlchemy / driver work our code asks for
- pipeline: the rest of api/llm (stage 0, enrichment, grounding, resolution), spaCy
- queue: api/jobs, api/workers and DBOS, with the database work DBOS does for itself
- http: uvicorn, starlette, fastapi, h11, anyio, api/routes and the app's middleware
- other: a stack with none of these (interpreter start, idle loops that still burn CPU)
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from types import FrameType

PHASES = ("http", "queue", "pipeline", "model", "db", "other")

# (path fragment, phase); the first fragment found in a frame's file name decides that frame
_RULES: tuple[tuple[str, str], ...] = (
    ("/api/llm/calls.py", "model"),
    ("/api/llm/client.py", "model"),
    ("/api/llm/transport.py", "model"),
    ("/api/llm/recording.py", "model"),
    ("/instructor/", "model"),
    ("/openai/", "model"),
    ("/httpx/", "model"),
    ("/httpx2/", "model"),
    ("/httpcore/", "model"),
    ("/api/extraction_store.py", "db"),
    ("/api/crud.py", "db"),
    ("/api/llm/", "pipeline"),
    ("/spacy/", "pipeline"),
    ("/thinc/", "pipeline"),
    ("/api/jobs.py", "queue"),
    ("/api/workers.py", "queue!"),  # '!': its database work is the queue's (heartbeats)
    ("/dbos/", "queue!"),  # DBOS's own system-database traffic
    ("/uvicorn/", "http"),
    ("/starlette/", "http"),
    ("/fastapi/", "http"),
    ("/h11/", "http"),
    ("/httptools/", "http"),
    ("/anyio/", "http"),
    ("/api/routes/", "http"),
    ("/api/main.py", "http"),
    ("/api/auth.py", "http"),
    ("/api/metrics.py", "http"),
    ("/api/job_waiter.py", "http"),
    ("/api/presenters.py", "http"),
    ("/api/service.py", "http"),
    ("/api/ingest.py", "http"),
)
_DB_LIBRARIES = ("/sqlalchemy/", "/sqlmodel/", "/sqlite3/", "/psycopg/", "/psycopg2/", "/alembic/")
_NONE = ""


def _frame_rule(filename: str, cache: dict[str, str]) -> str:
    found = cache.get(filename)
    if found is None:
        found = next((phase for fragment, phase in _RULES if fragment in filename), _NONE)
        if found == _NONE and any(lib in filename for lib in _DB_LIBRARIES):
            found = "dblib"
        cache[filename] = found
    return found


def classify(frame: FrameType | None, cache: dict[str, str]) -> str:
    """The phase of a stack, from its innermost frame outward."""
    in_db_library = False
    while frame is not None:
        rule = _frame_rule(frame.f_code.co_filename, cache)
        if rule == "dblib":
            in_db_library = True
        elif rule:
            if rule.endswith("!"):
                return rule[:-1]
            return "db" if in_db_library else rule
        frame = frame.f_back
    return "db" if in_db_library else "other"


def current_frames() -> dict[int, FrameType]:
    """`sys._current_frames()` with the collector off: in Python 3.11 it holds the runtime's
    thread-list lock while it allocates, and a collection started there can deadlock the whole
    process (python/cpython#106883; seen here as a benchmark's service stalling with every
    thread idle and the sampler in gc_collect_main under _PyThread_CurrentFrames)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return sys._current_frames()
    finally:
        if enabled:
            gc.enable()


class Sampler:
    def __init__(self, folder: Path, interval_s: float) -> None:
        self.folder = folder
        self.interval_s = interval_s
        self.cpu: dict[str, float] = {}
        self.last: dict[int, float] = {}
        self.ticks = 0
        self.own_cpu_s = 0.0
        self.written = False
        self.cache: dict[str, str] = {}

    def run(self) -> None:
        me = threading.get_ident()
        counting = False
        while not self.written:
            time.sleep(self.interval_s)
            started = time.thread_time()
            if not counting:
                counting = (self.folder / "start").exists()
                if counting:
                    self._baseline(me)
                continue
            if (self.folder / "stop").exists():
                self.write()
                return
            self._tick(me)
            self.own_cpu_s += time.thread_time() - started

    def _thread_cpu(self, ident: int) -> float | None:
        try:
            return time.clock_gettime(time.pthread_getcpuclockid(ident))
        except (OSError, ProcessLookupError):  # the thread ended since the frames were read
            return None

    def _baseline(self, me: int) -> None:
        for ident in current_frames():
            cpu = self._thread_cpu(ident)
            if ident != me and cpu is not None:
                self.last[ident] = cpu

    def _tick(self, me: int) -> None:
        self.ticks += 1
        for ident, frame in current_frames().items():
            if ident == me:
                continue
            cpu = self._thread_cpu(ident)
            if cpu is None:
                continue
            previous = self.last.get(ident)
            self.last[ident] = cpu
            if previous is not None and cpu > previous:
                phase = classify(frame, self.cache)
                self.cpu[phase] = self.cpu.get(phase, 0.0) + cpu - previous

    def write(self) -> None:
        if self.written:
            return
        self.written = True
        report = {
            "pid": os.getpid(),
            "phases_s": {phase: self.cpu.get(phase, 0.0) for phase in PHASES},
            "sampler_s": self.own_cpu_s,
            "ticks": self.ticks,
            "interval_s": self.interval_s,
        }
        path = self.folder / f"cpu-{os.getpid()}.json"
        path.with_suffix(".tmp").write_text(json.dumps(report))
        path.with_suffix(".tmp").replace(path)


def start(folder: str) -> None:
    """Start sampling in this process (and again in any child forked from it)."""
    interval = float(os.environ.get("WIRECODER_BENCH_PROFILE_INTERVAL_S", "0.01"))
    sampler = Sampler(Path(folder), interval)
    threading.Thread(target=sampler.run, name="bench-cpu-sampler", daemon=True).start()
    global _fork_hook_registered
    if not _fork_hook_registered:  # children inherit the hook: register it once
        _fork_hook_registered = True
        os.register_at_fork(after_in_child=lambda: start(folder))


_fork_hook_registered = False
