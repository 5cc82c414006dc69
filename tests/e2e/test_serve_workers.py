"""`wirecoder serve --workers 2` on the embedded default (SQLite), as real processes: two
worker processes beside the API both run jobs from the one queue, each job is stored once,
and SIGTERM to `serve` stops the API and its workers."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from api.db import make_engine
from api.models import WorkerHeartbeat
from tests.e2e.test_worker_takeover import (
    WIRECODER,
    Stack,
    _all_done,
    _answers,
    _assert_each_job_stored_once,
    _free_port,
    _post_articles,
    _workflows,
)

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_with_two_workers_spreads_jobs_and_stops_on_sigterm(tmp_path: Path) -> None:
    count = 12
    stack = Stack(tmp_path, "", concurrency=4)
    data = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data / 'wirecoder.db'}")
    dbos_engine = create_engine(f"sqlite:///{data / 'dbos.sqlite'}")
    api = f"http://127.0.0.1:{_free_port()}"
    port = api.rsplit(":", 1)[1]
    serve = [*WIRECODER, "serve", "--port", port, "--workers", "2", "--log-level", "warning"]
    try:
        stack.start_model()
        pid = stack.spawn("serve", serve)
        stack.wait("the API", lambda: _answers(f"{api}/health"), 120)
        workers = _children(pid)
        assert len(workers) == 2

        def leases() -> dict[int, str]:
            with Session(engine) as session:
                return {r.pid: r.executor_id for r in session.exec(select(WorkerHeartbeat))}

        stack.wait("two worker leases", lambda: set(leases()) == set(workers), 120)
        job_ids = _post_articles(api, "spread", count)
        stack.wait("every job", lambda: _all_done(engine, dbos_engine, job_ids), 120)
        _assert_each_job_stored_once(engine, job_ids, stack.model_calls("spread"), "spread")
        ran_on = {executor for _, executor in _workflows(dbos_engine).values()}
        assert ran_on == set(leases().values())  # both workers ran jobs; the API ran none

        stack.procs["serve"].send_signal(signal.SIGTERM)
        # it ends by the signal, as uvicorn alone does, once its workers stopped
        assert stack.procs["serve"].wait(timeout=60) == -signal.SIGTERM
        for worker in workers:  # gone, and their leases handed on
            assert not Path(f"/proc/{worker}").exists() or _is_zombie(worker)
        with Session(engine) as session:
            assert all(r.last_seen.year == 1970 for r in session.exec(select(WorkerHeartbeat)))
    except subprocess.TimeoutExpired:
        raise AssertionError(f"serve did not stop on SIGTERM\n{stack.logs()}") from None
    finally:
        stack.stop_all()
        engine.dispose()
        dbos_engine.dispose()


def _is_zombie(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
