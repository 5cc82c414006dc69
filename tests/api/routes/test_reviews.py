"""POST/GET /v1/articles/{id}/reviews and GET /v1/review/stats over HTTP: status codes, scopes,
the reviewer taken from the API key, and reads that say which version they serve."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import auth
from api.config import Settings
from api.models import ApiKeyScope
from api.routes import reviews
from schemas.api import ReviewCreated
from schemas.review import ReviewPublic, ReviewStats


@pytest.fixture
def posted(client: TestClient, seed_body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/v1/articles?wait=30", json=seed_body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _threat(extraction: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in extraction["events"] if e["event_type"] == "THREATEN")


def test_review_is_stored_served_and_listed(client: TestClient, posted: dict[str, Any]) -> None:
    article_id, extraction = posted["article_id"], posted["extraction"]
    assert extraction["version"] == "model" and extraction["review"] is None
    threat = _threat(extraction)
    answer = client.post(
        f"/v1/articles/{article_id}/reviews",
        json={
            "note": "a warning, not an ultimatum",
            "base_job_id": extraction["job"]["id"],
            "changes": [{"op": "update_event", "event_id": threat["id"], "clear": ["mode"]}],
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["review"]["reviewer"] == "anonymous"  # no key needed on the loopback default
    assert body["extraction"]["version"] == "reviewed"
    assert body["extraction"]["review"]["id"] == body["review"]["id"]
    assert body["review"]["diff"][0]["before"] == {"mode": "ultimatum"}

    served = client.get(f"/v1/articles/{article_id}").json()
    assert served["extraction"]["version"] == "reviewed"
    assert _threat(served["extraction"])["mode"] is None
    assert [j["id"] for j in served["jobs"]] == [extraction["job"]["id"]]  # model runs only
    model = client.get(f"/v1/articles/{article_id}?version=model").json()
    assert model["extraction"]["version"] == "model"
    assert _threat(model["extraction"])["mode"] == "ultimatum"
    # listings follow the served version
    events = client.get("/v1/events", params={"type": "THREATEN"}).json()["items"]
    assert [e["mode"] for e in events] == [None]
    assert events[0]["job_id"] == body["extraction"]["job"]["id"]

    history = client.get(f"/v1/articles/{article_id}/reviews").json()
    assert [(r["id"], r["note"]) for r in history] == [
        (body["review"]["id"], "a warning, not an ultimatum")
    ]
    stats = client.get("/v1/review/stats").json()
    assert stats["reviewed_articles"] == 1 and stats["events"]["changed"]["mode"] == 1


def test_errors_are_4xx_saying_why(client: TestClient, posted: dict[str, Any]) -> None:
    article_id, extraction = posted["article_id"], posted["extraction"]
    url = f"/v1/articles/{article_id}/reviews"
    unknown = client.post(url, json={"changes": [{"op": "delete_event", "event_id": 4242}]})
    assert unknown.status_code == 422
    [error] = unknown.json()["detail"]  # FastAPI's shape, like every 422
    assert error["loc"] == ["body", "changes", 0]
    assert error["msg"].startswith("change 0 (delete_event): event 4242")
    assert error["input"] == {"op": "delete_event", "event_id": 4242}
    bad_role = client.post(
        url,
        json={
            "changes": [
                {"op": "update_event", "event_id": _threat(extraction)["id"], "targets": ["Mars"]}
            ]
        },
    )
    assert bad_role.status_code == 422
    assert "'Mars' is not among" in bad_role.json()["detail"][0]["msg"]
    malformed = client.post(url, json={"changes": [{"op": "recode"}]})
    assert malformed.status_code == 422
    assert client.post(url, json={"changes": []}).status_code == 422
    missing = client.post(
        "/v1/articles/999/reviews", json={"changes": [{"op": "delete_event", "event_id": 1}]}
    )
    assert missing.status_code == 404
    assert client.get("/v1/articles/999/reviews").status_code == 404
    assert client.get(f"/v1/articles/{article_id}?version=reviewed").status_code == 404
    assert client.get(f"/v1/articles/{article_id}?version=latest").status_code == 422

    change = {"op": "delete_quote", "quote_id": extraction["quotes"][0]["id"]}
    base = extraction["job"]["id"]
    first = client.post(url, json={"changes": [change], "base_job_id": base})
    stale = client.post(url, json={"changes": [change], "base_job_id": base})
    assert first.status_code == 201
    assert stale.status_code == 409 and "not the version served" in stale.json()["detail"]


def test_reviewer_is_the_keys_holder_and_reading_keys_cannot_review(
    make_client: Any, settings: Settings, engine: Any, seed_body: dict[str, Any]
) -> None:
    with Session(engine) as session:
        read = auth.create_key(session, name="reader", scope=ApiKeyScope.READ)[1]
        write = auth.create_key(session, name="desk", scope=ApiKeyScope.WRITE)[1]
    locked = settings.model_copy(update={"allow_anonymous": False})
    with make_client(app_settings=locked) as client:
        posted = client.post("/v1/articles?wait=30", json=seed_body, headers={"X-API-Key": write})
        article_id, extraction = posted.json()["article_id"], posted.json()["extraction"]
        body = {"changes": [{"op": "delete_quote", "quote_id": extraction["quotes"][0]["id"]}]}
        url = f"/v1/articles/{article_id}/reviews"
        denied = client.post(url, json=body, headers={"X-API-Key": read})
        made = client.post(url, json=body, headers={"X-API-Key": write})
        history = client.get(url, headers={"X-API-Key": read})
        stats = client.get("/v1/review/stats", headers={"X-API-Key": read})
    assert denied.status_code == 403 and "needs scope 'write'" in denied.json()["detail"]
    assert made.status_code == 201 and made.json()["review"]["reviewer"] == "desk"
    assert history.status_code == 200 and history.json()[0]["reviewer"] == "desk"
    assert stats.status_code == 200 and stats.json()["quotes"]["deleted"] == 1


def test_openapi_declares_the_review_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/articles/{article_id}/reviews"]["post"]
    assert {"201", "404", "409", "422", "403"} <= set(post["responses"])
    assert "example" in post["responses"]["201"]["content"]["application/json"]
    assert "/v1/review/stats" in spec["paths"]


def test_the_openapi_examples_are_valid_answers() -> None:
    created = {"review": reviews.REVIEW_EXAMPLE, "extraction": reviews.REVIEWED_EXTRACTION_EXAMPLE}
    assert ReviewCreated.model_validate(created).extraction.version == "reviewed"
    assert ReviewPublic.model_validate(reviews.REVIEW_EXAMPLE).reviewer == "desk"
    stats = ReviewStats.model_validate(reviews.STATS_EXAMPLE)
    assert set(stats.events.changed) == set(stats.events.agreement)
