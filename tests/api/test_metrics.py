"""/metrics (api.metrics): HTTP requests by route template and status, jobs by status and queue
depth from the database, the extraction latency histogram; open where anonymous callers are,
a `read` key elsewhere. Counters are the process's, so tests compare before and after."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from api import auth
from api.config import Settings
from api.models import ApiKeyScope

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, method: str, route: str, status: str) -> float:
    return value(
        samples, "wirecoder_http_requests_total", method=method, route=route, status=status
    )


def test_metrics_count_requests_by_route_jobs_by_status_and_extraction_latency(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    before = scrape(client)
    first = client.post("/v1/articles", json=seed_body)
    second = client.post("/v1/articles", json={**seed_body, "text": seed_body["text"] + " More."})
    assert first.status_code == second.status_code == 202
    article_id = first.json()["article_id"]
    assert client.get(f"/v1/articles/{article_id}").status_code == 200
    assert client.get("/v1/articles/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.request("BREW", "/v1/articles").status_code == 405
    after = scrape(client)

    def added(method: str, route: str, status: str) -> float:
        return requests(after, method, route, status) - requests(before, method, route, status)

    assert added("POST", "/v1/articles", "202") == 2
    # by route template, so an id is one series whatever its value, and a 404 is its own
    assert added("GET", "/v1/articles/{article_id}", "200") == 1
    assert added("GET", "/v1/articles/{article_id}", "404") == 1
    assert added("GET", "unmatched", "404") == 1
    assert added("other", "/v1/articles", "405") == 1  # any token is a method: not a label
    routes = {dict(labels).get("route") for name, labels in after if "http" in name}
    assert f"/v1/articles/{article_id}" not in routes
    assert not any("999999" in route or "/no/such" in route for route in routes if route)
    assert added("GET", "/metrics", "200") == 1  # the scrape before this one
    # jobs by status and the queue depth: counted in this test's database when scraped
    assert value(after, "wirecoder_jobs", status="succeeded") == 2
    assert value(after, "wirecoder_jobs", status="failed") == 0
    assert value(after, "wirecoder_queue_depth") == 0
    # the latency of each extraction try, observed when the job's answer was stored
    count = "wirecoder_extraction_duration_seconds_count"
    labels = {"status": "succeeded", "prompt": "extract@v1"}
    assert value(after, count, **labels) - value(before, count, **labels) == 2
    bucket = "wirecoder_extraction_duration_seconds_bucket"
    assert value(after, bucket, le="+Inf", **labels) == value(after, count, **labels)
    duration = "wirecoder_http_request_duration_seconds_count"
    assert value(after, duration, method="POST", route="/v1/articles") >= 2


def test_queue_depth_is_the_queued_jobs(make_client: Any, seed_body: dict[str, Any]) -> None:
    with make_client(defer=True) as client:
        assert client.post("/v1/articles", json=seed_body).status_code == 202
        waiting = scrape(client)
        client.app.state.job_queue.run_pending()
        done = scrape(client)
    assert value(waiting, "wirecoder_queue_depth") == 1
    assert value(waiting, "wirecoder_jobs", status="queued") == 1
    assert value(done, "wirecoder_queue_depth") == 0
    assert value(done, "wirecoder_jobs", status="succeeded") == 1


def test_metrics_need_a_read_key_where_anonymous_callers_are_not_served(
    make_client: Any, settings: Settings, engine: Any
) -> None:
    locked = settings.model_copy(update={"allow_anonymous": False})
    with Session(engine) as session:
        read = auth.create_key(session, name="prometheus", scope=ApiKeyScope.READ)[1]
    with make_client(app_settings=locked) as client:
        anonymous = client.get("/metrics")
        with_key = client.get("/metrics", headers={"Authorization": f"Bearer {read}"})
        health = client.get("/health")
    assert anonymous.status_code == 401
    assert with_key.status_code == 200 and "wirecoder_jobs" in with_key.text
    assert health.status_code == 200  # liveness stays open


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/health").headers["x-request-id"]
    assert len(made) == 32 and made != client.get("/health").headers["x-request-id"]
    # an id that is not a plain token is not echoed into logs and headers: a new one is made
    for hostile in ('x" level="error', "a" * 129, "id\tinjected"):
        answered = client.get("/health", headers={"X-Request-ID": hostile})
        assert answered.headers["x-request-id"] != hostile
        assert len(answered.headers["x-request-id"]) == 32
