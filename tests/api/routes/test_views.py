"""The HTML view highlights spans from stored offsets."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from api.routes.views import Mark, segments


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


def test_view_highlights_quotes_evidence_and_mentions(
    client: TestClient, seed_body: dict[str, Any]
) -> None:
    article_id = client.post("/v1/articles?wait=5", json=seed_body).json()["article_id"]
    response = client.get(f"/articles/{article_id}/view")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    quoted = re.findall(r'<span class="hl ([a-z ]+)" title="[^"]*">([^<]*)</span>', page)
    quote_text = "".join(html.unescape(t) for kinds, t in quoted if "quote" in kinds.split())
    assert "Our stance was they either stay and fight" in quote_text
    assert any("evidence" in kinds.split() for kinds, _ in quoted)
    assert any("actor" in kinds.split() and html.unescape(t) == "SDF" for kinds, t in quoted)
    # the text is all there, in order, once the tags are stripped
    body = re.search(r'<div class="text">(.*?)</div>', page, re.S)
    assert body is not None
    assert html.unescape(re.sub(r"<[^>]+>", "", body.group(1))) == seed_body["text"]


def test_view_before_extraction(make_client: Any, seed_body: dict[str, Any]) -> None:
    with make_client(defer=True) as client:
        article_id = client.post("/v1/articles", json=seed_body).json()["article_id"]
        page = client.get(f"/articles/{article_id}/view").text
    assert "No finished extraction yet (latest job: queued)" in page
    assert 'class="hl' not in page.split('<div class="text">')[1]
