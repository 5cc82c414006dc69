"""A battery of hostile inputs: each gets a 4xx whose body says what was wrong (in the declared
shape: `{"detail": str}`, or a 422's list of `{loc, msg, type}`), or is cleaned by the stated
rule (schemas.text.clean_submitted) and served; never a 5xx. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api import acled_export
from api.acled_export import csv_cell
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus
from tests.api.serving import serve
from tests.fakes import FakeExtractor, fake_extraction

BIG = [2**31, 2**63, 10**30]  # past PostgreSQL's INTEGER, past BIGINT, past anything


@dataclass(frozen=True)
class Hostile:
    """One request and what must come back: `status`, and `says` in the error's text."""

    method: str
    path: str
    status: int
    says: str = ""
    json: Any = None
    raw: bytes | None = None  # a body sent as is (JSON that json.dumps cannot write)
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, client: TestClient) -> httpx.Response:
        if self.raw is not None:
            headers = {"content-type": "application/json", **self.headers}
            return client.request(self.method, self.path, content=self.raw, headers=headers)
        return client.request(self.method, self.path, json=self.json, headers=self.headers)

    def __str__(self) -> str:
        body = self.raw[:40] if self.raw is not None else json.dumps(self.json)[:40]
        return f"{self.method} {self.path[:60]} {body!r}"


def _text(value: str) -> bytes:
    return b'{"text": "' + value.encode() + b'"}'


LE_MAX = "less than or equal to 2147483647"
NO_CONTENT = "text is empty or only whitespace, zero-width or control characters"

REFUSED = [
    # ids out of the database's range, and below 1
    *(Hostile("GET", f"/v1/articles/{n}", 422, LE_MAX) for n in BIG),
    *(Hostile("GET", f"/v1/jobs/{n}", 422, LE_MAX) for n in BIG),
    *(Hostile("GET", f"/articles/{n}/view", 422, LE_MAX) for n in BIG),
    *(Hostile("POST", f"/v1/articles/{n}/extract", 422, LE_MAX) for n in BIG),
    Hostile("GET", "/v1/articles/0", 422, "greater than or equal to 1"),
    Hostile("GET", "/v1/jobs/-1", 422, "greater than or equal to 1"),
    Hostile("GET", "/v1/articles/1e3", 422, "valid integer"),
    *(Hostile("GET", f"/v1/events?article_id={n}", 422, LE_MAX) for n in BIG),
    *(Hostile("GET", f"/v1/quotes?article_id={n}", 422, LE_MAX) for n in BIG),
    # offsets and limits
    *(
        Hostile("GET", f"/v1/{what}?offset={n}", 422, LE_MAX)
        for what in ("articles", "events", "quotes", "actors")
        for n in BIG
    ),
    Hostile("GET", f"/v1/articles?limit={2**63}", 422, LE_MAX),
    Hostile("GET", "/v1/events?limit=51", 422, "over the maximum page size 50"),
    # ?wait
    Hostile("POST", "/v1/articles?wait=nan", 422, "'wait']", {"text": "An a."}),
    Hostile("POST", "/v1/articles?wait=inf", 422, "less than or equal to 600", {"text": "An a."}),
    Hostile("POST", "/v1/articles?wait=1e308", 422, "less than or equal to 600", {"text": "An."}),
    # text with nothing in it once zero-width and control characters are gone
    *(
        Hostile("POST", "/v1/articles", 422, NO_CONTENT, {"text": text})
        for text in [
            "\u200b\u200c\u200d\u2060\ufeff",
            "\x00\x01\x02\x7f",
            " \u00ad \u200e\u202e ",
            "\x0b\x0c\u2028\u2029\x85",
            "\x00" * 1000,
        ]
    ),
    Hostile("POST", "/v1/articles/batch", 422, NO_CONTENT, {"articles": [{"text": "\u200b"}]}),
    # lone surrogates: not Unicode, refused naming the field
    Hostile("POST", "/v1/articles", 422, "text has a lone surrogate (U+D800)",
            raw=_text("\\ud800")),
    Hostile(
        "POST", "/v1/articles", 422, "lone surrogate (U+DFFF) at character 3",
        raw=_text(r"An \udfff."),
    ),
    Hostile(
        "POST", "/v1/articles", 422, "'title'] Input should be a valid string",
        raw=b'{"text": "An article.", "title": "\\udbff"}',
    ),
    Hostile(
        "POST", "/v1/articles", 422, "'source'] Input should be a valid string",
        raw=b'{"text": "An article.", "source": "A\\ud800FP"}',
    ),
    Hostile(
        "POST", "/v1/articles", 422, "'dateline'] Input should be a valid string",
        raw=b'{"text": "An article.", "dateline": "\\ud800"}',
    ),
    Hostile(
        "POST", "/v1/articles", 422, "valid string",
        raw=b'{"text": "An article.", "url": "https://example.org/\\ud800"}',
    ),
    Hostile(
        "POST", "/v1/articles/batch", 422, "articles",
        raw=b'{"articles": [{"text": "Fine."}, {"text": "\\udc00"}]}',
    ),
    Hostile("POST", "/v1/articles", 422, "valid string", raw=b'{"text": "A.", "\\ud800": 1}'),
    # what JSON parsers let through but JSON cannot carry back
    Hostile("POST", "/v1/articles", 422, "valid string", raw=b'{"text": NaN}'),
    Hostile("POST", "/v1/articles", 422, "valid string", raw=b'{"text": -Infinity}'),
    Hostile("POST", "/v1/articles", 422, "YYYY-MM-DD", raw=b'{"text": "A", "published_at": 1e400}'),
    Hostile("POST", "/v1/articles", 422, "valid dictionary", raw=b"[" * 900 + b"]" * 900),
    Hostile("POST", "/v1/articles", 400, "error parsing the body", raw=b"[" * 5000 + b"]" * 5000),
    Hostile("POST", "/v1/articles", 400, "error parsing the body", raw=b'{"text": "\xff\xfe"}'),
    Hostile("POST", "/v1/articles", 400, "malformed JSON body", raw=b'{"text": "\\ud8'),
    Hostile(
        "POST", "/v1/articles", 422, "valid dictionary",
        raw=b"\xff\xfe not json", headers={"content-type": "text/plain"},
    ),
    # dates are YYYY-MM-DD, not numbers read as Unix timestamps
    Hostile("POST", "/v1/articles", 422, "YYYY-MM-DD", {"text": "A.", "published_at": 0}),
    Hostile("POST", "/v1/articles", 422, "YYYY-MM-DD", {"text": "A.", "published_at": "17"}),
    Hostile("GET", "/v1/events?since=0", 422, "YYYY-MM-DD"),
    # lengths
    Hostile("POST", "/v1/articles", 422, "at most 500", {"text": "A.", "title": "t" * 501}),
    Hostile("POST", "/v1/articles", 422, "at most 200", {"text": "A.", "source": "s" * 201}),
    Hostile(
        "POST", "/v1/articles", 422, "at most 2083",
        {"text": "A.", "url": "https://example.org/" + "u" * 2084},
    ),
    Hostile("GET", "/v1/events?actor=" + "a" * 201, 422, "at most 200"),
    Hostile("GET", "/v1/quotes?speaker=" + "s" * 201, 422, "at most 200"),
    # exports refuse bad filters before anything is streamed
    Hostile("GET", "/v1/events/export?type=FIGHT", 422, "AGREE"),
    Hostile("GET", "/v1/events/export?format=xlsx", 422, "csv"),
    Hostile("GET", "/v1/events/export?since=2017-13-01", 422, "date"),
    Hostile("GET", f"/v1/events/export?article_id={2**63}", 422, LE_MAX),
    Hostile("GET", "/v1/events/export?since=2018-01-01&until=2017-01-01", 422, "is after until"),
    Hostile("GET", "/v1/events/export?location=" + "x" * 201, 422, "at most 200"),
]  # fmt: skip

# Cleaned by the stated rule and served: control characters go, the rest is kept.
CLEANED = [
    Hostile("GET", "/v1/events?actor=%00", 200),
    Hostile("GET", "/v1/events?location=Ra%00qa", 200),
    Hostile("GET", "/v1/events/export?actor=SDF%00%01", 200),
    Hostile("GET", "/v1/quotes?speaker=%00Dillon", 200),
    Hostile("GET", "/v1/actors?name=%00%7f", 200),
    Hostile("GET", "/v1/articles/2147483647", 404, "article 2147483647 not found"),
    Hostile("GET", "/v1/articles?offset=2147483647", 200),
]


def _messages(body: Any, status: int) -> str:
    """The error's text, after checking the body has the declared shape."""
    if status == 422:
        errors = body["detail"]
        assert isinstance(errors, list) and errors
        for error in errors:
            assert {"loc", "msg", "type"} <= set(error)
            assert all(isinstance(part, str | int) for part in error["loc"])
        return " ".join(f"{e['loc']} {e['msg']}" for e in errors)
    assert set(body) == {"detail"} and isinstance(body["detail"], str)
    return str(body["detail"])


def test_hostile_inputs_get_a_clear_4xx(client: TestClient, capsys: pytest.CaptureFixture) -> None:
    wrong = []
    for hostile in REFUSED:
        response = hostile.send(client)
        said = _messages(response.json(), response.status_code) if response.is_error else ""
        if response.status_code != hostile.status or hostile.says not in said:
            wrong.append(f"{hostile} -> {response.status_code} {said[:200]}")
    with capsys.disabled():
        print(f"\nbattery: {len(REFUSED)} hostile inputs, {len(REFUSED) - len(wrong)} as expected")
    assert not wrong, "\n".join(wrong)
    assert client.get("/v1/articles").json()["total"] == 0  # none of them stored anything


@pytest.mark.parametrize("hostile", CLEANED, ids=str)
def test_control_characters_in_filters_are_cleaned(client: TestClient, hostile: Hostile) -> None:
    response = hostile.send(client)
    assert response.status_code == hostile.status, response.text
    if hostile.says:
        assert hostile.says in _messages(response.json(), response.status_code)


def test_stored_strings_lose_control_characters_and_keep_the_rest(client: TestClient) -> None:
    body = {
        "text": "Raqa\x00 fell\x0bon Sunday.\u200d\x7f\r\nForces\u2028left.",
        "title": "\x00Raqa\tfalls\n",
        "source": "\x01\x02",  # nothing left: absent
        "dateline": " AIN\x00 ISSA, Syria\x85",
        "url": "https://example.org/a\x00b",
    }
    created = client.post("/v1/articles", json=body)
    assert created.status_code == 202, created.text
    article = client.get(f"/v1/articles/{created.json()['article_id']}").json()
    assert article["text"] == "Raqa fell\non Sunday.\u200d\nForces\nleft."
    assert article["title"] == "Raqa falls"
    assert article["source"] is None
    assert article["dateline"] == "AIN ISSA, Syria"
    assert article["url"] == "https://example.org/a%00b"


# ---- exports --------------------------------------------------------------------------------


def _formulas(extractor: FakeExtractor) -> Any:
    """The fake's extraction with cells a spreadsheet would run, and a negative longitude."""

    def step(article: ArticleInput) -> ExtractionOutcome:
        result = fake_extraction(article.text)
        first = result.events[0]
        assert first.location is not None
        result.events[0] = first.model_copy(
            update={
                "summary": '=HYPERLINK("http://evil.example")',
                "evidence": "-2+3",
                "location": first.location.model_copy(
                    update={"place": "@SUM(A1)", "longitude": -3.70379}
                ),
            }
        )
        return extractor._outcome(OutcomeStatus.SUCCEEDED, result=result, attempts=1, raw=[])

    return step


def test_csv_export_neutralises_formula_cells(make_client: Any, seed_body: dict[str, Any]) -> None:
    extractor = FakeExtractor()
    extractor.script.append(_formulas(extractor))
    with make_client(extractor=extractor) as client:
        body = {**seed_body, "source": "+cmd|' /C calc'!A0"}
        assert client.post("/v1/articles?wait=5", json=body).status_code == 200
        rows = list(csv.DictReader(io.StringIO(client.get("/v1/events/export").text)))
        lines = client.get("/v1/events/export?format=jsonl").text.splitlines()
    first = next(r for r in rows if r["notes"].startswith("'="))
    assert first["notes"] == '\'=HYPERLINK("http://evil.example")'
    assert first["evidence"] == "'-2+3" and first["location"] == "'@SUM(A1)"
    assert first["longitude"] == "-3.70379"  # a number, left alone
    assert {r["source"] for r in rows} == {"'+cmd|' /C calc'!A0"}
    # JSON lines are no spreadsheet: their values are as stored
    assert any(json.loads(line)["notes"].startswith("=HYPERLINK") for line in lines)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Raqa", "Raqa"),
        ("a=b", "a=b"),
        ("", ""),
        (-3.70379, -3.70379),
        (-12, -12),
    ],
)
def test_csv_cell(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


@pytest.fixture
def stored_app(make_client: Any, seed_body: dict[str, Any]) -> Any:
    """An app (stopped) whose database holds the seed article's eight events."""
    with make_client() as client:
        assert client.post("/v1/articles?wait=5", json=seed_body).status_code == 200
        return client.app


def test_export_failing_midway_is_cut_off_not_short(
    stored_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_page = acled_export.export_page

    def second_page_fails(engine: Any, filters: Any, offset: int) -> Any:
        if offset:
            raise RuntimeError("the database went away")
        return read_page(engine, filters, offset)

    monkeypatch.setattr(acled_export, "EXPORT_BATCH", 1)
    monkeypatch.setattr(acled_export, "export_page", second_page_fails)
    with (
        serve(stored_app) as base_url,
        httpx.Client(base_url=base_url) as http,
        pytest.raises(httpx.RemoteProtocolError),  # not the clean end of a short file
    ):
        http.get("/v1/events/export")


def test_export_failing_at_once_is_an_error_status(
    stored_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*_args: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(acled_export, "export_page", fails)
    with serve(stored_app) as base_url, httpx.Client(base_url=base_url) as http:
        assert http.get("/v1/events/export").status_code == 500  # not a 200 and an empty file
