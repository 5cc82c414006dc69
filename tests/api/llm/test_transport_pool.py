"""The model connection pool holds a connection for every job a process may run at once."""

from __future__ import annotations

from api.config import Settings
from api.llm.transport import pool_limits


def test_the_pool_keeps_a_connection_alive_for_every_concurrent_job(settings: Settings) -> None:
    assert pool_limits(settings).max_keepalive_connections == 20  # httpx's default, at least
    wide = settings.model_copy(update={"queue_concurrency": 64})
    assert (pool_limits(wide).max_keepalive_connections, pool_limits(wide).max_connections) == (
        64,
        100,
    )
    shared = wide.model_copy(update={"queue_worker_concurrency": 32})  # one worker's share
    assert pool_limits(shared).max_keepalive_connections == 32
