"""API fixtures: the app built by create_app with a fake extractor and an inline job queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.jobs import InlineJobQueue, JobContext
from api.main import create_app

ClientFactory = Callable[..., Any]


@pytest.fixture
def make_client(settings: Settings, fake_extractor: Any) -> Iterator[ClientFactory]:
    """`with make_client(extractor=..., defer=...) as client:` — an app on the test database.
    `defer=True` leaves jobs queued until `client.app.state.job_queue.run_pending()`."""

    @contextmanager
    def factory(
        extractor: Any = None, *, defer: bool = False, app_settings: Settings | None = None
    ) -> Iterator[TestClient]:
        def inline(ctx: JobContext) -> InlineJobQueue:
            return InlineJobQueue(ctx, defer=defer, sleep=lambda _s: None)

        app = create_app(
            app_settings or settings,
            extractor=extractor or fake_extractor,
            job_queue_factory=inline,
        )
        with TestClient(app) as client:
            yield client

    yield factory


@pytest.fixture
def client(make_client: ClientFactory) -> Iterator[TestClient]:
    with make_client() as client:
        yield client


@pytest.fixture
def seed_body(seed: Any) -> dict[str, Any]:
    return {
        "text": seed.text,
        "title": "US-backed forces announce 'final phase' of Raqa battle",
        "url": "https://www.example.org/afp/raqa",
        "source": seed.source,
        "published_at": seed.published_at.isoformat(),
        "dateline": seed.dateline,
    }
