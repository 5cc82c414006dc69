"""Live: the local model, asked a recorded request again at temperature 0, gives the recorded
answer. Skipped unless `pytest --live` (needs `scripts/install-local-model.sh`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from api.config import Settings
from api.llm.local_model import weights_sha256

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings"


def _answer(response: dict[str, Any]) -> Any:
    message = response["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    return [json.loads(c["function"]["arguments"]) for c in calls] or message.get("content")


def _recorded_request(model: str) -> dict[str, Any]:
    for path in sorted(RECORDINGS.glob("*.json")):
        recording = json.loads(path.read_text(encoding="utf-8"))
        if recording.get("model") == model and recording["request"].get("temperature") == 0:
            return recording
    pytest.fail(f"no temperature-0 recording of {model} in {RECORDINGS}")


@pytest.mark.live
def test_local_model_reproduces_a_recorded_answer() -> None:
    pytest.importorskip("llama_cpp")
    from api.llm.local_server import ensure_local_server

    settings = Settings()
    recording = _recorded_request(settings.local_model)
    assert recording["weights_sha256"] == weights_sha256(settings.local_model)
    base_url = ensure_local_server(settings)
    response = httpx2.post(f"{base_url}/chat/completions", json=recording["request"], timeout=600.0)
    response.raise_for_status()
    assert _answer(response.json()) == _answer(recording["response"])
