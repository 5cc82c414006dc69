"""Browsing events, actors and quotes; export; health."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def two_articles(client: TestClient, seed_body: dict[str, Any]) -> list[int]:
    second = {
        **seed_body,
        "text": seed_body["text"] + "\n\nSDF fighters held their positions.",
        "published_at": "2017-10-18",
        "source": "Reuters",
    }
    return [
        client.post("/v1/articles?wait=5", json=body).json()["article_id"]
        for body in (seed_body, second)
    ]


def _total(client: TestClient, query: str) -> int:
    response = client.get(f"/v1/events?{query}")
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def test_event_filters(client: TestClient, two_articles: list[int]) -> None:
    assert _total(client, "") == 8
    assert _total(client, "type=ASSAULT") == 2
    assert _total(client, "mode=ultimatum") == 2
    assert _total(client, "status=planned") == 2
    assert _total(client, "actor=RCC") == 4
    assert _total(client, "actor=Raqa%20Civil%20Council&role=source") == 4
    assert _total(client, "actor=sdf&role=target") == 0
    assert _total(client, "actor=Nobody") == 0
    assert _total(client, "since=2017-10-15") == 6
    assert _total(client, "since=2017-10-14&until=2017-10-14") == 2
    assert _total(client, "location=raqa") == 8
    assert _total(client, "location=aleppo") == 0
    assert _total(client, f"article_id={two_articles[1]}") == 4


def test_events_are_paginated_and_complete(client: TestClient, two_articles: list[int]) -> None:
    page = client.get("/v1/events?limit=3&offset=3").json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (8, 3, 3, 3)
    event = page["items"][0]
    assert {"sources", "targets", "evidence", "location", "acled_event_type"} <= set(event)
    ids = [e["id"] for e in client.get("/v1/events?limit=50").json()["items"]]
    assert len(set(ids)) == 8 and ids[3:6] == [e["id"] for e in page["items"]]
    dates = [e["date"] for e in client.get("/v1/events?limit=50").json()["items"]]
    assert dates == sorted(dates, reverse=True)


def test_actors_with_aliases_and_counts(client: TestClient, two_articles: list[int]) -> None:
    page = client.get("/v1/actors?limit=50").json()
    assert page["total"] == 7
    sdf = next(a for a in page["items"] if a["name"] == "Syrian Democratic Forces")
    assert "SDF" in sdf["aliases"]
    assert (sdf["articles"], sdf["events"], sdf["quotes"]) == (2, 2, 0)
    dillon = client.get("/v1/actors?name=Dillon").json()["items"]
    assert [a["name"] for a in dillon] == ["Ryan Dillon"] and dillon[0]["quotes"] == 6
    assert client.get("/v1/actors?kind=person").json()["total"] == 2
    assert client.get("/v1/actors?limit=2&offset=6").json()["items"][0]["name"]


def test_quotes_by_speaker(client: TestClient, two_articles: list[int]) -> None:
    assert client.get("/v1/quotes").json()["total"] == 10
    dillon = client.get("/v1/quotes?speaker=Dillon").json()
    assert dillon["total"] == 6
    assert {q["speaker"] for q in dillon["items"]} == {"Ryan Dillon"}
    assert client.get("/v1/quotes?speaker=RCC").json()["total"] == 2
    one = client.get(f"/v1/quotes?article_id={two_articles[0]}&limit=2").json()
    assert one["total"] == 5 and len(one["items"]) == 2
    quote = one["items"][0]
    assert quote["span"]["alignment"] == "exact" and quote["speaker_span"]["text"] == "he"


def test_export_csv(client: TestClient, two_articles: list[int]) -> None:
    response = client.get("/v1/events/export?format=csv&type=THREATEN")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 2
    row = rows[0]
    assert row["plover_event_type"] == "THREATEN" and row["plover_mode"] == "ultimatum"
    assert row["actor1"] == "US-led coalition" and row["actor2"] == "Islamic State"
    assert row["event_date"] == "2017-10-15" and row["time_precision"] == "1"
    assert row["location"] == "Raqa" and row["country"] == "Syria" and row["geo_precision"] == "1"
    assert (row["country_code"], row["admin1"], row["geonameid"]) == ("SY", "Ar-Raqqah", "172955")
    assert (float(row["latitude"]), float(row["longitude"])) == (35.95283, 39.00788)
    assert row["source"] in {"AFP", "Reuters"} and row["source_url"]


def test_export_jsonl(client: TestClient, two_articles: list[int]) -> None:
    response = client.get("/v1/events/export?format=jsonl")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert len(lines) == 8
    evacuation = next(r for r in lines if r["plover_mode"] == "evacuation")
    assert evacuation["actor1"] == "Raqa Civil Council"
    assert evacuation["assoc_actor_1"] == "Islamic State"


def test_export_with_nothing_is_a_header(client: TestClient) -> None:
    response = client.get("/v1/events/export")
    assert response.text.strip().split(",")[0] == "event_id_cnty"
    assert len(response.text.strip().splitlines()) == 1


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["database"] in {"sqlite", "postgresql"}
    assert body["queue"]["name"] == "inline" and body["prompt"] == "extract@v1"


def test_openapi_has_seed_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    example = schema["components"]["schemas"]["ArticleIn"]["examples"][0]
    assert "Raqa" in example["text"] and example["published_at"] == "2017-10-17"
    assert "/v1/events/export" in schema["paths"]
