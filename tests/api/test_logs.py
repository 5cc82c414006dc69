"""No secret in logs, recordings or the database (api.logs): a run that fails with a planted
API key, database password and model-URL password, logged at INFO with tracebacks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from api import crud
from api.config import LLMBackend, Settings
from api.db import make_engine, upgrade_database
from api.jobs import JobContext, run_job
from api.llm.extractor import Extractor
from api.logs import Redactor, configure_logging, settings_secrets
from api.models import ExtractionJob, JobStatus
from schemas.contract import ArticleInput
from tests.api.llm.scripted_server import ARTICLE_TEXT, FAKE_MODEL, ScriptedServer

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


def test_a_failing_run_leaves_no_secret_in_logs_recordings_or_database(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: Any
) -> None:
    settings = _settings(db_url, tmp_path)
    upgrade_database(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    caplog.set_level(logging.INFO)
    configure_logging("INFO", secrets=settings_secrets(settings))
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
    logs = "\n".join((*capsys.readouterr(), caplog.text))
    recordings = " ".join(p.read_text() for p in (tmp_path / "recordings").rglob("*"))
    assert "Traceback" in logs and "extractor_raised" in logs  # the failure was logged...
    assert "HTTP Request: POST http://***@model.test/v1/chat/completions" in caplog.text
    for secret in (PLANTED_KEY, PLANTED_URL_PASSWORD, PLANTED_DB_PASSWORD):
        assert secret not in logs  # ...without a secret
        assert secret not in stored and secret not in recordings


def test_the_cli_prints_tracebacks_without_local_variables() -> None:
    from api.cli import app

    assert app.pretty_exceptions_show_locals is False
