"""scripts/worker_healthcheck.py: healthy only while a worker on this host renews its lease."""

from __future__ import annotations

import datetime as dt
import importlib.util
import socket
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import insert, update

from api.config import Settings
from api.db import make_engine, upgrade_database
from api.models import WorkerHeartbeat, utcnow

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "worker_healthcheck.py"
TABLE = WorkerHeartbeat.__table__  # type: ignore[attr-defined]


@pytest.fixture
def check(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("worker_healthcheck", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "get_settings", lambda: settings)
    upgrade_database(settings.resolved_database_url)
    return module


def _beat(settings: Settings, *, host: str, age_s: float, claimed_by: str | None = None) -> None:
    seen = utcnow() - dt.timedelta(seconds=age_s)
    engine = make_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(
            insert(TABLE).values(
                executor_id=f"{host}-1-abc",
                host=host,
                pid=1,
                started_at=seen,
                last_seen=seen,
                claimed_by=claimed_by,
            )
        )
    engine.dispose()


def test_healthy_only_with_a_fresh_lease_of_this_host(
    check: ModuleType, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check.main() == 1 and "holds no lease" in capsys.readouterr().out
    _beat(settings, host="another-host", age_s=0)
    assert check.main() == 1  # another container's worker does not make this one healthy
    _beat(settings, host=socket.gethostname(), age_s=settings.worker_lease_s + 30)
    assert check.main() == 1 and "old" in capsys.readouterr().out
    engine = make_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        conn.execute(update(TABLE).values(last_seen=utcnow()))
    engine.dispose()
    assert check.main() == 0 and "healthy" in capsys.readouterr().out


def test_a_claimed_lease_is_a_dead_workers(check: ModuleType, settings: Settings) -> None:
    _beat(settings, host=socket.gethostname(), age_s=0, claimed_by="someone-else")
    assert check.main() == 1


def test_no_database_is_unhealthy_without_the_url(
    check: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://wirecoder:planted-password@127.0.0.1:1/none"
    down = Settings(_env_file=None, database_url=url)
    monkeypatch.setattr(check, "get_settings", lambda: down)
    assert check.main() == 1
    assert "planted-password" not in capsys.readouterr().out
