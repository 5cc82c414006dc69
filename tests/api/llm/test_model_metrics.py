"""Model-call metrics (api.metrics, counted in api.llm.calls and api.llm.recording) through the
real openai + instructor client against a scripted server: calls, attempts, re-asks, transport
retries and tokens by model and stage; replay hits and misses. The counters are the process's:
each test reads them before and after."""

from __future__ import annotations

from collections.abc import Callable

from api.config import LLMBackend
from api.llm.extractor import Extractor
from api.metrics import REGISTRY
from schemas.contract import OutcomeStatus
from tests.api.llm.scripted_server import (
    ARTICLE,
    FAKE_MODEL,
    ScriptedServer,
    good_answer,
    invented_quote_answer,
    no_network,
)

MakeExtractor = Callable[..., Extractor]
STAGE = "ArticleExtraction"  # prompt v1's one call: the tool the model is asked to call


def _counters(stage: str = STAGE) -> dict[str, float]:
    def get(name: str, **labels: str) -> float:
        value = REGISTRY.get_sample_value(name, {"model": FAKE_MODEL, **labels})
        return value or 0.0

    return {
        "ok": get("wirecoder_model_calls_total", stage=stage, outcome="ok"),
        "error": get("wirecoder_model_calls_total", stage=stage, outcome="error"),
        "attempts": get("wirecoder_model_attempts_total", stage=stage),
        "reasks": get("wirecoder_model_reasks_total", stage=stage),
        "retries": get("wirecoder_model_transport_retries_total", stage=stage),
        "prompt": get("wirecoder_model_tokens_total", stage=stage, kind="prompt"),
        "completion": get("wirecoder_model_tokens_total", stage=stage, kind="completion"),
        "hits": get("wirecoder_replay_requests_total", result="hit"),
        "misses": get("wirecoder_replay_requests_total", result="miss"),
    }


def _added(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def test_a_call_with_a_retry_and_a_reask_counts_each(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.status(503, {"Retry-After": "0"})
    server.answer(invented_quote_answer(), 900, 200).answer(good_answer(), 1300, 180)
    before = _counters()
    outcome = make_extractor(server.transport()).extract(ARTICLE)
    assert outcome.status == OutcomeStatus.SUCCEEDED, outcome.error
    # one question; two answers (the first re-asked); one 503 sent again by the transport
    assert _added(before, _counters()) == {
        "ok": 1,
        "attempts": 2,
        "reasks": 1,
        "retries": 1,
        "prompt": 2200,
        "completion": 380,
    }


def test_a_call_that_never_validates_counts_an_error_with_its_tokens(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(invented_quote_answer(), 900, 200)  # the same wrong answer every time
    before = _counters()
    outcome = make_extractor(server.transport(), llm_max_reasks=1).extract(ARTICLE)
    assert outcome.status == OutcomeStatus.INVALID
    assert _added(before, _counters()) == {
        "error": 1,
        "attempts": 2,
        "reasks": 1,
        "prompt": 1800,
        "completion": 400,
    }


def test_replay_counts_hits_and_misses(
    server: ScriptedServer, make_extractor: MakeExtractor
) -> None:
    server.answer(good_answer(), 1000, 250)
    recorded = make_extractor(server.transport(), llm_record=True).extract(ARTICLE)
    assert recorded.status == OutcomeStatus.SUCCEEDED, recorded.error
    replay = make_extractor(no_network(), llm_backend=LLMBackend.REPLAY)

    before = _counters()
    assert replay.extract(ARTICLE).status == OutcomeStatus.SUCCEEDED
    hit = _counters()
    other = ARTICLE.model_copy(update={"text": ARTICLE.text + " Nothing else happened."})
    assert replay.extract(other).status == OutcomeStatus.FAILED  # nothing recorded for it
    assert _added(before, hit) == {
        "ok": 1,
        "attempts": 1,
        "prompt": 1000,
        "completion": 250,
        "hits": 1,
    }
    assert _added(hit, _counters()) == {"error": 1, "attempts": 1, "misses": 1}
