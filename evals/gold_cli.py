"""`wirecoder eval gold export`: reviewed articles from the service's database as gold files
(evals/gold_export.py); `wirecoder eval run --gold DIR` scores against such a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.config import Settings

gold_app = typer.Typer(help="Gold files from reviewed articles.", no_args_is_help=True)
notes = Console(stderr=True)


@gold_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="Folder to write the gold files into.")],
    article_ids: Annotated[
        list[int] | None,
        typer.Option("--article", min=1, help="Only these article ids (repeatable)."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="The split the cases are labelled: dev or test.")
    ] = "dev",
) -> None:
    """Write every reviewed article (or those given) as a gold file, offsets checked; exits 1
    when an article could not be written (each says why), 2 on bad usage."""
    if split not in ("dev", "test"):
        notes.print(f"[red]error:[/red] unknown split {split!r}: use dev or test")
        raise typer.Exit(code=2)
    # the database stack loads only for this command, not for every `wirecoder eval` one
    from sqlmodel import Session

    from api.db import engine_from_settings, upgrade_database
    from evals.gold_export import export_gold

    settings = Settings()
    upgrade_database(settings.resolved_database_url)
    engine = engine_from_settings(settings)
    try:
        with Session(engine) as session:
            written, problems = export_gold(
                session, out, article_ids, split="dev" if split == "dev" else "test"
            )
    finally:
        engine.dispose()
    for item in written:
        print(f"article {item.article_id}: {item.path}")
    for problem in problems:
        notes.print(f"[red]not exported:[/red] {problem}", soft_wrap=True)
    if not written and not problems:
        notes.print("no reviewed articles to export")
    notes.print(f"{len(written)} gold files in {out}")
    if problems:
        raise typer.Exit(code=1)
