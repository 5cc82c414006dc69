"""Submitting, reading and re-running articles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_post_returns_202_with_job_and_location(
    make_client: Any, seed_body: dict[str, Any]
) -> None:
    with make_client(defer=True) as client:
        response = client.post("/v1/articles", json=seed_body)
        assert response.status_code == 202
        body = response.json()
        assert body["job"]["status"] == "queued"
        assert response.headers["location"] == f"/v1/jobs/{body['job']['id']}"
        assert body["job"]["url"] == response.headers["location"]
        assert body["article_created"] is True and body["extraction"] is None

        client.app.state.job_queue.run_pending()  # type: ignore[attr-defined]
        job = client.get(response.headers["location"]).json()
    assert job["status"] == "succeeded"
    assert job["prompt"]["version"] == "v1" and job["model"] == "fake-model"
    assert job["attempts"] == 1 and job["total_tokens"] == 1200 and len(job["raw_outputs"]) == 1


def test_wait_returns_200_with_the_extraction(
    client: TestClient, seed_body: dict[str, Any], seed: Any
) -> None:
    response = client.post("/v1/articles?wait=5", json=seed_body)
    assert response.status_code == 200
    extraction = response.json()["extraction"]
    assert len(extraction["events"]) == 4
    assert len(extraction["actors"]) == 7
    assert len(extraction["quotes"]) == 5
    text = client.get(f"/v1/articles/{response.json()['article_id']}").json()["text"]
    for quote in extraction["quotes"]:
        span = quote["span"]
        assert span["alignment"] == "exact" and text[span["start"] : span["end"]] == quote["text"]
    threaten = next(e for e in extraction["events"] if e["event_type"] == "THREATEN")
    assert [s["name"] for s in threaten["sources"]] == ["US-led coalition"]
    assert threaten["targets"][0]["canonical_name"] == "Islamic State"


def test_wait_that_runs_out_returns_202(make_client: Any, seed_body: dict[str, Any]) -> None:
    with make_client(defer=True) as client:
        response = client.post("/v1/articles?wait=0.2", json=seed_body)
    assert response.status_code == 202 and response.json()["job"]["status"] == "queued"


def test_posting_the_same_article_twice_gives_the_same_job(
    client: TestClient, seed_body: dict[str, Any], fake_extractor: Any
) -> None:
    first = client.post("/v1/articles", json=seed_body).json()
    # same text with different whitespace and metadata: same normalised text, same article
    again_body = {**seed_body, "text": "  " + seed_body["text"] + "\n\n", "title": "Other"}
    second = client.post("/v1/articles", json=again_body).json()
    assert second["article_id"] == first["article_id"]
    assert second["article_created"] is False
    # the other title is said, not hidden: kept (tests/api/routes/test_article_lifecycle.py)
    assert (second["metadata"], second["metadata_differs"]) == ("kept", ["title"])
    assert second["job"]["id"] == first["job"]["id"]
    assert len(fake_extractor.calls) == 1  # one extraction
    assert client.get("/v1/articles").json()["total"] == 1


def test_new_prompt_version_gives_a_new_extraction_and_keeps_the_old(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    with make_client(make_fake_extractor(prompt_version="v1")) as client:
        old = client.post("/v1/articles?wait=5", json=seed_body).json()
    with make_client(make_fake_extractor(prompt_version="v2")) as client:
        new = client.post("/v1/articles?wait=5", json=seed_body).json()
        article = client.get(f"/v1/articles/{new['article_id']}").json()
        old_job = client.get(f"/v1/jobs/{old['job']['id']}").json()
        events = client.get("/v1/events").json()
    assert new["article_id"] == old["article_id"]
    assert new["job"]["id"] != old["job"]["id"]
    assert new["job"]["extraction_key"] != old["job"]["extraction_key"]
    assert [j["prompt"]["version"] for j in article["jobs"]] == ["v2", "v1"]
    assert article["extraction"]["job"]["id"] == new["job"]["id"]
    assert old_job["status"] == "succeeded" and old_job["is_current"] is False
    assert events["total"] == 4  # only the current extraction is browsed


def test_failed_job_is_stored_with_attempts_tokens_raw_output_and_article_kept(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    # two job-level tries (job_max_attempts=2): a transport failure, then an invalid answer
    extractor = make_fake_extractor(script=["failed", "invalid"])
    with make_client(extractor) as client:
        response = client.post("/v1/articles?wait=5", json=seed_body)
        assert response.status_code == 200
        job = client.get(response.headers["location"]).json()
        article = client.get(f"/v1/articles/{response.json()['article_id']}").json()
    assert job["status"] == "invalid"
    assert job["job_attempts"] == 2 and job["attempts"] == 4
    assert job["prompt_tokens"] == 4000 and job["completion_tokens"] == 600
    assert len(job["raw_outputs"]) == 3 and "not in the article" in job["error"]
    assert article["text"] and article["extraction"] is None
    assert article["jobs"][0]["status"] == "invalid"


def test_failures_on_every_try_end_failed(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    extractor = make_fake_extractor(script=["failed", RuntimeError("model server crashed")])
    with make_client(extractor) as client:
        job = client.post("/v1/articles?wait=5", json=seed_body).json()["job"]
        job = client.get(job["url"]).json()
    assert job["status"] == "failed" and job["job_attempts"] == 2
    assert job["error"] == "RuntimeError: model server crashed"
    assert len(extractor.calls) == 2


def test_rerun_after_failure(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    extractor = make_fake_extractor(script=["invalid"])
    with make_client(extractor) as client:
        first = client.post("/v1/articles?wait=5", json=seed_body).json()
        assert first["job"]["status"] == "invalid"
        rerun = client.post(f"/v1/articles/{first['article_id']}/extract?wait=5")
        assert rerun.status_code == 200
        assert rerun.headers["location"] == first["job"]["url"]
        job = client.get(first["job"]["url"]).json()
        article = client.get(f"/v1/articles/{first['article_id']}").json()
    assert rerun.json()["job"]["id"] == first["job"]["id"]
    assert job["status"] == "succeeded" and job["requests"] == 2 and job["error"] is None
    assert job["workflow_id"] == job["extraction_key"] + ".2"
    assert len(article["extraction"]["events"]) == 4


def test_rerun_of_a_queued_job_leaves_it_alone(make_client: Any, seed_body: dict[str, Any]) -> None:
    with make_client(defer=True) as client:
        first = client.post("/v1/articles", json=seed_body).json()
        rerun = client.post(f"/v1/articles/{first['article_id']}/extract")
        assert rerun.status_code == 202
        assert rerun.json()["job"] == first["job"]
        client.app.state.job_queue.run_pending()  # type: ignore[attr-defined]
        job = client.get(first["job"]["url"]).json()
    assert job["requests"] == 1 and job["status"] == "succeeded"


def test_batch(client: TestClient, seed_body: dict[str, Any]) -> None:
    bodies = [seed_body, {**seed_body, "text": seed_body["text"] + "\n\nUpdate: more."}, seed_body]
    response = client.post("/v1/articles/batch", json={"articles": bodies})
    assert response.status_code == 202
    items = response.json()["items"]
    assert [i["article_created"] for i in items] == [True, True, False]
    assert items[0]["job"]["id"] == items[2]["job"]["id"] != items[1]["job"]["id"]
    assert client.get("/v1/articles").json()["total"] == 2


def test_list_articles_is_paginated(client: TestClient, seed_body: dict[str, Any]) -> None:
    for n in range(5):
        client.post("/v1/articles", json={**seed_body, "text": f"{seed_body['text']}\n\n#{n}"})
    page = client.get("/v1/articles?limit=2&offset=1").json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert len(page["items"]) == 2 and "text" not in page["items"][0]
    everything = client.get("/v1/articles?limit=50").json()["items"]
    assert [a["id"] for a in everything][1:3] == [a["id"] for a in page["items"]]
    assert client.get("/v1/articles?offset=10").json()["items"] == []


def test_read_article(client: TestClient, seed_body: dict[str, Any]) -> None:
    submitted = client.post("/v1/articles", json=seed_body).json()
    article = client.get(f"/v1/articles/{submitted['article_id']}").json()
    assert article["published_at"] == "2017-10-17" and article["dateline"] == "AIN ISSA, Syria"
    assert article["source"] == "AFP" and article["chars"] == len(article["text"])
    assert article["url"] == "https://www.example.org/afp/raqa"
    assert article["extraction"]["job"]["status"] == "succeeded"
    assert article["created_at"].endswith(("Z", "+00:00"))


def test_published_at_timestamp_keeps_its_date(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    body = {**seed_body, "published_at": "2017-10-17T08:30:00Z"}
    article_id = client.post("/v1/articles", json=body).json()["article_id"]
    assert client.get(f"/v1/articles/{article_id}").json()["published_at"] == "2017-10-17"


def test_failed_rerun_of_a_succeeded_job_keeps_its_rows(
    make_client: Any, make_fake_extractor: Any, seed_body: dict[str, Any]
) -> None:
    extractor = make_fake_extractor(script=["succeeded", "invalid"])
    with make_client(extractor) as client:
        first = client.post("/v1/articles?wait=5", json=seed_body).json()
        rerun = client.post(f"/v1/articles/{first['article_id']}/extract?wait=5").json()
        article = client.get(f"/v1/articles/{first['article_id']}").json()
        events = client.get("/v1/events").json()
    assert rerun["job"]["status"] == "invalid"
    assert article["extraction"]["job"]["status"] == "invalid"  # the latest run's status
    assert len(article["extraction"]["events"]) == 4  # the last successful run's rows
    assert events["total"] == 4
