"""Workers that take over from the dead, as real processes: the API, `wirecoder worker`s or
`wirecoder serve`, and a scripted OpenAI-compatible model (tests/scripted_openai_server.py)
that answers after DELAY_S. Prompt v1 makes one model call per article, so the delay is the
job's length.

- Two workers on PostgreSQL, the API only enqueueing. A batch with no kill takes T0; a second
  batch, with one worker SIGKILLed mid-run, takes T1. Every job succeeds and is stored exactly
  once, none is lost, the dead worker's running jobs finish on the live one, T1 <= 1.5 * T0.
- The embedded default on SQLite: `wirecoder serve` SIGKILLed mid-job and started again
  finishes every job, each stored once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, select

from api.db import make_engine, normalize_database_url, upgrade_database
from api.models import ExtractionJob, JobStatus, WorkerHeartbeat
from tests.conftest import POSTGRES_URL, postgres_admin

REPO = Path(__file__).resolve().parents[2]
MODEL_SERVER = REPO / "tests" / "scripted_openai_server.py"
WIRECODER = [sys.executable, "-c", "from api.cli import app; app()"]
DELAY_S = 1.0
HEARTBEAT_S = 0.5
LEASE_S = 3.0

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _answers(url: str) -> bool:
    try:
        return bool(_get_json(url))
    except OSError:
        return False


@dataclass
class Stack:
    """The processes of one test, their logs, and the databases they share."""

    tmp: Path
    database_url: str  # empty: the embedded default, SQLite files in the data dir
    concurrency: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    model_url: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIRECODER_")}
        env.update(
            PYTHONPATH=str(REPO),
            WIRECODER_DATA_DIR=str(self.tmp / "data"),
            WIRECODER_LLM_BACKEND="openai",
            WIRECODER_LLM_BASE_URL=self.model_url,
            WIRECODER_LLM_MODEL="scripted-test-model",
            WIRECODER_LLM_TRANSPORT_RETRIES="0",
            WIRECODER_PROMPT_VERSION="v1",
            WIRECODER_QUEUE_CONCURRENCY=str(self.concurrency),
            WIRECODER_QUEUE_RATE_LIMIT="10000",
            WIRECODER_WORKER_HEARTBEAT_S=str(HEARTBEAT_S),
            WIRECODER_WORKER_LEASE_S=str(LEASE_S),
            **extra,
        )
        if self.database_url:
            env["WIRECODER_DATABASE_URL"] = self.database_url
        return env

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> int:
        with (self.tmp / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                args, env=env or self.env(), cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT
            )
        self.procs[name] = proc
        return proc.pid

    def start_model(self) -> None:
        self.spawn("model", [sys.executable, str(MODEL_SERVER), "--delay", str(DELAY_S)])
        log = self.tmp / "model.log"
        self.wait("the model server", lambda: "listening" in log.read_text(), 20)
        self.model_url = log.read_text().split()[1]

    def model_calls(self, batch: str) -> dict[str, int]:
        calls = _get_json(self.model_url.removesuffix("/v1") + "/calls")["calls"]
        return {k: n for k, n in calls.items() if k.startswith(_marker(batch, 0)[:-1])}

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def wait(self, what: str, done: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")
            time.sleep(0.1)

    def logs(self) -> str:
        tails = []
        for path in sorted(self.tmp.glob("*.log")):
            lines = [ln for ln in path.read_text().splitlines() if "HTTP Request" not in ln]
            tails.append(f"--- {path.name}\n" + "\n".join(lines[-25:]))
        return "\n".join(tails)


def _age_s(stamp: dt.datetime) -> float:
    """Seconds since a timestamp a worker on this host wrote (SQLite reads it back naive)."""
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - aware).total_seconds()


def _marker(batch: str, n: int) -> str:
    """How the model server counts calls per article."""
    return f"wirecoder-test-article-{batch}-{n}"


def _post_articles(api: str, batch: str, count: int) -> list[int]:
    """The job ids of `count` new articles."""
    job_ids = []
    for n in range(count):
        article = {
            "text": f"[{_marker(batch, n)}] Protesters marched through the city centre on "
            f"Monday, police said. Crowd {n} of batch {batch} dispersed by the evening.",
            "dateline": "NOWHERE",
        }
        request = urllib.request.Request(
            f"{api}/v1/articles",
            data=json.dumps(article).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 202
            job_ids.append(json.load(response)["job"]["id"])
    return job_ids


def _jobs(engine: Engine, job_ids: list[int]) -> list[ExtractionJob]:
    with Session(engine) as session:
        query = select(ExtractionJob).where(col(ExtractionJob.id).in_(job_ids))
        return list(session.exec(query).all())


def _workflows(dbos_engine: Engine) -> dict[str, tuple[str, str]]:
    """workflow id -> (status, executor id), from DBOS's system database."""
    on_postgres = dbos_engine.dialect.name == "postgresql"
    table = "dbos.workflow_status" if on_postgres else "workflow_status"  # SQLite: no schemas
    with dbos_engine.connect() as conn:
        rows = conn.execute(text(f"SELECT workflow_uuid, status, executor_id FROM {table}"))
        return {row[0]: (row[1], row[2]) for row in rows}


def _all_done(engine: Engine, dbos_engine: Engine, job_ids: list[int]) -> bool:
    """Every job stored as finished, and DBOS's record of its workflow ended (just after)."""
    jobs = _jobs(engine, job_ids)
    if len(jobs) < len(job_ids) or not all(JobStatus(j.status).finished for j in jobs):
        return False
    workflows = _workflows(dbos_engine)
    return all(workflows.get(j.workflow_id, ("",))[0] == "SUCCESS" for j in jobs)


def _assert_each_job_stored_once(
    engine: Engine, job_ids: list[int], calls: dict[str, int], batch: str
) -> None:
    jobs = _jobs(engine, job_ids)
    assert len(jobs) == len(job_ids)  # none lost
    assert {j.status for j in jobs} == {JobStatus.SUCCEEDED}
    # one stored model answer per job: no try was stored twice
    assert [(j.attempts, len(j.raw_outputs)) for j in jobs] == [(1, 1)] * len(jobs)
    assert sorted(calls) == sorted(_marker(batch, n) for n in range(len(job_ids)))


# ---- two workers on PostgreSQL ------------------------------------------------------------


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A fresh PostgreSQL database (wirecoder's tables, and DBOS's `dbos` schema), dropped at
    the end: DBOS's system schema has a fixed name, so a schema of its own would not do."""
    admin = postgres_admin()
    name = f"wc_takeover_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass
class Batch:
    seconds: float
    calls: dict[str, int]
    taken_over: list[str]  # workflows the killed worker was running


@pytest.mark.postgres
def test_a_killed_workers_jobs_are_taken_over_and_run_once(
    tmp_path: Path, fresh_postgres: str
) -> None:
    from dbos import DBOS

    count = 48
    url = fresh_postgres
    upgrade_database(url)  # here once, not raced by three processes
    DBOS.migrate(normalize_database_url(url))
    stack = Stack(tmp_path, url, concurrency=4)
    engine = make_engine(url)
    dbos_engine = create_engine(normalize_database_url(url))

    def leases() -> dict[int, str]:
        with Session(engine) as session:
            return {r.pid: r.executor_id for r in session.exec(select(WorkerHeartbeat))}

    try:
        stack.start_model()
        api = f"http://127.0.0.1:{_free_port()}"
        serve = [*WIRECODER, "serve", "--port", api.rsplit(":", 1)[1], "--log-level", "warning"]
        stack.spawn("api", serve, env=stack.env(WIRECODER_RUN_WORKER_IN_API="false"))
        pids = {name: stack.spawn(name, [*WIRECODER, "worker"]) for name in ("w1", "w2")}
        stack.wait("the API", lambda: _answers(f"{api}/health"), 120)
        stack.wait("two worker leases", lambda: len(leases()) == 2, 120)
        executor = {name: leases()[pid] for name, pid in pids.items()}
        assert len(set(executor.values())) == 2  # unique ids by default, on one host

        def run_batch(batch: str, *, kill_w1: bool) -> Batch:
            started = time.monotonic()
            job_ids = _post_articles(api, batch, count)
            running_on_w1: list[str] = []
            if kill_w1:

                def w1_mid_call() -> bool:
                    """A quarter done, and w1 waiting on the model for a job."""
                    jobs = _jobs(engine, job_ids)
                    running_on_w1[:] = [
                        wf
                        for wf, (state, ex) in _workflows(dbos_engine).items()
                        if state == "PENDING" and ex == executor["w1"]
                    ]
                    in_call = [
                        j
                        for j in jobs
                        if j.status == JobStatus.RUNNING
                        and j.workflow_id in running_on_w1
                        and j.started_at is not None
                        and _age_s(j.started_at) > 0.3 * DELAY_S
                    ]
                    done = sum(j.status == JobStatus.SUCCEEDED for j in jobs)
                    return done >= count // 4 and bool(in_call)

                stack.wait("w1 mid-call", w1_mid_call, 120)
                stack.kill("w1")
            stack.wait("every job", lambda: _all_done(engine, dbos_engine, job_ids), 180)
            seconds = time.monotonic() - started
            calls = stack.model_calls(batch)
            _assert_each_job_stored_once(engine, job_ids, calls, batch)
            workflows = _workflows(dbos_engine)
            for wf in running_on_w1:  # finished on the live worker
                assert workflows[wf] == ("SUCCESS", executor["w2"]), stack.logs()
            return Batch(seconds, calls, running_on_w1)

        calm = run_batch("calm", kill_w1=False)
        assert set(calm.calls.values()) == {1}

        killed = run_batch("kill", kill_w1=True)
        assert killed.taken_over  # the kill did hit running jobs
        assert set(leases().values()) == {executor["w2"]}  # the dead lease was taken over
        # a job the dead worker was waiting on asks the model again, and is stored once
        repeated = [key for key, n in killed.calls.items() if n > 1]
        assert set(killed.calls.values()) == {1, 2}
        assert 1 <= len(repeated) <= len(killed.taken_over)
        print(
            f"\nT0 {calm.seconds:.1f}s, T1 {killed.seconds:.1f}s "
            f"({killed.seconds / calm.seconds:.2f}x); {len(killed.taken_over)} jobs running on "
            f"the killed worker, {len(repeated)} model calls repeated"
        )
        assert killed.seconds <= 1.5 * calm.seconds
    finally:
        stack.stop_all()
        engine.dispose()
        dbos_engine.dispose()


# ---- the embedded default: `wirecoder serve` on SQLite ----------------------------------


def test_serve_killed_mid_job_and_started_again_finishes_every_job_once(tmp_path: Path) -> None:
    count = 8
    url = f"sqlite:///{tmp_path / 'data' / 'wirecoder.db'}"  # the data dir's default files
    upgrade_database(url)
    stack = Stack(tmp_path, "", concurrency=2)
    engine = make_engine(url)
    dbos_engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'dbos.sqlite'}")
    api = f"http://127.0.0.1:{_free_port()}"
    serve = [*WIRECODER, "serve", "--port", api.rsplit(":", 1)[1], "--log-level", "warning"]
    try:
        stack.start_model()
        stack.spawn("serve_1", serve)
        stack.wait("the API", lambda: _answers(f"{api}/health"), 120)
        job_ids = _post_articles(api, "embedded", count)

        running: list[str] = []

        def mid_job() -> bool:
            running[:] = [wf for wf, (s, _) in _workflows(dbos_engine).items() if s == "PENDING"]
            jobs = _jobs(engine, job_ids)
            return bool(running) and any(j.status == JobStatus.RUNNING for j in jobs)

        stack.wait("a running job", mid_job, 60)
        stack.kill("serve_1")
        assert not _all_done(engine, dbos_engine, job_ids)

        stack.spawn("serve_2", serve)
        stack.wait("every job", lambda: _all_done(engine, dbos_engine, job_ids), 120)
        _assert_each_job_stored_once(engine, job_ids, stack.model_calls("embedded"), "embedded")
        with Session(engine) as session:
            (restarted,) = session.exec(select(WorkerHeartbeat)).all()  # the old lease is gone
        workflows = _workflows(dbos_engine)
        for wf in running:  # what the killed process was running finished in the new one
            assert workflows[wf] == ("SUCCESS", restarted.executor_id), stack.logs()
    finally:
        stack.stop_all()
        engine.dispose()
        dbos_engine.dispose()
