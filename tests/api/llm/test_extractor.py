"""Retries, re-asks, usage and outcome statuses through the real openai + instructor client,
against a scripted server (mechanics only: the answers are not a model's)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest
from structlog.testing import capture_logs

from api.llm.extractor import Extractor
from schemas.contract import OutcomeStatus
from schemas.grounded import AlignmentStatus
from tests.api.llm.scripted_server import (
    ARTICLE,
    ARTICLE_TEXT,
    FAKE_MODEL,
    ScriptedServer,
    good_answer,
    invented_quote_answer,
    tool_call_completion,
)

MakeExtractor = Callable[..., Extractor]


def test_success_is_grounded_with_provenance(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(good_answer(), prompt=1000, completion=250)
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.attempts == 1
    assert (outcome.usage.prompt_tokens, outcome.usage.completion_tokens) == (1000, 250)
    assert outcome.result is not None
    quote = outcome.result.quotes[0]
    assert quote.span is not None and quote.span.alignment == AlignmentStatus.EXACT
    assert ARTICLE_TEXT[quote.span.start : quote.span.end] == quote.span.text  # type: ignore[misc]
    assert outcome.result.events[0].acled_event_type is not None
    assert outcome.provenance.model == FAKE_MODEL
    assert outcome.provenance.prompt_id == "extract"
    assert len(outcome.provenance.schema_sha256) == 64
    assert len(outcome.raw_outputs) == 1 and "Abu Khaled" in outcome.raw_outputs[0]
    # the request instructor sent: a forced tool call carrying the schema, our prompt
    sent = server.requests[0]
    assert sent["tool_choice"]["function"]["name"] == "ArticleExtraction"
    assert sent["tools"][0]["function"]["parameters"]["properties"]["events"]
    assert sent["messages"][0]["role"] == "system"
    assert ARTICLE_TEXT in sent["messages"][1]["content"]
    assert sent["temperature"] == 0.0


def test_429_with_retry_after_is_retried_by_the_transport(
    server: ScriptedServer, make_extractor: MakeExtractor, sleeps: list[float]
) -> None:
    server.status(429, {"Retry-After": "7"}).answer(good_answer())
    with capture_logs() as logs:
        outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.attempts == 1  # one model call; the transport retried it underneath
    assert len(server.requests) == 2
    assert sleeps == [7.0]  # honoured Retry-After
    finished = next(e for e in logs if e["event"] == "extraction finished")
    assert finished["transport_retries"] == 1


@pytest.mark.parametrize(
    "failure",
    [httpx2.ConnectError("connection refused"), httpx2.ReadTimeout("timed out")],
    ids=["connect-error", "timeout"],
)
def test_connection_errors_and_timeouts_are_retried_with_backoff(
    server: ScriptedServer,
    make_extractor: MakeExtractor,
    sleeps: list[float],
    failure: Exception,
) -> None:
    server.then(lambda: failure).answer(good_answer())
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert len(server.requests) == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 30.0


def test_invented_quote_is_reasked_with_the_error_and_corrected(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(invented_quote_answer(), 900, 200).answer(good_answer(), 1300, 180)
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    assert outcome.attempts == 2
    assert (outcome.usage.prompt_tokens, outcome.usage.completion_tokens) == (2200, 380)
    assert len(outcome.raw_outputs) == 2
    assert "We will fight until victory" in outcome.raw_outputs[0]
    reask = server.requests[1]["messages"]
    feedback = " ".join(str(m.get("content")) for m in reask[2:])
    assert "We will fight until victory" in feedback
    assert "is not in the article" in feedback
    assert outcome.result is not None and outcome.result.quotes[0].text.startswith("We will not")


def test_model_that_never_complies_ends_invalid_with_everything_kept(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(invented_quote_answer(), 900, 200)  # repeated for every request
    outcome = make_extractor(server.transport(), llm_max_reasks=2).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.INVALID
    assert outcome.attempts == 3 == len(server.requests)
    assert (outcome.usage.prompt_tokens, outcome.usage.completion_tokens) == (2700, 600)
    assert len(outcome.raw_outputs) == 3
    assert outcome.error is not None and "is not in the article" in outcome.error
    assert outcome.result is None


def test_server_errors_until_the_budget_is_spent_end_failed(
    server: ScriptedServer, make_extractor: MakeExtractor, sleeps: list[float]
) -> None:
    server.status(500)
    with capture_logs() as logs:
        outcome = make_extractor(server.transport(), llm_transport_retries=3).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.FAILED
    assert len(server.requests) == 4  # first try + 3 transport retries, no re-asks
    assert len(sleeps) == 3
    assert outcome.attempts == 1
    assert outcome.error is not None and "500" in outcome.error
    assert outcome.usage.total_tokens == 0 and outcome.raw_outputs == []
    assert next(e for e in logs if e["event"] == "extraction finished")["transport_retries"] == 3


def test_client_errors_are_not_retried(
    server: ScriptedServer, make_extractor: MakeExtractor, sleeps: list[float]
) -> None:
    server.status(400)
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.FAILED
    assert len(server.requests) == 1 and sleeps == []
    assert outcome.error is not None and "BadRequestError" in outcome.error


def test_answer_cut_off_at_max_tokens_is_invalid(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    def cut_off() -> httpx2.Response:
        body = tool_call_completion(good_answer(), prompt_tokens=900, completion_tokens=2048)
        body["choices"][0]["finish_reason"] = "length"
        return httpx2.Response(200, json=body)

    server.then(cut_off)
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.INVALID
    assert outcome.error is not None and "max_tokens" in outcome.error
    assert outcome.usage.completion_tokens == 2048


def test_unreachable_server_ends_failed_naming_the_transport_error(
    server: ScriptedServer, make_extractor: MakeExtractor, sleeps: list[float]
) -> None:
    server.then(lambda: httpx2.ConnectError("[Errno 111] Connection refused"))
    outcome = make_extractor(server.transport(), llm_transport_retries=2).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.FAILED
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert outcome.error is not None and "ConnectError" in outcome.error
    assert "Connection refused" in outcome.error


def test_reask_refused_for_context_length_is_invalid_not_failed(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    """Seen with the local model: the second re-ask outgrew n_ctx and the server said 400."""
    server.answer(invented_quote_answer(), 3800, 1100).status(400)
    outcome = make_extractor(server.transport()).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.INVALID
    assert outcome.attempts == 2 and outcome.usage.prompt_tokens == 3800
    assert outcome.error is not None
    assert "refused the last re-ask" in outcome.error and "is not in the article" in outcome.error
