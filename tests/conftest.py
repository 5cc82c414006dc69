"""Shared fixtures: the --live switch, databases (SQLite and PostgreSQL), the seed article, a
fake extractor (tests/fakes.py), no real model requests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.config import LLMBackend, Settings
from tests.fakes import FakeExtractor, SeedArticle, load_seed

POSTGRES_URL = os.environ.get(
    "WIRECODER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@localhost:5432/test"
)


# ---- --live ---------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live", action="store_true", default=False, help="run tests that call a real model"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live") or os.environ.get("WIRECODER_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="calls a real model: run with --live")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


# ---- databases ------------------------------------------------------------------------------


def _postgres_schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={schema}"


def postgres_admin() -> Any:
    """An autocommit connection to the local PostgreSQL; the test is skipped without one,
    except under CI=true where a missing PostgreSQL is an error."""
    import psycopg

    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema in the local PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wirecoder.db'}"
        return
    admin = postgres_admin()
    schema = f"wc_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield _postgres_schema_url(schema)
    finally:
        # a connection a test left open must not block the drop
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (schema,),
        )
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=db_url,
        dbos_database_url=f"sqlite:///{tmp_path / 'dbos.sqlite'}",
        llm_backend=LLMBackend.REPLAY,
        max_article_chars=20_000,
        page_size_max=50,
        job_max_attempts=2,
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Any]:
    from api.db import make_engine, upgrade_database

    upgrade_database(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


# ---- the seed article and the fake extractor ---------------------------------------------


@pytest.fixture
def seed() -> SeedArticle:
    return load_seed()


@pytest.fixture
def fake_extractor() -> FakeExtractor:
    return FakeExtractor()


@pytest.fixture
def make_fake_extractor() -> Callable[..., FakeExtractor]:
    return FakeExtractor


# ---- no real model requests -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _forbid_real_model_requests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A global switch (as in pydantic-ai's tests): the openai client's real network transport
    refuses to send unless the test is marked `live`. Tests script the network below the
    retry / record / replay layers, or replay recordings."""
    if "live" in request.keywords:
        return
    import httpx2

    def refuse(self: Any, req: Any) -> Any:
        raise RuntimeError(
            f"a test tried a real model request ({req.method} {req.url}); "
            "replay a recording, script the network, or mark the test `live`"
        )

    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", refuse)


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure structlog (level, stream); later tests start from its defaults."""
    yield
    import structlog

    structlog.reset_defaults()
