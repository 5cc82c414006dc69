"""The hybrid pipeline (prompt v3) through the real openai + instructor client against the
scripted server: the model is asked only about the events the rules leave open, its choice is
limited to their readings, and what it chooses is applied. Mechanics only: the scripted answers
are not a model's."""

from __future__ import annotations

from collections.abc import Callable

from api.llm.extractor import Extractor
from api.llm.pipelines.hybrid import HybridPipeline
from schemas.contract import ArticleInput, OutcomeStatus
from schemas.extraction import EventMode, EventType
from tests.api.llm.scripted_server import ScriptedServer

MakeExtractor = Callable[..., Extractor]

# Written for these tests (not a real article).
TEXT = (
    "KAFR NABL, Syria\n\n"
    "Rebel fighters of the Free Army seized two government checkpoints near Kafr Nabl on "
    "Sunday, a monitoring group said.\n\n"
    "An explosion killed four people at a market in Kafr Nabl on Monday.\n\n"
    "Police arrested three men in Idlib on Tuesday, the Syrian Observatory for Human Rights said."
)
ARTICLE = ArticleInput(text=TEXT, title="Checkpoints seized near Kafr Nabl")


def test_only_open_events_are_asked_and_the_choice_is_applied(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer({"event_1": "ASSAULT", "event_2": "NONE"}, prompt=400, completion=20)
    outcome = make_extractor(server.transport(), prompt_version="v3").extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 1
    assert outcome.provenance.schema_sha256 == HybridPipeline.schema_sha256()
    request = server.requests[0]
    assert "[2] Rebel fighters of the Free Army seized" in request["messages"][0]["content"]
    question = request["messages"][1]["content"]
    assert 'Candidate 1, sentence [2], the word "seized"' in question
    assert 'Candidate 2, sentence [3], the word "explosion"' in question
    assert "arrested" not in question  # one reading, an actor named: the rules decide
    properties = request["tools"][0]["function"]["parameters"]["properties"]
    assert properties["event_1"]["enum"] == ["COERCE", "ASSAULT", "NONE"]
    assert properties["event_2"]["enum"] == ["ASSAULT", "NONE"]

    assert outcome.result is not None
    coded = [(e.event_type, e.mode, e.sources) for e in outcome.result.events]
    assert coded == [
        (EventType.ASSAULT, EventMode.FIREARMS, ["Free Army"]),  # the model's reading
        (EventType.COERCE, EventMode.ARREST, ["police"]),  # the explosion: NONE, dropped
    ]


def test_an_article_the_rules_decide_whole_makes_no_model_call(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    article = ArticleInput(
        text="Police arrested three men in Idlib on Tuesday, the Syrian Observatory for Human "
        "Rights said. The men were taken to a prison near the border."
    )
    outcome = make_extractor(server.transport(), prompt_version="v3").extract(article)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert server.requests == []
    assert outcome.result is not None and [e.event_type for e in outcome.result.events] == [
        EventType.COERCE
    ]


def test_a_choice_outside_the_readings_is_reasked(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer({"event_1": "PROTEST", "event_2": "NONE"})
    server.answer({"event_1": "COERCE", "event_2": "ASSAULT"})
    outcome = make_extractor(server.transport(), prompt_version="v3", llm_max_reasks=1).extract(
        ARTICLE
    )

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 2
    assert outcome.result is not None
    assert [e.event_type for e in outcome.result.events] == [
        EventType.COERCE,
        EventType.ASSAULT,
        EventType.COERCE,
    ]


def test_a_long_article_with_many_quotes_and_a_long_sentence_is_coded_whole(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    """No cap on how many events or quotes an article has, or on how long its sentences are
    (v2's answer schema failed such articles)."""
    clause = "and the shelling of the northern districts continued through the night "
    long_sentence = "Police arrested three men in Idlib on Tuesday " + clause * 13 + "."
    quotes = "\n\n".join(
        f"\u201cWe counted {n} dead in the camp,\u201d said Abu Khaled." for n in range(40)
    )
    article = ArticleInput(text=f"{long_sentence}\n\n{quotes}")
    assert len(long_sentence) > 900
    server.first_choices()
    outcome = make_extractor(server.transport(), prompt_version="v3").extract(article)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.result is not None
    assert len(outcome.result.quotes) == 40
    assert any(len(e.evidence) > 900 for e in outcome.result.events)
