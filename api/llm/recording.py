"""Record real model answers and replay them, at the HTTP level.

Both layers are httpx transports under the `openai` client, so instructor and openai run
unchanged and every request (a first call, each re-ask) is its own recording. A recording is
keyed by the sha256 of the exact request body (model, messages, tools / response_format,
temperature, max_tokens, ...) in canonical JSON, and stored as one pretty JSON file per hash.

Recordings are only ever written by `RecordingTransport` from a real model's response; headers
(and so API keys) are never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
import structlog
from openai import OpenAIError
from pydantic import BaseModel

from api import metrics
from api.llm.prompts import canonical_json
from api.llm.transport import current_stats
from schemas.contract import PromptRef

log = structlog.get_logger(__name__)

RECORDED_PATH_SUFFIX = "/chat/completions"
DEFAULT_RECORD_COMMAND = (
    "WIRECODER_LLM_BACKEND=local WIRECODER_LLM_RECORD=1 wirecoder extract FILE "
    "(or `wirecoder eval run --record`)"
)


class RecordingMeta(BaseModel):
    """Who answered: written beside every recorded answer."""

    model: str
    weights_sha256: str | None = None
    backend: str
    base_url: str
    prompt: PromptRef | None = None
    schema_sha256: str | None = None


class RecordingMissing(OpenAIError):
    """The replay backend has no answer for this exact request: a permanent failure, since
    the same request misses again however often it is tried.

    An OpenAIError so the openai client passes it through unwrapped."""

    def __init__(self, request_hash: str, model: str, directory: Path, record_command: str):
        self.request_hash = request_hash
        self.model = model
        super().__init__(
            f"no recorded answer for request {request_hash} (model {model!r}) in {directory}: "
            "the replay backend answers only the exact requests recorded before, so trying "
            f"again cannot help. Record it from a real model with: {record_command}; or use a "
            "live backend (WIRECODER_LLM_BACKEND=local or openai)"
        )


def request_hash(body: Any) -> str:
    """sha256 of the request body in canonical JSON: same request, same hash."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def public_url(url: str) -> str:
    """The URL without credentials or query string (never stored)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class RecordingStore:
    """One pretty JSON file per request hash under `directory`."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path_for(self, digest: str) -> Path:
        return self.directory / f"{digest}.json"

    def load(self, digest: str) -> dict[str, Any] | None:
        path = self.path_for(digest)
        if not path.is_file():
            return None
        recording: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return recording

    def save(self, *, digest: str, meta: RecordingMeta, request: Any, response: Any) -> Path:
        recording = {
            "request_hash": digest,
            "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **meta.model_dump(mode="json"),
            "base_url": public_url(meta.base_url),
            "request": request,
            "response": response,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(digest)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(recording, indent=2, ensure_ascii=False, sort_keys=False) + "\n",
            encoding="utf-8",
        )
        tmp.replace(path)  # readers never see half a file
        return path


def _recorded_request(request: httpx2.Request) -> Any | None:
    """The JSON body of a chat-completions POST, else None (not recorded)."""
    if request.method != "POST" or not request.url.path.endswith(RECORDED_PATH_SUFFIX):
        return None
    return json.loads(request.read())


class RecordingTransport(httpx2.BaseTransport):
    """Passes requests to a real backend and writes each successful answer to the store."""

    def __init__(self, inner: httpx2.BaseTransport, store: RecordingStore, meta: RecordingMeta):
        self.inner = inner
        self.store = store
        self.meta = meta

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = _recorded_request(request)
        response = self.inner.handle_request(request)
        if body is None or response.status_code != 200:
            return response
        response.read()
        digest = request_hash(body)
        path = self.store.save(
            digest=digest, meta=self.meta, request=body, response=response.json()
        )
        log.info("recorded model answer", request_hash=digest, path=str(path))
        return response

    def close(self) -> None:
        self.inner.close()


class ReplayTransport(httpx2.BaseTransport):
    """Serves recorded answers; a request with no recording raises `RecordingMissing`."""

    def __init__(self, store: RecordingStore, record_command: str = DEFAULT_RECORD_COMMAND):
        self.store = store
        self.record_command = record_command

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = _recorded_request(request)
        if body is None:
            return httpx2.Response(404, json={"error": "replay serves chat completions only"})
        digest = request_hash(body)
        recording = self.store.load(digest)
        metrics.count_replay(model=str(body.get("model")), hit=recording is not None)
        if recording is None:
            raise RecordingMissing(
                digest, str(body.get("model")), self.store.directory, self.record_command
            )
        stats = current_stats()
        if stats is not None:
            stats.replayed.append(
                {k: v for k, v in recording.items() if k not in ("request", "response")}
            )
        return httpx2.Response(200, json=recording["response"], request=request)
