"""`?wait` holds no server thread: requests waiting on jobs leave the service answering."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.config import Settings
from api.jobs import InlineJobQueue, JobContext
from api.main import create_app
from tests.api.serving import serve

WAITING = 100
HEALTH_CALLS = 15
HEALTH_MEDIAN_S = 0.1


@pytest.fixture
def deferred_app(settings: Settings, fake_extractor: Any) -> FastAPI:
    """Jobs stay queued until the test runs them (`app.state.job_queue.run_pending()`)."""

    def deferred(ctx: JobContext) -> InlineJobQueue:
        return InlineJobQueue(ctx, defer=True, sleep=lambda _s: None)

    return create_app(settings, extractor=fake_extractor, job_queue_factory=deferred)


@pytest.fixture
def served(deferred_app: FastAPI) -> Iterator[str]:
    with serve(deferred_app) as base_url:
        yield base_url


async def _health_latencies(client: httpx.AsyncClient) -> list[float]:
    latencies = []
    for _ in range(HEALTH_CALLS):
        started = time.perf_counter()
        response = await client.get("/health")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
    return latencies


@pytest.mark.slow
def test_100_waiting_requests_leave_health_answering(
    served: str, deferred_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    waiter = deferred_app.state.job_waiter
    queue = deferred_app.state.job_queue

    async def scenario() -> tuple[list[float], list[httpx.Response]]:
        limits = httpx.Limits(max_connections=WAITING + 10, max_keepalive_connections=WAITING)
        async with httpx.AsyncClient(base_url=served, limits=limits, timeout=120) as client:
            posts = [
                asyncio.create_task(
                    client.post("/v1/articles?wait=60", json={"text": f"Article number {n}."})
                )
                for n in range(WAITING)
            ]
            deadline = time.monotonic() + 90
            while waiter.waiting < WAITING:  # every request stored and now waiting
                assert time.monotonic() < deadline, f"{waiter.waiting} waiting"
                await asyncio.sleep(0.05)
            latencies = await _health_latencies(client)
            await asyncio.to_thread(queue.run_pending)  # the jobs finish: the waits end
            return latencies, list(await asyncio.gather(*posts))

    latencies, responses = asyncio.run(scenario())
    median = statistics.median(latencies)
    with capsys.disabled():
        print(
            f"\n/health with {WAITING} waiting requests: median {median * 1000:.1f} ms, "
            f"max {max(latencies) * 1000:.1f} ms over {HEALTH_CALLS} calls"
        )
    assert median < HEALTH_MEDIAN_S, latencies
    assert [r.status_code for r in responses] == [200] * WAITING
    assert all(r.json()["extraction"] is not None for r in responses)
    assert waiter.waiting == 0


def test_wait_is_capped_by_the_settings(make_client: Any, settings: Settings) -> None:
    capped = settings.model_copy(update={"max_wait_s": 0.2})
    with make_client(defer=True, app_settings=capped) as client:
        started = time.monotonic()
        response = client.post("/v1/articles?wait=30", json={"text": "An article."})
    assert response.status_code == 202
    assert time.monotonic() - started < 5


def test_wait_above_600_is_refused(client: Any) -> None:
    response = client.post("/v1/articles?wait=601", json={"text": "An article."})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "wait"]
