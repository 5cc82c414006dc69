"""The ACLED-style export: ACLED's columns in ACLED's order, then ours; a row per event with
ACLED's conventions; empty CSV cells and JSON nulls for what is not known."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from api import acled_export
from api import openapi_examples as examples
from api.acled_export import ACLED_COLUMNS, EXPORT_COLUMNS, RowContext, acled_row
from schemas.api import EventPublic

# ACLED's public data, in its order
ACLED_ORDER = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip
_RAQA = {
    "place": "Raqa",
    "admin_area": "Ar-Raqqah",
    "country": "Syria",
    "precision": "place",
    "country_code": "SY",
    "latitude": 35.95283,
    "longitude": 39.00788,
    "geonameid": 172955,
    "geo_precision": 1,
}


def _actor(name: str, actor_id: int | None) -> dict[str, Any]:
    return {"name": name, "actor_id": actor_id, "canonical_actor_id": None, "canonical_name": None}


def _event(**changes: Any) -> EventPublic:
    return EventPublic.model_validate({**examples.EVENT, **changes})


def _ctx(kinds: dict[int, str], **changes: Any) -> RowContext:
    fields: dict[str, Any] = {
        "source": "AFP",
        "url": "https://example.org/a",
        "stored_at": dt.datetime(2017, 10, 17, 12, 0, tzinfo=dt.UTC),
        "version": "model",
        "kinds": kinds,
    }
    return RowContext(**{**fields, **changes})


def test_acled_columns_come_first_in_acleds_order_then_ours() -> None:
    assert list(ACLED_COLUMNS) == ACLED_ORDER and len(ACLED_ORDER) == 31
    assert list(EXPORT_COLUMNS)[:31] == ACLED_ORDER
    ours = {"plover_event_type", "plover_mode", "status", "evidence", "evidence_start",
            "evidence_end", "article_id", "job_id", "version"}  # fmt: skip
    assert ours <= set(list(EXPORT_COLUMNS)[31:])


def test_an_airstrike_on_civilians_by_a_state() -> None:
    event = _event(
        event_type="ASSAULT",
        mode="aerial",
        acled_event_type="Explosions/Remote violence",
        acled_sub_event_type="Air/drone strike",
        location=_RAQA,
        fatalities=7,
        sources=[_actor("Russia", 1)],
        targets=[_actor("civilians", 2), _actor("Civil Defence", 3)],
    )
    row = acled_row(event, _ctx({1: "state", 2: "civilians", 3: "other"}))
    assert list(row) == list(EXPORT_COLUMNS)
    assert row["event_id_cnty"] == f"SYR{event.id}"
    assert (row["disorder_type"], row["inter1"], row["inter2"]) == ("Political violence", 1, 7)
    assert (row["interaction"], row["civilian_targeting"]) == (17, "Civilian targeting")
    assert (row["assoc_actor_2"], row["iso"], row["region"]) == (
        "Civil Defence",
        760,
        "Middle East",
    )
    assert (row["admin1"], row["admin2"], row["latitude"], row["fatalities"]) == (
        "Ar-Raqqah", None, 35.95283, 7,
    )  # fmt: skip
    assert (row["time_precision"], row["year"]) == (1, 2017)
    assert row["timestamp"] == int(dt.datetime(2017, 10, 17, 12, tzinfo=dt.UTC).timestamp())


def test_what_is_not_known_is_none_never_a_guess() -> None:
    event = _event(
        location=None,
        date=None,
        date_precision="unknown",
        mode=None,
        sources=[_actor("Islamic State", 4)],
        targets=[_actor("SDF", None)],  # not resolved to an article actor: no kind
    )
    # naive, as SQLite returns it: UTC
    row = acled_row(event, _ctx({4: "armed_group"}, source=None, stored_at=dt.datetime(2017, 1, 1)))
    assert row["event_id_cnty"] == f"XXX{event.id}"
    unknown = (
        "event_date year time_precision inter1 inter2 interaction civilian_targeting iso region "
        "country admin1 latitude geo_precision source fatalities source_scale tags plover_mode"
    )
    for column in unknown.split():
        assert row[column] is None, column
    assert row["timestamp"] == int(dt.datetime(2017, 1, 1, tzinfo=dt.UTC).timestamp())


def test_one_sided_protest_is_60_and_a_civilian_target_of_a_verbal_event_is_no_targeting() -> None:
    protest = _event(
        event_type="PROTEST",
        mode="demonstrate",
        acled_event_type="Protests",
        acled_sub_event_type="Peaceful protest",
        sources=[_actor("residents", 1)],
        targets=[],
    )
    row = acled_row(protest, _ctx({1: "civilians"}))
    assert (row["disorder_type"], row["inter1"], row["interaction"]) == ("Demonstrations", 6, 60)
    assert row["actor2"] is None and row["inter2"] is None
    accuse = _event(
        event_type="ACCUSE",
        mode=None,
        acled_event_type=None,
        acled_sub_event_type=None,
        targets=[_actor("civilians", 2)],
    )
    row = acled_row(accuse, _ctx({2: "civilians"}))
    assert row["disorder_type"] is None and row["civilian_targeting"] is None


def _stored(client: Any, seed_body: dict[str, Any]) -> None:
    assert client.post("/v1/articles?wait=5", json=seed_body).status_code == 200


def test_csv_loads_with_a_type_per_column(client: Any, seed_body: dict[str, Any]) -> None:
    """pandas is not installed here: the csv module, and each column's declared type."""
    _stored(client, seed_body)
    text = client.get("/v1/events/export?format=csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == list(EXPORT_COLUMNS)
    parse = {"integer": int, "number": float, "string": str}
    for column, (kind, _meaning) in EXPORT_COLUMNS.items():
        cells = [row[column] for row in rows]
        for cell in cells:
            if cell == "":
                assert column not in acled_export.REQUIRED_COLUMNS, column
                continue
            value = parse[kind](cell)  # an int column holds ints, a number column floats
            if kind == "integer":
                assert str(value) == cell, (column, cell)
    row = rows[0]
    assert row["event_id_cnty"].startswith("SYR") and row["iso"] == "760"
    assert row["region"] == "Middle East" and row["admin2"] == "" and row["version"] == "model"
    assert int(row["timestamp"]) > 1_500_000_000


def test_jsonl_writes_null_for_what_is_not_known(client: Any, seed_body: dict[str, Any]) -> None:
    _stored(client, seed_body)
    lines = client.get("/v1/events/export?format=jsonl").text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows and all(list(r) == list(EXPORT_COLUMNS) for r in rows)
    json_types = {"integer": int, "number": float, "string": str}
    for row in rows:
        assert "" not in row.values()  # null, never ""
        assert row["admin2"] is None and row["tags"] is None and row["source_scale"] is None
        for column, (kind, _meaning) in EXPORT_COLUMNS.items():
            value = row[column]
            assert value is None or isinstance(value, json_types[kind]), (column, value)
    reject = next(r for r in rows if r["plover_event_type"] == "REJECT")
    assert reject["event_type"] is None and reject["disorder_type"] is None
    assert reject["fatalities"] is None
