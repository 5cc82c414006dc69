"""The docs: /docs and /redoc load everything from this app (no CDN), and every operation's 2xx
answers declare a schema and an example that its response model accepts as it is."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from api.acled_export import EXPORT_COLUMNS
from api.config import LLMBackend, Settings
from api.jobs import InlineJobQueue, JobContext
from api.main import create_app
from tests.fakes import FakeExtractor

# what a page can point at: attributes, and the spec's URL in Swagger UI's inline config
_REFERENCES = re.compile(
    r"""(?:\bsrc|\bhref|\bspec-url)\s*=\s*["']([^"']+)["']|\burl:\s*'([^']+)'"""
)
_CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("docs")
    settings = Settings(_env_file=None, data_dir=data, llm_backend=LLMBackend.REPLAY)

    def inline(ctx: JobContext) -> InlineJobQueue:
        return InlineJobQueue(ctx)

    app = create_app(settings, extractor=FakeExtractor(), job_queue_factory=inline)
    with TestClient(app) as test_client:
        yield test_client


def _references(page: str) -> list[str]:
    return [attribute or config for attribute, config in _REFERENCES.findall(page)]


@pytest.mark.parametrize("page_url", ["/docs", "/redoc"])
def test_docs_page_loads_every_asset_from_this_app(client: TestClient, page_url: str) -> None:
    page = client.get(page_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//[a-z0-9]", page.text, re.I), "a URL to another host"
    references = _references(page.text)
    assert "/openapi.json" in references
    assets = [r for r in references if r != "/openapi.json"]
    assert len(assets) >= 2  # the script, the favicon (and Swagger UI's stylesheet)
    for reference in references:
        url = urljoin(f"http://testserver{page_url}", reference)
        assert urlsplit(url).netloc == "testserver", reference
        answer = client.get(url)
        assert answer.status_code == 200, reference
        wanted = _CONTENT_TYPES[Path(urlsplit(url).path).suffix]
        assert wanted in answer.headers["content-type"], (reference, answer.headers)
        assert len(answer.content) > 1000  # the asset itself, not an error page


def test_swagger_ui_is_configured_for_api_keys_and_no_validator(client: TestClient) -> None:
    page = client.get("/docs").text
    assert '"persistAuthorization": true' in page and '"validatorUrl": null' in page
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}  # Bearer, X-API-Key
    secured = spec["paths"]["/v1/articles"]["post"]["security"]
    assert {name for requirement in secured for name in requirement} == set(schemes)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_every_2xx_answer_has_a_schema_and_an_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    missing = []
    answers = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if not status.startswith("2") or status == "204":  # 204: no content, by definition
                    continue
                where = f"{method.upper()} {path} {status}"
                content = response.get("content")
                if not content:
                    missing.append(f"{where}: no content")
                for media, declared in (content or {}).items():
                    answers += 1
                    if not declared.get("schema"):
                        missing.append(f"{where} {media}: no schema")
                        continue
                    schema = _resolve(spec, declared["schema"])
                    if not ({"example", "examples"} & (set(declared) | set(schema))):
                        missing.append(f"{where} {media}: no example")
    assert not missing, missing
    assert answers >= 17


def _json_examples(content: dict[str, Any]) -> list[Any]:
    media = content.get("application/json", {})
    named = [e["value"] for e in media.get("examples", {}).values()]
    return [media["example"], *named] if "example" in media else named


def test_every_json_example_is_what_its_response_model_gives(client: TestClient) -> None:
    """An example is its model's own dump: no field missing, none extra, every value valid."""
    checked = 0
    for context in iter_route_contexts(client.app.router.routes):  # type: ignore[attr-defined]
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        answers = {route.status_code or 200: {}, **route.responses}
        for status, response in answers.items():
            if not str(status).startswith("2"):
                continue
            model = response.get("model") or route.response_model
            examples = _json_examples(response.get("content", {}))
            if isinstance(model, type) and issubclass(model, BaseModel):
                examples += model.model_json_schema().get("examples", [])
            for example in examples:
                adapter: TypeAdapter[Any] = TypeAdapter(model)
                dumped = adapter.dump_python(adapter.validate_python(example), mode="json")
                assert dumped == example, (route.path, status)
                checked += 1
    assert checked >= 13


def test_export_examples_are_rows_of_every_column(client: TestClient) -> None:
    content = client.get("/openapi.json").json()["paths"]["/v1/events/export"]["get"]
    content = content["responses"]["200"]["content"]
    row = json.loads(content["application/x-ndjson"]["example"])  # a line: nulls stay
    properties = content["application/x-ndjson"]["schema"]["properties"]
    assert list(row) == list(properties) == list(EXPORT_COLUMNS)
    json_types = {"string": str, "integer": int, "number": float, "null": type(None)}
    for column, value in row.items():
        declared = properties[column]["type"]
        kinds = tuple(
            json_types[t] for t in (declared if isinstance(declared, list) else [declared])
        )
        assert isinstance(value, kinds), column
    assert row["plover_event_type"] == "ASSAULT" and row["event_type"] == "Battles"
    header, line = csv.reader(io.StringIO(content["text/csv"]["example"]))
    assert header == list(EXPORT_COLUMNS)
    assert line == ["" if value is None else str(value) for value in row.values()]
