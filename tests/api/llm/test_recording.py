"""Record / replay at the HTTP level. Recording here writes only into the test's tmp_path, from
a scripted server: such files are never committed as recordings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest

from api.config import LLMBackend
from api.llm.extractor import Extractor
from api.llm.local_model import weights_sha256
from api.llm.recording import (
    RecordingMissing,
    RecordingStore,
    ReplayTransport,
    public_url,
    request_hash,
)
from schemas.contract import OutcomeStatus
from tests.api.llm.scripted_server import (
    ARTICLE,
    FAKE_API_KEY,
    FAKE_MODEL,
    ScriptedServer,
    good_answer,
    invented_quote_answer,
    no_network,
)

MakeExtractor = Callable[..., Extractor]


def test_request_hash_is_canonical_and_sensitive() -> None:
    a = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0}
    b = {"temperature": 0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    assert request_hash(a) == request_hash(b)
    assert request_hash(a) != request_hash({**a, "temperature": 0.1})
    assert request_hash(a) != request_hash({**a, "model": "other"})


def test_public_url_drops_credentials_and_query() -> None:
    assert public_url("https://user:pw@api.example.com:8443/v1?key=sk-1") == (
        "https://api.example.com:8443/v1"
    )


def test_replay_miss_names_the_hash_the_model_and_the_record_command(tmp_path: Path) -> None:
    client = httpx2.Client(transport=ReplayTransport(RecordingStore(tmp_path)))
    body = {"model": FAKE_MODEL, "messages": [{"role": "user", "content": "hello"}]}
    with pytest.raises(RecordingMissing) as missing:
        client.post("http://model.test/v1/chat/completions", json=body)
    message = str(missing.value)
    assert request_hash(body) in message
    assert FAKE_MODEL in message
    assert "WIRECODER_LLM_RECORD=1" in message and "--record" in message


def test_replay_miss_through_the_extractor_is_a_failed_outcome(
    make_extractor: MakeExtractor,
) -> None:
    extractor = make_extractor(no_network(), llm_backend=LLMBackend.REPLAY)
    outcome = extractor.extract(ARTICLE)

    assert outcome.status == OutcomeStatus.FAILED
    assert outcome.error is not None
    assert "no recorded answer for request" in outcome.error
    assert "WIRECODER_LLM_RECORD=1" in outcome.error and FAKE_MODEL in outcome.error


def test_record_then_replay_round_trip(
    server: ScriptedServer, make_extractor: MakeExtractor, tmp_path: Path
) -> None:
    server.answer(invented_quote_answer(), 900, 200).answer(good_answer(), 1300, 180)
    recorded = make_extractor(server.transport(), llm_record=True).extract(ARTICLE)
    assert recorded.status == OutcomeStatus.SUCCEEDED, recorded.error

    files = sorted((tmp_path / "recordings").glob("*.json"))
    assert len(files) == 2  # the first call and the re-ask, each its own request
    for path, sent in zip(
        sorted(files, key=lambda p: len(json.loads(p.read_text())["request"]["messages"])),
        server.requests,
        strict=True,
    ):
        text = path.read_text(encoding="utf-8")
        recording = json.loads(text)
        assert path.stem == recording["request_hash"] == request_hash(sent)
        assert recording["request"] == sent
        assert recording["model"] == FAKE_MODEL and recording["backend"] == "openai"
        assert recording["prompt"]["id"] == "extract" and len(recording["prompt"]["sha256"]) == 64
        assert recording["schema_sha256"] == recorded.provenance.schema_sha256
        assert recording["recorded_at"] and recording["response"]["choices"]
        assert FAKE_API_KEY not in text and "authorization" not in text.lower()
        assert "\n  " in text  # pretty, readable JSON

    replayed = make_extractor(no_network(), llm_backend=LLMBackend.REPLAY).extract(ARTICLE)
    assert replayed.status == OutcomeStatus.SUCCEEDED, replayed.error
    assert replayed.result == recorded.result
    assert replayed.attempts == 2 and replayed.usage == recorded.usage
    assert replayed.raw_outputs == recorded.raw_outputs
    assert replayed.provenance.backend == "replay"


def test_failed_answers_are_not_recorded(
    server: ScriptedServer, make_extractor: MakeExtractor, tmp_path: Path
) -> None:
    server.status(503, {"Retry-After": "0"}).answer(good_answer())
    outcome = make_extractor(server.transport(), llm_record=True).extract(ARTICLE)

    assert outcome.status == OutcomeStatus.SUCCEEDED
    recordings = list((tmp_path / "recordings").glob("*.json"))
    assert len(recordings) == 1
    assert json.loads(recordings[0].read_text())["response"]["usage"]["prompt_tokens"] == 900


def test_local_backend_records_the_weights_sha_and_replay_reports_it(
    server: ScriptedServer, make_extractor: MakeExtractor, tmp_path: Path
) -> None:
    local = {"llm_model": "qwen2.5-coder-0.5b"}
    server.answer(good_answer())
    recorded = make_extractor(
        server.transport(), llm_backend=LLMBackend.LOCAL, llm_record=True, **local
    ).extract(ARTICLE)
    pinned = weights_sha256("qwen2.5-coder-0.5b")
    assert recorded.provenance.weights_sha256 == pinned

    (path,) = (tmp_path / "recordings").glob("*.json")
    recording = json.loads(path.read_text())
    assert recording["weights_sha256"] == pinned and recording["backend"] == "local"

    replayed = make_extractor(no_network(), llm_backend=LLMBackend.REPLAY, **local).extract(ARTICLE)
    assert replayed.status == OutcomeStatus.SUCCEEDED, replayed.error
    assert replayed.provenance.weights_sha256 == pinned
