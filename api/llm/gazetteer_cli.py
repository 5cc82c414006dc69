"""`wirecoder gazetteer build | place NAME`: the offline GeoNames gazetteer (api.llm.gazetteer)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from api.config import get_settings

gazetteer_app = typer.Typer(
    help="The offline GeoNames gazetteer: build it, look a place up.", no_args_is_help=True
)
console = Console()


@gazetteer_app.command("build")
def build_command() -> None:
    """Build the gazetteer file now (else it is built on the first lookup, ~5 s)."""
    from api.llm.gazetteer import build, gazetteer_path

    path = gazetteer_path(get_settings().cache_dir)
    if path.is_file():
        console.print(f"gazetteer already built: {path}")
        return
    started = time.perf_counter()
    build(path)
    console.print(f"built {path} in {time.perf_counter() - started:.1f} s")


@gazetteer_app.command("place")
def place_command(
    name: Annotated[str, typer.Argument(help="A place as an article writes it: Raqa.")],
    country: Annotated[
        list[str] | None, typer.Option("--country", help="ISO codes of the article's countries.")
    ] = None,
) -> None:
    """Resolve a place name as the enrichment would."""
    from api.llm.gazetteer import load_gazetteer

    found = load_gazetteer(get_settings().cache_dir).place(name, tuple(country or ()))
    if found is None:
        console.print(f"[yellow]{name}: not found[/yellow]")
        raise typer.Exit(1)
    console.print(found)
