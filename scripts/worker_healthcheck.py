"""A container's health check for `wirecoder worker` (compose.yaml): exit 0 when a worker on
this host holds a live lease, 1 when not.

A worker has no HTTP port to ask. What tells a live one from a stuck or dead one is its row in
`worker_heartbeat`, renewed every WIRECODER_WORKER_HEARTBEAT_S; a row older than
WIRECODER_WORKER_LEASE_S, or claimed by another worker, is a dead worker's (api/workers.py).
Ages are judged by the database's clock on PostgreSQL, as the leases themselves are.

    python scripts/worker_healthcheck.py
"""

from __future__ import annotations

import datetime as dt
import socket
import sys

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from api.config import get_settings
from api.db import make_engine
from api.models import WorkerHeartbeat, utcnow


def lease_age_s(host: str) -> float | None:
    """Seconds since a worker on `host` last renewed an unclaimed lease; None if it holds none."""
    settings = get_settings()
    table = WorkerHeartbeat.__table__  # type: ignore[attr-defined]
    engine = make_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            now = utcnow() if sqlite else conn.execute(select(func.now())).scalar_one()
            seen = conn.execute(
                select(func.max(table.c.last_seen)).where(
                    table.c.host == host, table.c.claimed_by.is_(None)
                )
            ).scalar_one()
    finally:
        engine.dispose()
    if seen is None:
        return None
    aware = [t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (now, seen)]
    return (aware[0] - aware[1]).total_seconds()


def main() -> int:
    host = socket.gethostname()
    try:
        age = lease_age_s(host)
    except SQLAlchemyError as error:  # its class only: a driver's message may quote the URL
        print(f"unhealthy: the database did not answer ({type(error).__name__})")
        return 1
    lease_s = get_settings().worker_lease_s
    if age is None or age > lease_s:
        held = "no lease" if age is None else f"a lease {age:.1f} s old"
        print(f"unhealthy: {host} holds {held} (WIRECODER_WORKER_LEASE_S={lease_s})")
        return 1
    print(f"healthy: {host} renewed its lease {age:.1f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
