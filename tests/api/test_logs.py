"""Logs (api.logs): no secret in logs, recordings or the database — a run that fails with a
planted API key, database password and model-URL password, logged at INFO with tracebacks, in
either format; JSON lines that parse, for structlog's and the standard library's records
alike; a request's id on every line logged for it, its job's in a DBOS worker and uvicorn's
access line included."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api import crud
from api.config import LLMBackend, Settings
from api.db import make_engine, upgrade_database
from api.jobs import InlineJobQueue, JobContext, run_job
from api.llm.extractor import Extractor
from api.logs import LogFormat, Redactor, configure_logging, settings_secrets
from api.main import create_app
from api.models import ExtractionJob, JobStatus
from schemas.contract import ArticleInput
from tests.api.llm.scripted_server import ARTICLE_TEXT, FAKE_MODEL, ScriptedServer
from tests.api.serving import serve

PLANTED_KEY = "sk-planted-4f1c9e77a2"
PLANTED_URL_PASSWORD = "planted-url-pass-93"
PLANTED_DB_PASSWORD = "planted-db-pass-71"


def test_redactor_masks_secrets_url_credentials_and_query_keys() -> None:
    redact = Redactor([PLANTED_KEY, "short"])
    line = (
        f"key={PLANTED_KEY} url=postgresql://app:{PLANTED_DB_PASSWORD}@db:5432/x "
        "https://api.example/v1?api_key=abc123&page=2 short"
    )
    assert redact(line) == (
        "key=*** url=postgresql://***@db:5432/x https://api.example/v1?api_key=***&page=2 short"
    )


def _settings(db_url: str, tmp_path: Path) -> Settings:
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":  # trust auth takes any password
        db_url = url.set(password=PLANTED_DB_PASSWORD).render_as_string(hide_password=False)
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=db_url,
        llm_backend=LLMBackend.OPENAI,
        llm_base_url=f"http://wirecoder:{PLANTED_URL_PASSWORD}@model.test/v1",
        llm_model=FAKE_MODEL,
        llm_api_key=PLANTED_KEY,
        prompt_version="v1",
        llm_transport_retries=1,
        llm_record=True,
        recordings_dir=tmp_path / "recordings",
        job_max_attempts=1,
    )


class _ExplodingExtractor:
    """A bug deep in a call that holds the key in a local variable: the traceback that a
    renderer with locals would print carries it."""

    def __init__(self, inner: Extractor) -> None:
        self.inner = inner
        self.provenance = inner.provenance

    def extract(self, article: ArticleInput) -> Any:
        api_key = PLANTED_KEY
        raise RuntimeError(f"the model client broke (key ending {api_key[-4:]})")


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_failing_run_leaves_no_secret_in_logs_recordings_or_database(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: Any,
    log_format: LogFormat,
) -> None:
    settings = _settings(db_url, tmp_path)
    caplog.set_level(logging.INFO)
    configure_logging("INFO", secrets=settings_secrets(settings), log_format=log_format)
    upgrade_database(settings.resolved_database_url)  # alembic's lines: in the format too
    engine = make_engine(settings.resolved_database_url)
    server = ScriptedServer().status(500)
    extractor = Extractor(settings, network=server.transport(), sleep=lambda _s: None)
    log = structlog.get_logger("test")
    log.info("settings_at_start", settings=repr(settings), url=settings.resolved_llm_base_url)
    with Session(engine) as session:
        for n, runner in enumerate((extractor, _ExplodingExtractor(extractor))):
            article, _ = crud.get_or_create_article(session=session, text=f"{ARTICLE_TEXT} {n}")
            job, _ = crud.get_or_create_job(
                session=session, article=article, provenance=runner.provenance
            )
            assert job.id is not None
            ctx = JobContext(engine=engine, extractor=runner, settings=settings)
            assert run_job(ctx, job.id, sleep=lambda _s: None) == JobStatus.FAILED
        stored = " ".join(
            f"{job.base_url} {job.error} {job.raw_outputs}"
            for job in session.exec(select(ExtractionJob)).all()
        )
    engine.dispose()
    stderr = capsys.readouterr().err
    logs = "\n".join((stderr, caplog.text))
    if log_format == "json":  # every line one JSON object, the standard library's too
        lines = [json.loads(line) for line in stderr.splitlines()]
        loggers = {line.get("logger") for line in lines}
        assert {"api.jobs", "httpx2", "alembic.runtime.migration"} <= loggers
        assert any("Traceback" in line.get("exception", "") for line in lines)
    recordings = " ".join(p.read_text() for p in (tmp_path / "recordings").rglob("*"))
    assert "Traceback" in logs and "extractor_raised" in logs  # the failure was logged...
    assert "HTTP Request: POST http://***@model.test/v1/chat/completions" in caplog.text
    for secret in (PLANTED_KEY, PLANTED_URL_PASSWORD, PLANTED_DB_PASSWORD):
        assert secret not in logs  # ...without a secret
        assert secret not in stored and secret not in recordings


def test_the_cli_prints_tracebacks_without_local_variables() -> None:
    from api.cli import app

    assert app.pretty_exceptions_show_locals is False


def _json_lines(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines()]  # each line, or this fails


def test_a_request_id_is_carried_into_its_jobs_log_lines(
    settings: Settings,
    make_fake_extractor: Any,
    seed_body: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", secrets=[], log_format="json")
    extractor = make_fake_extractor(script=["succeeded"])
    # the DBOS queue: the job runs in a DBOS thread, not in the request's
    with TestClient(create_app(settings, extractor=extractor)) as client:
        posted = client.post(
            "/v1/articles?wait=30", json=seed_body, headers={"X-Request-ID": "abc"}
        )
        other = client.post("/v1/articles?wait=30", json={**seed_body, "text": "Another one."})
    assert posted.status_code == other.status_code == 200, posted.text
    assert posted.headers["x-request-id"] == "abc"
    lines = _json_lines(capsys.readouterr().err)
    tries = [line for line in lines if line["event"] == "extraction_try"]
    assert len(tries) == 2
    job_id = posted.json()["job"]["id"]
    mine = next(line for line in tries if line["job_id"] == job_id)
    assert mine["request_id"] == "abc" and mine["status"] == "succeeded"
    theirs = next(line for line in tries if line["job_id"] != job_id)
    assert theirs["request_id"] == other.headers["x-request-id"] != "abc"


def test_uvicorn_access_lines_are_json_with_the_request_id(
    settings: Settings, fake_extractor: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", secrets=[], log_format="json")
    app = create_app(
        settings,
        extractor=fake_extractor,
        job_queue_factory=lambda ctx: InlineJobQueue(ctx, sleep=lambda _s: None),
    )
    # as `wirecoder serve` runs it: log_config=None, access log on
    with serve(app, log_level="info", log_config=None) as base_url:
        answered = httpx.get(
            f"{base_url}/health?key=planted-query-secret", headers={"X-Request-ID": "abc"}
        )
    assert answered.status_code == 200 and answered.headers["x-request-id"] == "abc"
    lines = _json_lines(capsys.readouterr().err)
    access = [line for line in lines if line.get("logger") == "uvicorn.access"]
    assert len(access) == 1, lines
    assert access[0]["request_id"] == "abc" and access[0]["level"] == "info"
    assert "GET /health?key=*** HTTP/1.1" in access[0]["event"]  # redacted in JSON too
    assert any(line.get("logger") == "uvicorn.error" for line in lines)  # "Started server..."


def test_the_log_format_is_a_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.config import get_settings

    monkeypatch.setenv("WIRECODER_LOG_FORMAT", "json")
    get_settings.cache_clear()
    try:
        configure_logging("INFO")  # as `wirecoder serve` and `worker` do
    finally:
        get_settings.cache_clear()
    structlog.get_logger("wirecoder.test").info("hello", n=1)
    logging.getLogger("uvicorn.error").warning("Started %s", "server")
    first, second = _json_lines(capsys.readouterr().err)
    assert first["event"] == "hello" and first["n"] == 1 and first["logger"] == "wirecoder.test"
    assert second == {**second, "event": "Started server", "level": "warning"}
