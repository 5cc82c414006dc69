"""The database engine and schema migrations: SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from api.config import Settings

ALEMBIC_DIR = Path(__file__).resolve().parent / "alembic"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalize_database_url(url: str) -> str:
    """PostgreSQL URLs use the psycopg 3 driver whatever scheme the user wrote."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; a SQLite file's folder is created if missing."""
    url = normalize_database_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # API threads, the DBOS worker thread and the CLI share one file.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers are not blocked by the writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def engine_from_settings(settings: Settings) -> Engine:
    return make_engine(settings.resolved_database_url)


def alembic_config(url: str) -> Any:
    """Alembic's config pointing at the packaged migrations, independent of the cwd."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["database_url"] = normalize_database_url(url)
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    from alembic import command

    if is_sqlite(url):
        make_engine(url).dispose()  # creates the data folder
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration the package carries."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
