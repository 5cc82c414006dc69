"""One factory from Settings to an instructor client on the `openai` client.

The HTTP stack, top to bottom:
    openai.OpenAI (max_retries=0) -> RetryingTransport -> RecordingTransport (when recording)
                                                       -> ReplayTransport (replay backend)
                                                       -> httpx2.HTTPTransport (the network)
Instructor's re-asks (validation errors) sit above all of it, bounded by llm_max_reasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
import instructor
import openai

from api.config import LLMBackend, Settings
from api.llm.recording import RecordingMeta, RecordingStore, RecordingTransport, ReplayTransport
from api.llm.transport import RetryingTransport, pool_limits


def instructor_mode(name: str) -> instructor.Mode:
    """`tools`, `json_schema`, `json`, `md_json` (or an instructor Mode value) -> Mode."""
    try:
        return instructor.Mode[name.upper()]
    except KeyError:
        return instructor.Mode(name)


def weights_sha256_for(settings: Settings) -> str | None:
    """The pinned weights sha256 of the local model; None for other backends."""
    if settings.llm_backend != LLMBackend.LOCAL:
        return None
    from api.llm.local_model import UnknownModelError, weights_sha256

    try:
        return weights_sha256(settings.resolved_llm_model)
    except UnknownModelError:
        return None


def build_transport(
    settings: Settings,
    *,
    meta: RecordingMeta,
    network: httpx2.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx2.BaseTransport:
    """The HTTP transport for model calls. `network` replaces the real network (tests pass an
    httpx2.MockTransport); recording and replay wrap whatever answers."""
    store = RecordingStore(settings.recordings_dir)
    inner: httpx2.BaseTransport
    if settings.llm_backend == LLMBackend.REPLAY:
        inner = ReplayTransport(store)
    else:
        # pooled for every job this process may run at once: none waits for a connection
        inner = network or httpx2.HTTPTransport(limits=pool_limits(settings))
        if settings.llm_record:
            inner = RecordingTransport(inner, store, meta)
    return RetryingTransport(
        inner,
        retries=settings.llm_transport_retries,
        max_wait_s=settings.llm_transport_max_wait_s,
        sleep=sleep,
    )


def build_client(
    settings: Settings,
    *,
    meta: RecordingMeta,
    network: httpx2.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> instructor.Instructor:
    """An instructor client for any OpenAI-compatible server (or the replay backend)."""
    http_client = httpx2.Client(
        transport=build_transport(settings, meta=meta, network=network, sleep=sleep),
        timeout=settings.llm_timeout_s,
    )
    openai_client = openai.OpenAI(
        base_url=settings.resolved_llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout_s,
        max_retries=0,  # transport retries are ours (RetryingTransport), bounded and logged
        http_client=http_client,
    )
    return instructor.from_openai(openai_client, mode=instructor_mode(settings.llm_mode))
