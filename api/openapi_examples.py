"""The examples of the OpenAPI document's 2xx responses (shown by /docs and /redoc).

They are what the service answered on the replay backend, prompt v3, to the request example of
POST /v1/articles (`schemas.api.ArticleIn`: three paragraphs of seed article 004, AFP, 17
October 2017), with one item of each kind kept. v3's rules decide that article without asking
the model, so no model answer is quoted here. Documentation only: never stored, never replayed.
tests/api/test_docs.py checks every example against its response model.
"""

from __future__ import annotations

from typing import Any

Example = dict[str, Any]

PROMPT = {
    "id": "extract",
    "version": "v3",
    "sha256": "255faed62c91680e629c4007b4bd66e83303c1a4b20dccbd488791e53eae8688",
}
EXTRACTION_KEY = "7dd1cca20528739defa866719ae0e38c6b2a196dadcf3f20aea8428aa02e9702"
REPLAY_MISS = (
    "no recorded answer for request "
    "24bfb3f1bca8e0980c647c6586ad01b8908119db5c29fd5c5923edcf9c8c969e (model "
    "'qwen2.5-coder-0.5b') in /srv/wirecoder/tests/recordings: the replay backend answers only "
    "the exact requests recorded before, so trying again cannot help. Record it from a real "
    "model with: WIRECODER_LLM_BACKEND=local WIRECODER_LLM_RECORD=1 wirecoder extract FILE (or "
    "`wirecoder eval run --record`); or use a live backend (WIRECODER_LLM_BACKEND=local or openai)"
)

JOB_SUMMARY: Example = {
    "id": 1,
    "status": "succeeded",
    "is_current": True,
    "prompt": PROMPT,
    "model": "qwen2.5-coder-0.5b",
    "attempts": 0,
    "job_attempts": 1,
    "finished_at": "2026-12-02T05:09:48.793773Z",
    "error": None,
    "reviewed_from_job_id": None,
}
JOB: Example = {
    **JOB_SUMMARY,
    "article_id": 1,
    "extraction_key": EXTRACTION_KEY,
    "workflow_id": EXTRACTION_KEY,
    "schema_sha256": "3488e393d9ef6701c9f8c062e6e9b0e6b45129ba378d0e8f05600e9c849c1306",
    "base_url": "http://127.0.0.1:8765/v1",
    "backend": "replay",
    "mode": "tools",
    "weights_sha256": None,
    "requests": 1,
    "prompt_tokens": 0,
    "completion_tokens": 0,
    "total_tokens": 0,
    "latency_ms": 921,
    "raw_outputs": [],
    "created_at": "2026-12-02T05:09:47.845475Z",
    "started_at": "2026-12-02T05:09:47.861262Z",
}

ACTOR: Example = {
    "mentions": [{"start": 509, "end": 520, "text": "Ryan Dillon", "alignment": "exact"}],
    "name": "Ryan Dillon",
    "aliases": [],
    "kind": "person",
    "affiliation": "US-led coalition",
    "country": None,
    "id": 3,
    "canonical_actor_id": 3,
    "canonical_name": "Ryan Dillon",
}
_EVIDENCE = (
    "\u201cOur stance was they either stay and fight or they surrender unconditionally,\u201d "
    "coalition spokesman Colonel Ryan Dillon said on Sunday."
)
EVENT: Example = {
    "evidence_span": {"start": 402, "end": 536, "text": _EVIDENCE, "alignment": "exact"},
    "acled_event_type": "Battles",
    "acled_sub_event_type": "Armed clash",
    "event_type": "ASSAULT",
    "mode": "firearms",
    "status": "claimed",
    "summary": _EVIDENCE,
    "date_text": "on Sunday",
    "date": "2017-10-15",
    "date_precision": "day",
    "location": None,
    "fatalities": None,
    "evidence": _EVIDENCE,
    "id": 3,
    "article_id": 1,
    "job_id": 1,
    "sources": [
        {
            "name": "Islamic State",
            "actor_id": 4,
            "canonical_actor_id": 4,
            "canonical_name": "Islamic State",
        }
    ],
    "targets": [],
}
_QUOTED = "Our stance was they either stay and fight or they surrender unconditionally"
QUOTE: Example = {
    "span": {"start": 403, "end": 478, "text": _QUOTED, "alignment": "exact"},
    "speaker_span": {"start": 509, "end": 520, "text": "Ryan Dillon", "alignment": "exact"},
    "text": _QUOTED,
    "kind": "direct",
    "speaker": "Ryan Dillon",
    "speaker_mention": "Ryan Dillon",
    "cue": "said",
    "id": 3,
    "article_id": 1,
    "job_id": 1,
    "speaker_actor_id": 3,
    "canonical_actor_id": 3,
    "canonical_name": "Ryan Dillon",
}
CANONICAL_ACTOR: Example = {
    "id": 1,
    "name": "Syrian Democratic Forces",
    "kind": "armed_group",
    "country": None,
    "aliases": ["Syrian Democratic Forces", "SDF"],
    "articles": 1,
    "events": 0,
    "quotes": 0,
}
EXTRACTION: Example = {
    "version": "model",
    "review": None,
    "job": JOB_SUMMARY,
    "actors": [ACTOR],
    "events": [EVENT],
    "quotes": [QUOTE],
}

ARTICLE_SUMMARY: Example = {
    "id": 1,
    "content_hash": "a932174d117fcce7b2e21ea6ac468b324b45c9bd5638c10e45bd6a8da1cb994d",
    "title": "US-backed forces announce 'final phase' of Raqa battle",
    "url": "https://www.example.org/afp/2017/10/17/raqa-final-phase",
    "source": "AFP",
    "published_at": "2017-10-17",
    "dateline": "AIN ISSA, Syria",
    "chars": 536,
    "created_at": "2026-12-02T05:09:47.831515Z",
}


def _job_ref(status: str, *, error: str | None, attempts: int, job_attempts: int) -> Example:
    return {
        "id": 1,
        "status": status,
        "extraction_key": EXTRACTION_KEY,
        "url": "/v1/jobs/1",
        "error": error,
        "attempts": attempts,
        "job_attempts": job_attempts,
    }


def _submitted(job: Example, extraction: Example | None) -> Example:
    return {
        "article_id": 1,
        "article_created": True,
        "metadata": "new",
        "metadata_differs": [],
        "job": job,
        "extraction": extraction,
    }


SUBMITTED = _submitted(_job_ref("queued", error=None, attempts=0, job_attempts=0), None)
SUCCEEDED = _submitted(_job_ref("succeeded", error=None, attempts=0, job_attempts=1), EXTRACTION)
FAILED = _submitted(_job_ref("failed", error=REPLAY_MISS, attempts=1, job_attempts=1), None)


def page(item: Example) -> Example:
    return {"total": 1, "limit": 50, "offset": 0, "items": [item]}


def article(text: str) -> Example:
    """GET /v1/articles/{id}: the article whose text is `text` (the request example's)."""
    return {**ARTICLE_SUMMARY, "text": text, "extraction": EXTRACTION, "jobs": [JOB_SUMMARY]}


def article_updated(text: str) -> Example:
    """PATCH /v1/articles/{id} of its title: the extraction did read the title (the prompt)."""
    return {**article(text), "changed": ["title"], "extraction_outdated": True}


def json_content(example: Example) -> dict[str, Any]:
    return {"application/json": {"example": example}}


def json_examples(**named: tuple[str, Example]) -> dict[str, Any]:
    """Named examples (`name=(summary, value)`), shown as a choice in /docs."""
    examples = {
        name: {"summary": summary, "value": value} for name, (summary, value) in named.items()
    }
    return {"application/json": {"examples": examples}}


VIEW_HTML = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>US-backed forces announce &#39;final phase&#39; of Raqa battle · wirecoder</title>"
    "</head>\n<body>\n<h1>US-backed forces announce &#39;final phase&#39; of Raqa battle</h1>\n"
    '<p class="muted">Extraction job <a href="/v1/jobs/1">1</a>: prompt extract@v3, model '
    'qwen2.5-coder-0.5b, 4 events, 6 actors, 3 quotes.</p>\n<div class="text">'
    '<span class="hl evidence quote" title="quote by Ryan Dillon (exact)">Our stance was '
    "they either stay and fight or they surrender unconditionally</span>,\u201d coalition "
    'spokesman Colonel <span class="hl actor speaker" title="actor: Ryan Dillon (exact)">'
    "Ryan Dillon</span> said on Sunday.</div>\n...\n</body>\n</html>\n"
)
