"""`wirecoder keys create | list | revoke`: the API keys of api.auth, in the service's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from api.config import get_settings
from api.models import ApiKeyScope

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
console = Console(stderr=True)  # stdout carries only the new key


@contextmanager
def _session() -> Iterator[Session]:
    from api.db import engine_from_settings, upgrade_database

    settings = get_settings()
    upgrade_database(settings.resolved_database_url)
    engine = engine_from_settings(settings)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@keys_app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="Who holds the key (shown in reviews and logs).")],
    scope: Annotated[
        ApiKeyScope, typer.Option(help="read: GET; write: also submit and re-run; admin: all.")
    ] = ApiKeyScope.READ,
) -> None:
    """Make a key and print it once: only its hash is stored."""
    from api.auth import create_key

    with _session() as session:
        key, secret = create_key(session, name=name, scope=scope)
    console.print(
        f"key {key.id} for {key.name!r}, scope {key.scope}: shown once, store it now. "
        "Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
    )
    print(secret)


@keys_app.command("list")
def list_command() -> None:
    """Every key: holder, scope, first characters, when made, last used, revoked."""
    from api.auth import list_keys

    with _session() as session:
        keys = list_keys(session)
    table = Table("id", "name", "scope", "starts with", "created", "last used", "revoked")
    for key in keys:
        table.add_row(
            str(key.id),
            key.name,
            key.scope,
            key.prefix + "…",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke_command(
    key_id: Annotated[int, typer.Argument(help="The key's id (keys list).")],
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from api.auth import revoke_key

    with _session() as session:
        key = revoke_key(session, key_id)
    if key is None:
        console.print(f"no key {key_id}")
        raise typer.Exit(1)
    console.print(f"key {key.id} of {key.name!r} revoked")
