"""The HTML view: spans highlighted from stored offsets, every item rendered server-side (it
reads without JavaScript), filters, the review forms posted without JavaScript, and the login
that lets a browser use an API key. The browser itself: tests/e2e/test_view_browser.py."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.auth import SESSION_COOKIE, create_key
from api.config import Settings
from api.db import make_engine, upgrade_database
from api.models import ApiKeyScope
from api.routes.views import Mark, segments

# a highlighted piece of the text: tag, classes, attributes, words
MARKED = re.compile(r'<(a|span) class="hl ([^"]+)"([^>]*)>([^<]*)</\1>')


def marked(page: str) -> list[tuple[set[str], dict[str, str], str]]:
    text = page.split('<div class="text">', 1)[1].split("</div>", 1)[0]
    return [
        (set(classes.split()), dict(re.findall(r'([\w-]+)="([^"]*)"', attrs)), html.unescape(t))
        for _tag, classes, attrs, t in MARKED.findall(text)
    ]


def post_seed(client: TestClient, seed_body: dict[str, Any]) -> int:
    answer = client.post("/v1/articles?wait=5", json=seed_body)
    assert answer.status_code == 200, answer.text
    article_id: int = answer.json()["article_id"]
    return article_id


def test_segments_cover_the_text_and_nest() -> None:
    text = 'He said "we stay" today.'
    marks = [Mark(0, 24, "evidence", "e"), Mark(9, 16, "quote", "q"), Mark(0, 2, "actor", "a")]
    pieces = segments(text, marks)
    assert "".join(p.text for p in pieces) == text
    assert [(p.text, p.kinds) for p in pieces] == [
        ("He", ["actor", "evidence"]),
        (' said "', ["evidence"]),
        ("we stay", ["evidence", "quote"]),
        ('" today.', ["evidence"]),
    ]


def test_segments_know_the_items_covering_them() -> None:
    text = "SDF took Raqa."
    marks = [
        Mark(0, 14, "evidence", "e", 7),
        Mark(0, 3, "actor", "a", 2),
        Mark(9, 13, "place", "p", 7),
    ]
    pieces = {p.text: p for p in segments(text, marks)}
    assert pieces["SDF"].actor == 2 and pieces["SDF"].refs == {"actor": [2], "evidence": [7]}
    assert pieces["Raqa"].data("place") == "7" and pieces[" took "].actor is None


def test_view_highlights_quotes_evidence_and_mentions(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    article_id = post_seed(client, seed_body)
    response = client.get(f"/articles/{article_id}/view")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'self'
    page = response.text
    pieces = marked(page)
    quote_text = "".join(t for kinds, _a, t in pieces if "quote" in kinds)
    assert "Our stance was they either stay and fight" in quote_text
    assert any("evidence" in kinds and "data-ev" in attrs for kinds, attrs, _t in pieces)
    # every mention is a link to its actor, in the actor's colour (the legend's swatch)
    sdf = [(kinds, attrs) for kinds, attrs, t in pieces if "actor" in kinds and t == "SDF"]
    assert sdf and all(attrs["href"] == f"#actor-{attrs['data-a']}" for _k, attrs in sdf)
    colour = next(k for k in sdf[0][0] if re.fullmatch(r"c\d+", k))
    assert f'<span class="swatch {colour}"' in page
    # the cue of a quote and the place of an event are marked too
    assert any("cue" in kinds and t == "said" for kinds, _a, t in pieces)
    assert any("place" in kinds and t == "Raqa" for kinds, _a, t in pieces)
    # the text is all there, in order, once the tags are stripped
    body = re.search(r'<div class="text">(.*?)</div>', page, re.S)
    assert body is not None
    assert html.unescape(re.sub(r"<[^>]+>", "", body.group(1))) == seed_body["text"]
    assert '<script src="/static/view.js" defer></script>' in page


def test_view_lists_every_event_with_its_evidence_roles_date_and_place(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    article_id = post_seed(client, seed_body)
    events = client.get(f"/v1/articles/{article_id}").json()["extraction"]["events"]
    page = client.get(f"/articles/{article_id}/view").text
    for event in events:
        item = page.split(f'id="event-{event["id"]}"', 1)[1].split("</li>", 1)[0]
        assert f"<strong>{event['event_type']}</strong>" in item
        assert html.escape(event["evidence"], quote=False) in item
        sources = ", ".join(s["name"] for s in event["sources"]) or "—"
        assert f'<dd class="role-source">{sources}</dd>' in item
        assert event["date"] in item and "Raqa, Ar-Raqqah, Syria" in item


def test_filters_hide_the_other_items(client: TestClient, seed_body: dict[str, Any]) -> None:
    article_id = post_seed(client, seed_body)
    page = client.get(f"/articles/{article_id}/view?type=AGREE&kind=indirect").text
    shown = re.findall(r'data-item="event"[^>]*data-type="(\w+)"[^>]*?(\shidden)?>', page)
    assert {t for t, hidden in shown if not hidden} == {"AGREE"}
    assert {t for t, hidden in shown if hidden} == {"ASSAULT", "REJECT", "THREATEN"}
    quotes = re.findall(r'data-item="quote"[^>]*data-kind="(\w+)"[^>]*?(\shidden)?>', page)
    assert {k for k, hidden in quotes if not hidden} == {"indirect"}
    assert client.get(f"/articles/{article_id}/view?type=EXPLODE").status_code == 422


def _event_id(client: TestClient, article_id: int, event_type: str) -> tuple[int, int]:
    extraction = client.get(f"/v1/articles/{article_id}").json()["extraction"]
    event = next(e for e in extraction["events"] if e["event_type"] == event_type)
    return event["id"], extraction["job"]["id"]


def test_a_form_without_javascript_stores_a_correction(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    article_id = post_seed(client, seed_body)
    event_id, job_id = _event_id(client, article_id, "THREATEN")
    # the form as the browser sends it: every field, unchanged ones with their served values
    form = {
        "op": "update_event",
        "base_job_id": str(job_id),
        "event_id": str(event_id),
        "event_type": "REQUEST",
        "mode": "",
        "status": "asserted",
        "date": "2017-10-15",
        "place": "Raqa",
        "fatalities": "",
        "sources_shown": "1",
        "sources": "US-led coalition",
        "targets_shown": "1",
        "targets": "Islamic State",
        "note": "a demand, not a threat",
    }
    answer = client.post(f"/articles/{article_id}/review", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/articles/{article_id}/view?saved=")
    page = client.get(answer.headers["location"]).text
    assert "Correction stored" in page and "reviewed</strong> version" in page
    assert "a demand, not a threat" in page
    served = client.get(f"/v1/articles/{article_id}").json()["extraction"]
    assert served["version"] == "reviewed"
    changed = [e for e in served["events"] if e["summary"].startswith("The coalition told")]
    assert [(e["event_type"], e["mode"]) for e in changed] == [("REQUEST", None)]
    reviews = client.get(f"/v1/articles/{article_id}/reviews").json()
    # only what was changed was sent: the type, and the mode the new type has none of
    sent = [{k: v for k, v in c.items() if v not in (None, [])} for c in reviews[-1]["changes"]]
    assert sent == [
        {"op": "update_event", "event_id": event_id, "event_type": "REQUEST", "clear": ["mode"]}
    ]


def test_a_refused_form_says_why_with_a_4xx(client: TestClient, seed_body: dict[str, Any]) -> None:
    article_id = post_seed(client, seed_body)
    event_id, job_id = _event_id(client, article_id, "AGREE")
    url = f"/articles/{article_id}/review"
    invented = {"op": "add_event", "base_job_id": str(job_id), "event_type": "ASSAULT"}
    answer = client.post(url, data=invented | {"evidence": "Aliens landed in Raqa."})
    assert answer.status_code == 422
    assert "The correction was not stored" in answer.text and "not in the article" in answer.text
    unchanged = {"op": "update_event", "event_id": str(event_id), "event_type": "AGREE"}
    answer = client.post(url, data=unchanged)
    assert answer.status_code == 422 and "nothing changed on event" in answer.text
    assert client.post(url, data={"op": "explode"}).status_code == 422
    stale = {"op": "delete_event", "event_id": str(event_id), "base_job_id": str(job_id + 99)}
    answer = client.post(url, data=stale)
    assert answer.status_code == 409 and "not the version served now" in answer.text
    assert client.get(f"/v1/articles/{article_id}").json()["extraction"]["version"] == "model"


def test_view_before_extraction(make_client: Any, seed_body: dict[str, Any]) -> None:
    with make_client(defer=True) as client:
        article_id = client.post("/v1/articles", json=seed_body).json()["article_id"]
        page = client.get(f"/articles/{article_id}/view").text
    assert "No finished extraction yet (latest job: queued)" in page
    assert 'class="hl' not in page.split('<div class="text">')[1]


def test_static_assets_are_served_by_the_app(client: TestClient) -> None:
    script = client.get("/static/view.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/static/view.css").headers["content-type"].startswith("text/css")


def test_login_keeps_the_key_in_a_strict_http_only_cookie(
    make_client: Any, settings: Settings, seed_body: dict[str, Any]
) -> None:
    upgrade_database(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        _key, reader = create_key(session, name="reader", scope=ApiKeyScope.READ)
        _key, writer = create_key(session, name="desk", scope=ApiKeyScope.WRITE)
    engine.dispose()
    locked = settings.model_copy(update={"allow_anonymous": False})
    with make_client(app_settings=locked) as client:
        article_id = client.post(
            "/v1/articles?wait=5", json=seed_body, headers={"X-API-Key": writer}
        ).json()["article_id"]
        view = f"/articles/{article_id}/view"
        answer = client.get(view, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/login?next=%2Farticles%2F{article_id}%2Fview"
        assert client.get("/login").status_code == 200
        wrong = client.post("/login", data={"key": "wc_nope", "next": view})
        assert wrong.status_code == 401 and "unknown or revoked" in wrong.text
        # a read key: the view, but no review forms, and a form post is refused
        answer = client.post("/login", data={"key": reader, "next": view}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == view
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie and "Path=/" in cookie
        page = client.get(view)
        assert page.status_code == 200 and "signed in as reader" in page.text
        assert 'class="review-form"' not in page.text
        refused = client.post(f"{view[:-5]}/review", data={"op": "delete_event", "event_id": "1"})
        assert refused.status_code == 403 and "may only read" in refused.text
        # a write key: the forms, and the JSON API takes the cookie too
        client.post("/login", data={"key": writer, "next": view})
        assert 'class="review-form"' in client.get(view).text
        extraction = client.get(f"/v1/articles/{article_id}").json()["extraction"]
        change = {"op": "delete_event", "event_id": extraction["events"][0]["id"]}
        from_elsewhere = client.post(
            f"/v1/articles/{article_id}/reviews",
            json={"changes": [change]},
            headers={"Origin": "https://evil.example"},
        )
        assert from_elsewhere.status_code == 403
        stored = client.post(f"/v1/articles/{article_id}/reviews", json={"changes": [change]})
        assert stored.status_code == 201 and stored.json()["review"]["reviewer"] == "desk"
        # a next that leaves the site goes home instead
        answer = client.post(
            "/login", data={"key": writer, "next": "//evil.example/x"}, follow_redirects=False
        )
        assert answer.headers["location"] == "/"
        client.post("/logout")
        assert client.get(view, follow_redirects=False).status_code == 303
