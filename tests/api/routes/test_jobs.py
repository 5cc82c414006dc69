"""Job mechanics through the API: storage failures, provenance checks, job reads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import extraction_store


def test_failure_mid_write_stores_a_failed_job_and_no_partial_rows(
    client: TestClient, seed_body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(extraction_store, "_insert_quotes", disk_full)  # after actors + events
    submitted = client.post("/v1/articles?wait=5", json=seed_body).json()
    job = client.get(submitted["job"]["url"]).json()
    assert job["status"] == "failed" and job["is_current"] is False
    assert job["error"] == "storing the extraction failed: OSError: disk full"
    assert job["attempts"] == 1 and job["total_tokens"] == 1200 and len(job["raw_outputs"]) == 1
    assert client.get("/v1/events").json()["total"] == 0
    assert client.get("/v1/actors").json()["total"] == 0
    article = client.get(f"/v1/articles/{submitted['article_id']}").json()
    assert article["extraction"] is None and article["text"]

    monkeypatch.undo()  # the disk has room again: a re-run stores everything
    rerun = client.post(f"/v1/articles/{submitted['article_id']}/extract?wait=5").json()
    assert rerun["job"]["status"] == "succeeded" and len(rerun["extraction"]["quotes"]) == 5


def test_job_from_another_prompt_is_not_run_by_this_extractor(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    with make_client(make_fake_extractor(prompt_version="v1"), defer=True) as client:
        job = client.post("/v1/articles", json=seed_body).json()["job"]
    other = make_fake_extractor(prompt_version="v2")
    with make_client(other, defer=True) as client:
        queue = client.app.state.job_queue  # type: ignore[attr-defined]
        queue.pending.append(job["id"])  # as if a v2 worker dequeued the v1 job
        queue.run_pending()
        stored = client.get(job["url"]).json()
    assert stored["status"] == "failed" and "prompt extract@v2" in stored["error"]
    assert other.calls == []


def test_job_shows_full_provenance(
    client: TestClient, seed_body: dict[str, Any], fake_extractor: Any
) -> None:
    job = client.get(client.post("/v1/articles", json=seed_body).json()["job"]["url"]).json()
    provenance = fake_extractor.provenance
    assert job["prompt"] == {"id": "extract", "version": "v1", "sha256": provenance.prompt_sha256}
    assert job["schema_sha256"] == provenance.schema_sha256
    assert (job["model"], job["base_url"], job["backend"], job["mode"]) == (
        "fake-model",
        "http://fake.invalid/v1",
        "fake",
        "tools",
    )
    assert job["workflow_id"] == job["extraction_key"] and job["requests"] == 1
    assert job["started_at"] and job["finished_at"] and job["latency_ms"] == 15
