"""Long articles: chunk boundaries, overlap, and the merge of chunk results."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import httpx2

from api.llm.chunking import drop_overlap_duplicates, split_into_chunks
from api.llm.extractor import Extractor
from schemas.contract import ArticleInput, OutcomeStatus
from schemas.extraction import EventType, QuoteKind
from schemas.grounded import AlignmentStatus, GroundedEvent, GroundedExtraction, GroundedQuote, Span
from tests.api.llm.scripted_server import ScriptedServer, tool_call_completion

SENTENCES = [f"Sentence number {i} tells of the day's events in the town." for i in range(60)]
LONG_TEXT = "\n\n".join(" ".join(SENTENCES[i : i + 4]) for i in range(0, 60, 4))


def test_short_text_is_one_chunk() -> None:
    (chunk,) = split_into_chunks("One short article.", 6000, 600)
    assert (chunk.start, chunk.end, chunk.text) == (0, 18, "One short article.")


def test_chunks_cover_the_text_overlap_and_cut_at_boundaries() -> None:
    chunks = split_into_chunks(LONG_TEXT, 700, 150)

    assert len(chunks) > 3
    assert chunks[0].start == 0 and chunks[-1].end == len(LONG_TEXT)
    for chunk in chunks:
        assert LONG_TEXT[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 700
        assert chunk.text[0].isupper()  # starts a sentence
        assert chunk.end == len(LONG_TEXT) or LONG_TEXT[chunk.end - 1].isspace()
    for previous, chunk in itertools.pairwise(chunks):
        assert previous.start < chunk.start < previous.end  # overlapping, always advancing
        assert previous.end - chunk.start <= 150


def test_chunks_prefer_paragraph_breaks() -> None:
    chunks = split_into_chunks(LONG_TEXT, 700, 150)
    assert all(LONG_TEXT[c.end - 2 : c.end] == "\n\n" for c in chunks[:-1])


def test_text_without_boundaries_is_still_split() -> None:
    text = "x" * 2500
    chunks = split_into_chunks(text, 1000, 100)
    assert chunks[-1].end == 2500 and all(len(c.text) <= 1000 for c in chunks)


def _quote(text: str, start: int | None) -> GroundedQuote:
    span = Span(text=text)
    if start is not None:
        span = Span(start=start, end=start + len(text), text=text, alignment=AlignmentStatus.EXACT)
    return GroundedQuote(text=text, kind=QuoteKind.DIRECT, span=span)


def _event(kind: EventType, evidence: str, start: int) -> GroundedEvent:
    span = Span(start=start, end=start + len(evidence), text=evidence, alignment="exact")
    return GroundedEvent(event_type=kind, summary="s", evidence=evidence, evidence_span=span)


def test_overlap_duplicates_are_dropped_by_grounded_offsets() -> None:
    merged = drop_overlap_duplicates(
        GroundedExtraction(
            quotes=[
                _quote("we will stay", 100),
                _quote("we will stay and fight", 100),  # same place, longer: kept
                _quote("another quote", 300),
                _quote("not found anywhere", None),
                _quote("Not found  anywhere", None),  # same text after folding
            ],
            events=[
                _event(EventType.ASSAULT, "Rebels shelled the town.", 500),
                _event(EventType.ASSAULT, "Rebels shelled the town.", 500),
                _event(EventType.ACCUSE, "Rebels shelled the town.", 500),  # other type: kept
                _event(EventType.ASSAULT, "Rebels shelled the town.", 900),  # elsewhere: kept
            ],
        )
    )
    assert [q.text for q in merged.quotes] == [
        "we will stay and fight",
        "another quote",
        "Not found  anywhere",  # the longer spelling
    ]
    assert [(e.event_type, e.evidence_span.start) for e in merged.events] == [  # type: ignore[union-attr]
        (EventType.ASSAULT, 500),
        (EventType.ACCUSE, 500),
        (EventType.ASSAULT, 900),
    ]


def test_long_article_is_extracted_by_chunk_and_merged(
    server: ScriptedServer, make_extractor: Callable[..., Extractor]
) -> None:
    """Two chunks both see the overlap's quote and actor: one of each after merging."""
    first = "The Free Army (FA) shelled the town on Sunday, the monitor said. " * 6
    overlap = "\u201cWe will not leave,\u201d said Abu Khaled of the FA. "
    second = "Government forces arrested ten men, the monitor said. " * 6
    text = (first + overlap + second).strip()

    def answer(chunk_has_first: bool) -> dict[str, object]:
        actors = [
            {"name": "Abu Khaled", "kind": "person", "affiliation": "Free Army"},
            {"name": "Free Army", "aliases": ["FA"], "kind": "armed_group"},
        ]
        quotes = [{"text": "We will not leave,", "kind": "direct", "speaker": "Abu Khaled"}]
        event = (
            {
                "event_type": "ASSAULT",
                "sources": ["Free Army"],
                "summary": "The FA shelled the town.",
                "evidence": "The Free Army (FA) shelled the town on Sunday, the monitor said.",
            }
            if chunk_has_first
            else {
                "event_type": "COERCE",
                "mode": "arrest",
                "summary": "Arrests.",
                "evidence": "Government forces arrested ten men, the monitor said.",
            }
        )
        return {"actors": actors, "events": [event], "quotes": quotes}

    server.then(
        lambda: httpx2.Response(
            200, json=tool_call_completion(answer(True), prompt_tokens=500, completion_tokens=90)
        )
    ).then(
        lambda: httpx2.Response(
            200, json=tool_call_completion(answer(False), prompt_tokens=400, completion_tokens=80)
        )
    )
    extractor = make_extractor(server.transport(), chunk_chars=480, chunk_overlap_chars=120)
    assert len(split_into_chunks(text, 480, 120)) == 2
    outcome = extractor.extract(ArticleInput(text=text))

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 2
    assert "part 1 of 2" in server.requests[0]["messages"][1]["content"]
    assert outcome.attempts == 2 and outcome.usage.prompt_tokens == 900
    result = outcome.result
    assert result is not None
    assert len(result.quotes) == 1 and result.quotes[0].span is not None
    assert result.quotes[0].span.alignment == AlignmentStatus.EXACT
    assert sorted(e.event_type for e in result.events) == [EventType.ASSAULT, EventType.COERCE]
    names = sorted(a.name for a in result.actors)
    assert names == ["Abu Khaled", "Free Army"]
