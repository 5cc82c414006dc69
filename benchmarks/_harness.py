"""What the service benchmarks share: the scripted model server and the real service as
processes, distinct articles from the gold texts, posting them, waiting until they are
stored, and reading the processes' CPU and memory from /proc.

`--code DIR` measures another checkout of wirecoder (e.g. a `git worktree` of an older
commit): the service runs from DIR (cwd and first on PYTHONPATH), while these benchmarks and
the scripted model server come from this repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _importable_checkout() -> Path:
    """The checkout whose `api` this interpreter would import (the first on sys.path): the
    default code to measure, so `cd OLD && PYTHONPATH=NEW python -m benchmarks...` measures
    OLD with NEW's benchmarks."""
    spec = importlib.util.find_spec("api")
    return Path(spec.origin).resolve().parents[1] if spec and spec.origin else REPO


CODE = _importable_checkout()
SCRIPTED_SERVER = REPO / "tests" / "scripted_openai_server.py"
GOLD_DIR = REPO / "evals" / "gold"
MARKER_PREFIX = "wirecoder-test-article-bench"  # matches the scripted server's key pattern
FINISHED = ("succeeded", "invalid", "failed")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---- the machine and its processes ----------------------------------------------------------


def machine_load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one live process (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def process_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """The process and all its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with suppress(OSError):  # ended
            total += process_cpu_s(pid)
    return total


def tree_rss_mib(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with suppress(OSError):
            total += process_rss_mib(pid)
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(url: str, body: Any = None, timeout: float = 60.0) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json"} if data else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:
            return error.code, raw.decode(errors="replace")[:500]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---- articles -------------------------------------------------------------------------------


def gold_articles() -> list[dict[str, Any]]:
    """The gold cases' texts and fields, read as JSON (no wirecoder import)."""
    cases = []
    for path in sorted(GOLD_DIR.glob("*.json")):
        raw = json.loads(path.read_text("utf-8"))
        cases.append(
            {
                k: raw[k]
                for k in ("text", "title", "source", "published_at", "dateline")
                if raw.get(k)
            }
        )
    return cases


def distinct_articles(count: int, run_id: str) -> list[dict[str, Any]]:
    """`count` articles cycling through the gold texts, each ending with its own marker
    sentence so that every content hash differs."""
    gold = gold_articles()
    articles = []
    for i in range(count):
        article = dict(gold[i % len(gold)])
        article["text"] = f"{article['text']}\n\nReference {MARKER_PREFIX}-{run_id}-{i}."
        articles.append(article)
    return articles


# ---- the scripted model server --------------------------------------------------------------


class ModelServer:
    """tests/scripted_openai_server.py as a process: the smallest valid answer to every
    request's schema after `delay_s`."""

    def __init__(self, delay_s: float, workdir: Path) -> None:
        self.log = (workdir / "model.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPTED_SERVER), "--delay", str(delay_s)],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "listening http://127.0.0.1:PORT/v1"
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the scripted model server did not start: {line!r}")
        self.url = line.split()[1]

    def calls(self) -> int:
        _, answer = http_json(self.url.removesuffix("/v1") + "/calls")
        return sum(answer["calls"].values())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


# ---- the service ----------------------------------------------------------------------------


@dataclass
class ServiceOptions:
    code_dir: Path = CODE
    concurrency: int = 1
    workers: int | None = None
    database_url: str = ""  # empty: SQLite files in a fresh data dir
    prompt_version: str | None = None  # None: the service's default
    profile: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)


def add_service_arguments(parser: argparse.ArgumentParser, *, concurrency: str) -> None:
    parser.add_argument(
        "--concurrency", default=concurrency, help="queue slots; a comma list runs each"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="`serve --workers N`, where the CLI has it"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL server's URL: a fresh database is made on it (and dropped after); "
        "default: SQLite in a fresh data dir",
    )
    parser.add_argument("--prompt-version", default=None, help="default: the service's")
    parser.add_argument(
        "--code",
        type=Path,
        action="append",
        help="the wirecoder checkout to measure (default: the one `api` is imported from); "
        "repeated, the runs alternate between them",
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="no CPU sampler: no split by phase"
    )


def service_runs(args: argparse.Namespace) -> list[ServiceOptions]:
    """One run per concurrency and checkout, the checkouts alternating (side by side)."""
    levels = [int(level) for level in str(args.concurrency).split(",")]
    return [
        ServiceOptions(
            code_dir=code.resolve(),
            concurrency=level,
            workers=args.workers,
            database_url=args.database_url,
            prompt_version=args.prompt_version,
            profile=not args.no_profile,
        )
        for level in levels
        for code in (args.code or [CODE])
    ]


def wirecoder_command() -> list[str]:
    """`wirecoder` from whichever checkout is first on PYTHONPATH (the console script would
    be this repository's)."""
    return [sys.executable, "-c", "from api.cli import app; app()"]


@contextmanager
def fresh_postgres(url: str) -> Iterator[str]:
    """A new database on the server `url` names, dropped afterwards."""
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    admin_url = base
    if base.drivername == "postgresql":
        admin_url = base.set(drivername="postgresql+psycopg")
    name = f"wirecoder_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Service:
    """`wirecoder serve` on a fresh data dir, with the CPU sampler when profiling."""

    def __init__(self, options: ServiceOptions, model_url: str, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.profile_dir = workdir / "profile"
        self.profile_dir.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = self._env(model_url)
        self.command = wirecoder_command()
        self.workers_flag = options.workers is not None and self._serve_has_workers()
        self.proc: subprocess.Popen[bytes] | None = None

    def _env(self, model_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIRECODER_")}
        paths = [str(self.options.code_dir), str(REPO)]
        if self.options.profile:
            paths.append(str(REPO / "benchmarks" / "_site"))
            env["WIRECODER_BENCH_PROFILE"] = str(self.profile_dir)
        env.update(
            PYTHONPATH=os.pathsep.join(paths),
            WIRECODER_DATA_DIR=str(self.workdir / "data"),
            WIRECODER_LLM_BACKEND="openai",
            WIRECODER_LLM_BASE_URL=model_url,
            WIRECODER_LLM_MODEL="scripted-test-model",
            WIRECODER_QUEUE_CONCURRENCY=str(self.options.concurrency),
            WIRECODER_QUEUE_RATE_LIMIT="100000000",  # the default 30/min would be the cap
        )
        if os.environ.get("WIRECODER_CACHE_DIR"):  # the gazetteer, built once per machine
            env["WIRECODER_CACHE_DIR"] = os.environ["WIRECODER_CACHE_DIR"]
        if self.options.prompt_version:
            env["WIRECODER_PROMPT_VERSION"] = self.options.prompt_version
        if self.options.database_url:
            env["WIRECODER_DATABASE_URL"] = self.options.database_url
        env.update(self.options.extra_env)
        return env

    def _serve_has_workers(self) -> bool:
        """Whether this checkout's `wirecoder serve` takes --workers (newer code does)."""
        env = {k: v for k, v in self.env.items() if k != "WIRECODER_BENCH_PROFILE"}
        result = subprocess.run(
            [*self.command, "serve", "--help"],
            cwd=self.options.code_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return "--workers" in result.stdout

    def start(self, timeout_s: float = 180.0) -> None:
        subprocess.run(
            [*self.command, "db", "upgrade"],
            cwd=self.options.code_dir,
            env={k: v for k, v in self.env.items() if k != "WIRECODER_BENCH_PROFILE"},
            check=True,
            capture_output=True,
            timeout=300,
        )
        args = [*self.command, "serve", "--port", str(self.port)]
        if self.workers_flag:
            args += ["--workers", str(self.options.workers)]
        with (self.workdir / "service.log").open("wb") as log:
            self.proc = subprocess.Popen(
                args, cwd=self.options.code_dir, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log_tail()}")
            try:
                if http_json(self.url + "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the service did not answer in {timeout_s:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        return (self.workdir / "service.log").read_text(errors="replace")[-3000:]

    def pids(self) -> list[int]:
        assert self.proc is not None
        return process_tree(self.proc.pid)

    def start_sampling(self) -> None:
        (self.profile_dir / "start").touch()

    def stop_sampling(self, pids: list[int], timeout_s: float = 5.0) -> dict[str, float] | None:
        """Seconds per phase summed over the service's processes, with 'sampler' (the
        sampler's own CPU); None when not profiling or a process did not report."""
        if not self.options.profile:
            return None
        (self.profile_dir / "stop").touch()
        deadline = time.monotonic() + timeout_s
        paths = [self.profile_dir / f"cpu-{pid}.json" for pid in pids]
        while time.monotonic() < deadline and not all(p.exists() for p in paths):
            time.sleep(0.05)
        reports = [json.loads(p.read_text()) for p in paths if p.exists()]
        if len(reports) < len(paths):
            return None
        total: dict[str, float] = {}
        for report in reports:
            for phase, seconds in report["phases_s"].items():
                total[phase] = total.get(phase, 0.0) + seconds
            total["sampler"] = total.get("sampler", 0.0) + report["sampler_s"]
        return total

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# ---- one load: post, wait, read the jobs ----------------------------------------------------


@dataclass
class Load:
    articles: int
    post_s: float  # first POST sent → last POST answered
    stored_s: float  # first POST sent → every job finished
    cpu_s: float  # the service's processes, over the load
    phases_s: dict[str, float] | None
    statuses: dict[str, int]
    start_latency_s: list[float]  # each job's started_at − created_at
    running_s: list[float]  # each job's finished_at − started_at
    model_calls: int
    rss_start_mib: float
    rss_end_mib: float
    processes: int


def _timestamp(value: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def post_all(base_url: str, articles: list[dict[str, Any]], posters: int) -> list[int]:
    def post(article: dict[str, Any]) -> int:
        status, answer = http_json(base_url + "/v1/articles", article)
        if status != 202 and status != 200:
            raise RuntimeError(f"POST /v1/articles answered {status}: {answer}")
        return int(answer["job"]["id"])

    with ThreadPoolExecutor(max_workers=posters) as pool:
        return list(pool.map(post, articles))


def job_rows(base_url: str, job_ids: list[int]) -> list[dict[str, Any]]:
    def get(job_id: int) -> dict[str, Any]:
        status, answer = http_json(f"{base_url}/v1/jobs/{job_id}")
        if status != 200:
            raise RuntimeError(f"GET /v1/jobs/{job_id} answered {status}: {answer}")
        return dict(answer)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(get, job_ids))


class JobCounter:
    """Finished jobs counted in the service's database by a connection of our own, so that
    waiting costs the service no request."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        from sqlalchemy import create_engine

        url = database_url or f"sqlite:///{data_dir / 'wirecoder.db'}"
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        self.engine = create_engine(url)

    def finished(self, job_ids: list[int]) -> int:
        from sqlalchemy import text

        low, high = min(job_ids), max(job_ids)
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM extraction_job WHERE id BETWEEN :low AND :high "
                        "AND status IN ('succeeded', 'invalid', 'failed')"
                    ),
                    {"low": low, "high": high},
                ).scalar_one()
            )

    def dispose(self) -> None:
        self.engine.dispose()


def run_load(
    service: Service,
    model: ModelServer,
    counter: JobCounter,
    articles: list[dict[str, Any]],
    *,
    posters: int = 4,
    timeout_s: float = 1800.0,
    stall_s: float = 90.0,
) -> Load:
    pids = service.pids()
    rss_start = tree_rss_mib(pids)
    calls_before = model.calls()
    service.start_sampling()
    time.sleep(0.05)  # the samplers take their baseline
    cpu_before = tree_cpu_s(pids)
    started = time.perf_counter()
    job_ids = post_all(service.url, articles, posters)
    post_s = time.perf_counter() - started
    expected = len(set(job_ids))
    deadline = time.monotonic() + timeout_s
    done, progressed = 0, time.monotonic()
    while done < expected:
        now = counter.finished(job_ids)
        if now > done:
            done, progressed = now, time.monotonic()
        elif time.monotonic() - progressed > stall_s:  # a hung service fails, not waits
            stacks = dump_stacks(service.pids(), service.workdir / "stacks.txt")
            raise RuntimeError(
                f"no job finished for {stall_s:.0f} s: {done}/{expected} finished "
                f"(service log: {service.workdir / 'service.log'}{stacks}; kept)"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs not finished after {timeout_s:.0f} s")
        time.sleep(0.02)
    stored_s = time.perf_counter() - started
    cpu_s = tree_cpu_s(pids) - cpu_before
    phases = service.stop_sampling(pids)
    model_calls = model.calls() - calls_before
    rss_end = tree_rss_mib(service.pids())
    rows = job_rows(service.url, sorted(set(job_ids)))
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return Load(
        articles=len(articles),
        post_s=post_s,
        stored_s=stored_s,
        cpu_s=cpu_s,
        phases_s=phases,
        statuses=statuses,
        start_latency_s=[
            _timestamp(r["started_at"]) - _timestamp(r["created_at"])
            for r in rows
            if r["started_at"]
        ],
        running_s=[
            _timestamp(r["finished_at"]) - _timestamp(r["started_at"])
            for r in rows
            if r["started_at"] and r["finished_at"]
        ],
        model_calls=model_calls,
        rss_start_mib=rss_start,
        rss_end_mib=rss_end,
        processes=len(pids),
    )


def dump_stacks(pids: list[int], path: Path) -> str:
    """Every thread's stack in the service's processes, with py-spy where it is installed
    (a profiling tool, not a dependency): what a stalled run was waiting on."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        return ""
    with path.open("w") as out:
        for pid in pids:
            out.write(f"== pid {pid}\n")
            out.flush()
            subprocess.run(
                [spy, "dump", "--native", "--pid", str(pid)], stdout=out, stderr=out, timeout=60
            )
    return f", thread stacks: {path}"


@contextmanager
def running_stack(options: ServiceOptions, delay_s: float) -> Iterator[tuple[Service, ModelServer]]:
    """The model server and a fresh service (on a fresh PostgreSQL database when asked),
    stopped and removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="wirecoder-bench-"))
    model = ModelServer(delay_s, workdir)
    failed = False
    try:
        with _database(options.database_url) as database_url:
            service = Service(replace(options, database_url=database_url), model.url, workdir)
            try:
                service.start()
                yield service, model
            except BaseException:
                failed = True  # its log (and stacks) stay for a look
                raise
            finally:
                service.stop()
    finally:
        model.stop()
        if not failed:
            shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _database(url: str) -> Iterator[str]:
    if not url:
        yield ""
        return
    with fresh_postgres(url) as fresh:
        yield fresh


def warm_up(service: Service, count: int, run_id: str) -> None:
    """A few articles first, so that lazy loads (the gazetteer, first-call caches) are not
    in the figures."""
    if count <= 0:
        return
    job_ids = post_all(service.url, distinct_articles(count, f"{run_id}-warm"), 2)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rows = job_rows(service.url, job_ids)
        if all(r["status"] in FINISHED for r in rows):
            return
        time.sleep(0.1)
    raise RuntimeError("warm-up jobs did not finish")


def idle_start_latency(
    service: Service, counter: JobCounter, probes: int, run_id: str
) -> list[float]:
    """Start latency with a free slot: `probes` articles, each posted once the one before has
    finished (the queue's polling, not waiting for a slot)."""
    latencies = []
    for i, article in enumerate(distinct_articles(probes, f"{run_id}-idle")):
        (job_id,) = post_all(service.url, [article], 1)
        deadline = time.monotonic() + 120
        while counter.finished([job_id]) < 1:
            if time.monotonic() > deadline:
                raise RuntimeError(f"idle probe {i} did not finish")
            time.sleep(0.01)
        (row,) = job_rows(service.url, [job_id])
        if row["started_at"]:
            latencies.append(_timestamp(row["started_at"]) - _timestamp(row["created_at"]))
    return latencies


def summary_line(name: str, figures: dict[str, Any]) -> str:
    """The one machine-readable line `python -m benchmarks` collects."""
    return "SUMMARY " + json.dumps({"benchmark": name, **figures}, sort_keys=True)
