"""/health (liveness: what new extractions run with, no I/O) and /health/ready (the database
and the model answer: the recordings for replay, `GET {base_url}/models` for live backends)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import create_engine

from api.config import LLMBackend, Settings
from api.deps import get_engine
from api.llm.extractor import Extractor


@contextmanager
def model_server(status: int) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """An OpenAI-compatible server's `GET /v1/models` answering `status`; the requests' headers."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"object": "list", "data": [{"id": "m", "object": "model"}]}')

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def _live(settings: Settings, base_url: str) -> Settings:
    return settings.model_copy(
        update={
            "llm_backend": LLMBackend.OPENAI,
            "llm_base_url": base_url,
            "llm_api_key": SecretStr("sk-probe-key-123"),
        }
    )


def test_health_names_the_replay_backend_not_a_server(make_client: Any, settings: Settings) -> None:
    replay = settings.model_copy(update={"prompt_version": "v1"})
    with make_client(extractor=Extractor(replay), app_settings=replay) as client:
        body = client.get("/health").json()
    assert body["status"] == "ok" and body["backend"] == "replay"
    assert body["model"] == settings.local_model and body["base_url"] is None
    assert body["prompt"] == "extract@v1" and body["database"] in {"sqlite", "postgresql"}
    assert body["queue"] == {
        "name": "inline",
        "concurrency": 1,
        "rate_limit": "30/60s",
        "worker_in_api": True,
    }


def test_health_names_a_live_backend_and_its_server(make_client: Any, settings: Settings) -> None:
    live = _live(settings, "https://user:pw@models.example/v1").model_copy(
        update={"llm_model": "gpt-test", "prompt_version": "v1"}
    )
    with make_client(extractor=Extractor(live), app_settings=live) as client:
        body = client.get("/health").json()
    assert body["backend"] == "openai" and body["model"] == "gpt-test"
    assert body["base_url"] == "https://models.example/v1"  # never its credentials


def test_ready_on_replay_when_the_database_and_recordings_answer(client: Any) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["database"]["ok"] and body["model"]["ok"]
    assert "recordings readable" in body["model"]["detail"]


def test_not_ready_without_recordings_says_the_model_failed(
    make_client: Any, settings: Settings, tmp_path: Path
) -> None:
    missing = settings.model_copy(update={"recordings_dir": tmp_path / "nowhere"})
    with make_client(app_settings=missing) as client:
        response = client.get("/health/ready")
        alive = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["database"]["ok"] and not body["model"]["ok"]
    assert "unreadable" in body["model"]["detail"]
    assert alive.status_code == 200  # liveness is not readiness


def test_ready_when_a_live_model_lists_its_models(make_client: Any, settings: Settings) -> None:
    with (
        model_server(200) as (base_url, seen),
        make_client(app_settings=_live(settings, base_url)) as client,
    ):
        response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json()["model"]["ok"]
    assert seen[0]["path"] == "/v1/models"
    assert seen[0]["authorization"] == "Bearer sk-probe-key-123"


def test_not_ready_when_the_model_refuses_or_does_not_answer(
    make_client: Any, settings: Settings
) -> None:
    with (
        model_server(401) as (base_url, _),
        make_client(app_settings=_live(settings, base_url)) as client,
    ):
        refused = client.get("/health/ready")
    with make_client(app_settings=_live(settings, base_url)) as client:  # stopped: nothing there
        silent = client.get("/health/ready")
    assert refused.status_code == silent.status_code == 503
    assert "answered HTTP 401" in refused.json()["model"]["detail"]
    assert "did not answer" in silent.json()["model"]["detail"]
    assert "sk-probe-key-123" not in refused.text + silent.text


def test_not_ready_when_the_database_is_down_while_health_stays_up(
    client: Any, tmp_path: Path
) -> None:
    down = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    client.app.dependency_overrides[get_engine] = lambda: down
    response = client.get("/health/ready")
    alive = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert not body["database"]["ok"] and body["model"]["ok"]
    assert body["database"]["detail"] == "did not answer (OperationalError)"
    assert alive.status_code == 200 and alive.json()["database"] == "sqlite"
