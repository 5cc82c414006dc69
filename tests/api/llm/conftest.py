"""Fixtures for the model-client tests: a scripted server, settings isolated in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from api.config import LLMBackend, Settings
from api.llm.extractor import Extractor
from tests.api.llm.scripted_server import FAKE_API_KEY, FAKE_BASE_URL, FAKE_MODEL, ScriptedServer


@pytest.fixture
def server() -> ScriptedServer:
    return ScriptedServer()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "llm_backend": LLMBackend.OPENAI,
            "llm_base_url": FAKE_BASE_URL,
            "llm_model": FAKE_MODEL,
            "llm_api_key": FAKE_API_KEY,
            "llm_max_reasks": 2,
            "prompt_version": "v1",  # the single-call mechanics; staged tests ask for v2
            "llm_transport_retries": 3,
            "llm_transport_max_wait_s": 30.0,
            "recordings_dir": tmp_path / "recordings",
            "data_dir": tmp_path / "data",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def make_extractor(
    make_settings: Callable[..., Settings], sleeps: list[float]
) -> Callable[..., Extractor]:
    def make(network: httpx2.BaseTransport, **overrides: Any) -> Extractor:
        return Extractor(make_settings(**overrides), network=network, sleep=sleeps.append)

    return make
