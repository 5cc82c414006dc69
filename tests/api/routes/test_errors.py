"""Bad input gets a 4xx that says what was wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


def _detail(response: Any) -> str:
    return str(response.json()["detail"])


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_whitespace_text(client: TestClient, text: str) -> None:
    response = client.post("/v1/articles", json={"text": text})
    assert response.status_code == 422
    assert "text is empty or only whitespace" in _detail(response)


def test_text_over_the_limit(client: TestClient) -> None:
    response = client.post("/v1/articles", json={"text": "x" * 20_001})
    assert response.status_code == 413
    assert "20001 characters; the limit is 20000" in _detail(response)


def test_batch_names_the_article_over_the_limit(client: TestClient) -> None:
    articles = [{"text": "A short article."}, {"text": "y" * 20_001}]
    response = client.post("/v1/articles/batch", json={"articles": articles})
    assert response.status_code == 413 and "articles[1].text" in _detail(response)
    assert client.get("/v1/articles").json()["total"] == 0  # all or nothing


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/articles",
        content=b'{"text": "unterminated',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert _detail(response).startswith("malformed JSON body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": 42}, "text"),
        ({"title": "no text"}, "text"),
        ({"text": "An article.", "published_at": "yesterday-ish"}, "published_at"),
        ({"text": "An article.", "url": "not a url"}, "url"),
        ({"text": "An article.", "unknown": 1}, "unknown"),
        (["a", "list"], "body"),
    ],
)
def test_wrong_types_name_the_field(client: TestClient, body: Any, field: str) -> None:
    response = client.post("/v1/articles", json=body)
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"])


def test_published_at_in_the_future(client: TestClient) -> None:
    response = client.post(
        "/v1/articles", json={"text": "An article.", "published_at": "2999-01-01"}
    )
    assert response.status_code == 422
    assert "published_at 2999-01-01 is in the future" in _detail(response)


def test_empty_batch(client: TestClient) -> None:
    assert client.post("/v1/articles/batch", json={"articles": []}).status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/v1/articles/999", "/v1/jobs/999", "/articles/999/view"],
)
def test_unknown_ids_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "999 not found" in _detail(response)


def test_rerun_of_unknown_article_is_404(client: TestClient) -> None:
    response = client.post("/v1/articles/999/extract")
    assert response.status_code == 404 and "article 999 not found" in _detail(response)


def test_non_integer_id_is_422(client: TestClient) -> None:
    assert client.get("/v1/articles/abc").status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=51",  # page_size_max is 50 in the test settings
        "offset=-1",
        "type=FIGHT",
        "mode=teleport",
        "status=rumoured",
        "since=2017-13-01",
        "since=2017-10-16&until=2017-10-15",
        "role=bystander",
    ],
)
def test_bad_list_parameters(client: TestClient, query: str) -> None:
    response = client.get(f"/v1/events?{query}")
    assert response.status_code == 422, response.text


def test_bad_wait(client: TestClient) -> None:
    assert client.post("/v1/articles?wait=-1", json={"text": "An article."}).status_code == 422


def test_bad_export_format(client: TestClient) -> None:
    assert client.get("/v1/events/export?format=xlsx").status_code == 422


def test_every_operation_declares_one_error_model(client: TestClient) -> None:
    from api.errors import ERROR_RESPONSES

    spec = client.get("/openapi.json").json()
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ERROR_RESPONSES:
                content = responses[str(status)]["content"]
                assert content == {"application/json": {"schema": error_body}}, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                schema = responses["422"]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/HTTPValidationError"}


@pytest.mark.parametrize(
    "request_",
    [
        ("GET", "/v1/events?limit=51"),  # refused by the route, not by FastAPI
        ("GET", "/v1/events?since=2017-10-16&until=2017-10-15"),
    ],
)
def test_a_route_s_own_422_has_fastapi_s_shape(client: TestClient, request_: Any) -> None:
    errors = client.request(*request_).json()["detail"]
    assert [set(e) >= {"loc", "msg", "type"} for e in errors] == [True]
    assert errors[0]["loc"][0] == "query"


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete("/v1/articles")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json() == {"detail": "DELETE is not allowed here"}
