"""The real job path: DBOS Transact with its system database in SQLite (a temp dir)."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.config import Settings
from api.jobs import queue_options
from api.main import create_app
from api.models import ExtractionJob


def test_dbos_queue_runs_jobs_once_per_workflow_id(
    settings: Settings, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    extractor = make_fake_extractor(script=["succeeded", "invalid", "succeeded"])
    with TestClient(create_app(settings, extractor=extractor)) as client:
        assert client.get("/health").json()["queue"]["name"] == "dbos"
        first = client.post("/v1/articles?wait=30", json=seed_body)
        assert first.status_code == 200, first.text
        assert len(first.json()["extraction"]["events"]) == 4
        # same article again: same job, same workflow id, no second extraction
        again = client.post("/v1/articles?wait=5", json=seed_body).json()
        assert again["job"]["id"] == first.json()["job"]["id"]
        assert len(extractor.calls) == 1

        other = {**seed_body, "text": seed_body["text"] + "\n\nA later paragraph."}
        failed = client.post("/v1/articles?wait=30", json=other).json()
        assert failed["job"]["status"] == "invalid"  # an answer: not retried at job level
        rerun = client.post(f"/v1/articles/{failed['article_id']}/extract?wait=30").json()
        assert rerun["job"]["status"] == "succeeded"
        job = client.get(rerun["job"]["url"]).json()
        assert job["workflow_id"] == job["extraction_key"] + ".2"
        assert len(extractor.calls) == 3


def test_enqueue_only_api_leaves_work_to_a_worker(
    settings: Settings, fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    enqueue_only = settings.model_copy(update={"run_worker_in_api": False})
    with TestClient(create_app(enqueue_only, extractor=fake_extractor)) as client:
        response = client.post("/v1/articles?wait=2", json=seed_body)
        assert response.status_code == 202 and response.json()["job"]["status"] == "queued"
        job_url = response.headers["location"]
    assert fake_extractor.calls == []

    # a process that works the queue (as `wirecoder worker` does) picks the job up
    with TestClient(create_app(settings, extractor=fake_extractor)) as worker:
        deadline = time.monotonic() + 30
        while worker.get(job_url).json()["status"] != "succeeded":
            assert time.monotonic() < deadline, worker.get(job_url).json()
            time.sleep(0.2)
        engine = worker.app.state.engine  # type: ignore[attr-defined]
        with Session(engine) as session:
            assert len(session.exec(select(ExtractionJob)).all()) == 1
    assert len(fake_extractor.calls) == 1


def test_queue_options_follow_the_settings(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={"queue_concurrency": 4, "queue_poll_s": 0.01, "queue_worker_concurrency": 9}
    )
    options = queue_options(tuned)
    assert options["polling_interval_sec"] == 0.01
    assert options["global_concurrency"] == 4
    assert options["worker_concurrency"] == 4  # a share above the whole is the whole
    assert "worker_concurrency" not in queue_options(settings)  # no per-process cap by default


def test_a_job_starts_soon_after_its_enqueue_when_a_slot_is_free(
    settings: Settings, fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    """The queue is polled every queue_poll_s: a free slot does not sit out DBOS's default
    second (or the former half second) before it takes a queued job."""
    fast = settings.model_copy(update={"queue_poll_s": 0.02, "queue_rate_limit": 1000})
    with TestClient(create_app(fast, extractor=fake_extractor)) as client:
        for n in range(6):
            body = {**seed_body, "text": f"{seed_body['text']}\n\nParagraph {n}."}
            assert client.post("/v1/articles?wait=30", json=body).status_code == 200
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with Session(engine) as session:
            jobs = session.exec(select(ExtractionJob)).all()
    waits = sorted((j.started_at - j.created_at).total_seconds() for j in jobs if j.started_at)
    assert len(waits) == 6
    assert waits[len(waits) // 2] < 0.15, waits  # the median; at 0.5 s polling it is ~0.25 s
