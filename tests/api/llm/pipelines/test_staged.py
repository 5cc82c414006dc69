"""The staged pipeline (prompt v2) through the real openai + instructor client against the
scripted server: stage order, shared system message, per-article enums, cleanup, one outcome
over all stages. Mechanics only: the scripted answers are not a model's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.llm.extractor import Extractor
from api.llm.pipelines.staged import stage_schema_sha256
from schemas.contract import OutcomeStatus
from schemas.extraction import QuoteKind
from schemas.grounded import AlignmentStatus
from tests.api.llm.scripted_server import ARTICLE, ARTICLE_TEXT, ScriptedServer

MakeExtractor = Callable[..., Extractor]


def _actors() -> dict[str, Any]:
    return {
        "actors": [
            {"name": "Free Army", "aliases": ["Rebel fighters", "he"], "kind": "armed_group"},
            {"name": "Abu Khaled", "kind": "person", "affiliation": "Free Army"},
            {"name": "Invented Front", "kind": "armed_group"},  # not in the article: dropped
        ]
    }


def _events() -> dict[str, Any]:
    return {
        "events": [
            {
                "sentence": 2,
                "event_type": "ASSAULT",
                "mode": "shelling",
                "status": "claimed",
                "sources": ["Free Army"],
                "targets": [],
                "date_text": "on Sunday",
            },
            {  # a mode of another type and a date not in the sentence: both dropped
                "sentence": 3,
                "event_type": "THREATEN",
                "mode": "arrest",
                "status": "asserted",
                "sources": ["Abu Khaled"],
                "date_text": "in June",
            },
        ]
    }


def test_stages_run_in_order_and_assemble_one_grounded_outcome(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(_actors(), prompt=500, completion=60)
    server.answer(_events(), prompt=700, completion=90)
    server.answer(_nobody_said_the_indirect_quote(), prompt=300, completion=20)
    extractor = make_extractor(server.transport(), prompt_version="v2")
    outcome = extractor.extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 3 and outcome.attempts == 3
    assert (outcome.usage.prompt_tokens, outcome.usage.completion_tokens) == (1500, 170)
    assert len(outcome.raw_outputs) == 3
    assert outcome.provenance.prompt_version == "v2"
    assert outcome.provenance.schema_sha256 == stage_schema_sha256()

    actors_request, events_request, speakers_request = server.requests
    assert actors_request["messages"][0] == events_request["messages"][0]  # shared prefix
    assert speakers_request["messages"][0] == actors_request["messages"][0]
    # "Abu Khaled" at the direct quote names an actor: only the indirect quote is asked about
    assert "Quotation 1:" in speakers_request["messages"][1]["content"]
    assert "Quotation 2:" not in speakers_request["messages"][1]["content"]
    assert "[2] Rebel fighters shelled" in actors_request["messages"][0]["content"]
    assert actors_request["tool_choice"]["function"]["name"] == "ActorsAnswer"
    assert "[3] \u201cWe will not leave" in events_request["messages"][1]["content"]
    params = events_request["tools"][0]["function"]["parameters"]
    assert params["$defs"]["Event"]["properties"]["sentence"]["enum"] == [2, 3]
    assert "Free Army" in str(params) and "Invented Front" not in str(params)

    result = outcome.result
    assert result is not None
    assert [a.name for a in result.actors] == ["Free Army", "Abu Khaled"]
    assert result.actors[0].aliases == ["Rebel fighters"]  # the pronoun alias is dropped
    [assault, threaten] = result.events
    assert assault.evidence == (
        "Rebel fighters shelled government positions near Kafr Nabl on Sunday, a monitoring "
        "group said."
    )
    assert assault.evidence_span is not None
    assert assault.evidence_span.alignment == AlignmentStatus.EXACT
    assert assault.date_text == "on Sunday"
    assert (threaten.mode, threaten.date_text, threaten.status.value) == (None, None, "threatened")
    [quote] = result.quotes  # indirect speech with no identified speaker is dropped
    assert quote.kind == QuoteKind.DIRECT and quote.speaker == "Abu Khaled"
    assert quote.span is not None and quote.span.start is not None
    assert ARTICLE_TEXT[quote.span.start : quote.span.end] == "We will not leave our homes"


def _no_events() -> dict[str, Any]:
    none = {"event_type": "NONE", "status": "asserted"}
    return {"events": [{"sentence": 2, **none}, {"sentence": 3, **none}]}


def _nobody_said_the_indirect_quote() -> dict[str, Any]:
    return {"speakers": [{"quote": 1, "speaker": "nobody"}]}


def test_pronoun_speaker_is_asked_with_actor_names_as_an_enum(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    article = ARTICLE.model_copy(
        update={
            "text": ARTICLE_TEXT.replace("said Abu Khaled, a commander of the Free Army", "he said")
            + " Abu Khaled commands the Free Army."
        }
    )
    server.answer(_actors()).answer(_no_events())
    answer = [{"quote": 1, "speaker": "nobody"}, {"quote": 2, "speaker": "Abu Khaled"}]
    server.answer({"speakers": answer})
    outcome = make_extractor(server.transport(), prompt_version="v2").extract(article)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 3
    speakers_request = server.requests[2]
    assert (
        'Quotation 2: "We will not leave our homes"' in speakers_request["messages"][1]["content"]
    )
    schema = str(speakers_request["tools"][0]["function"]["parameters"])
    assert "nobody" in schema and "Abu Khaled" in schema
    assert outcome.result is not None
    [quote] = outcome.result.quotes
    assert (quote.speaker, quote.speaker_mention, quote.cue) == ("Abu Khaled", "he", "said")


def test_an_answer_outside_the_enum_is_reasked_and_counted(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    bad_events = {"events": [{"sentence": 99, "event_type": "ASSAULT", "status": "asserted"}]}
    server.answer(_actors()).answer(bad_events).answer(_no_events())
    server.answer(_nobody_said_the_indirect_quote())
    outcome = make_extractor(server.transport(), prompt_version="v2", llm_max_reasks=1).extract(
        ARTICLE
    )
    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.attempts == 4 and len(outcome.raw_outputs) == 4
    assert "literal_error" in str(server.requests[2]["messages"])  # the re-ask names it
    assert outcome.result is not None and outcome.result.events == []


def test_a_stage_that_never_validates_makes_the_outcome_invalid(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    bad_events = {"events": [{"sentence": 99, "event_type": "ASSAULT", "status": "asserted"}]}
    server.answer(_actors()).answer(bad_events)  # the last reply repeats
    outcome = make_extractor(server.transport(), prompt_version="v2", llm_max_reasks=1).extract(
        ARTICLE
    )
    assert outcome.status == OutcomeStatus.INVALID
    assert outcome.attempts == 3 and outcome.result is None
    assert outcome.error is not None and "validation" in outcome.error
