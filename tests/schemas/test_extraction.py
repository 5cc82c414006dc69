"""The article-aware validators of schemas/extraction.py (their messages are re-ask text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.extraction import ArticleExtraction

ARTICLE = (
    "US-backed forces on Sunday announced the \u201cfinal phase\u201d of the battle to retake "
    "Raqa. \u201cThis is a local solution,\u201d coalition spokesman Ryan Dillon said."
)
CONTEXT = {"article_text": ARTICLE, "article_date": dt.date(2017, 10, 17)}
ACTORS = [
    {"name": "US-led coalition", "aliases": ["coalition"], "kind": "international_org"},
    {"name": "Ryan Dillon", "kind": "person", "affiliation": "US-led coalition"},
]
EVIDENCE = "US-backed forces on Sunday announced the \u201cfinal phase\u201d of the battle"


def _validate(**parts: Any) -> ArticleExtraction:
    data = {"actors": ACTORS, "events": [], "quotes": []} | parts
    return ArticleExtraction.model_validate(data, context=CONTEXT)


def _event(**fields: Any) -> dict[str, Any]:
    return {"event_type": "ASSAULT", "summary": "s", "evidence": EVIDENCE} | fields


def test_quote_with_straight_quotes_for_curly_ones_is_accepted() -> None:
    quote = {"text": '"This is a local solution,"', "kind": "direct", "speaker": "Ryan Dillon"}
    assert _validate(quotes=[quote]).quotes[0].speaker == "Ryan Dillon"


def test_invented_quote_is_rejected_with_context() -> None:
    quote = {"text": "We will take Raqa within days", "kind": "direct", "speaker": "Ryan Dillon"}
    with pytest.raises(ValidationError, match="is not in the article"):
        _validate(quotes=[quote])


def test_invented_quote_passes_without_context() -> None:
    quote = {"text": "We will take Raqa within days", "kind": "direct"}
    assert ArticleExtraction.model_validate({"quotes": [quote]}).quotes[0].text


def test_unknown_speaker_is_rejected() -> None:
    quote = {"text": "This is a local solution", "kind": "direct", "speaker": "Talal Sello"}
    with pytest.raises(ValidationError, match="quote speaker 'Talal Sello'"):
        _validate(quotes=[quote])


def test_speaker_by_alias_and_case_is_accepted() -> None:
    quote = {"text": "This is a local solution", "kind": "direct", "speaker": "the Coalition"}
    assert _validate(quotes=[quote]).quotes[0].speaker == "the Coalition"


def test_unknown_event_source_is_rejected() -> None:
    with pytest.raises(ValidationError, match="event 0 source 'SDF'"):
        _validate(events=[_event(sources=["SDF"])])


def test_invented_evidence_is_rejected() -> None:
    with pytest.raises(ValidationError, match="copy the sentence verbatim"):
        _validate(events=[_event(evidence="Coalition jets struck Raqa overnight.")])


def test_date_after_the_article_date_is_rejected() -> None:
    with pytest.raises(ValidationError, match="after the article's date 2017-10-17"):
        _validate(events=[_event(date="2017-10-18")])
    assert _validate(events=[_event(date="2017-10-17")]).events[0].date == dt.date(2017, 10, 17)


def test_mode_of_another_type_is_rejected() -> None:
    with pytest.raises(ValidationError, match="does not belong to ASSAULT"):
        _validate(events=[_event(mode="ultimatum")])
    assert _validate(events=[_event(mode="aerial")]).events[0].mode == "aerial"
