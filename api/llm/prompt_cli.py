"""`wirecoder prompt …`: list the prompt versions, release one (write its sha256 to the lock)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.llm.prompts import (
    LOCK_FILE_NAME,
    PROMPTS_DIR,
    PromptIntegrityError,
    load_prompt,
    prompt_file_name,
    prompt_files,
    read_lock,
)

prompt_app = typer.Typer(
    help="Prompt versions: list them, release one (frozen from then on).", no_args_is_help=True
)
console = Console()


def release_prompt(prompt_id: str, version: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    """Freeze `{prompt_id}_{version}.jinja`: check it declares a known pipeline and has every
    block that pipeline renders, then write its sha256 to the lock. Returns a line to print;
    raises PromptIntegrityError for a prompt that cannot be released."""
    from api.llm.pipelines import pipeline_for

    name = prompt_file_name(prompt_id, version)
    prompt = load_prompt(prompt_id, version, prompts_dir=prompts_dir)  # refuses a changed one
    factory = pipeline_for(prompt)
    lock = read_lock(prompts_dir)
    if lock.get(name) == prompt.ref.sha256:
        return f"{name} is already released ({prompt.ref.sha256[:12]})"
    lock[name] = prompt.ref.sha256
    lock_path = prompts_dir / LOCK_FILE_NAME
    lock_path.write_text(json.dumps(dict(sorted(lock.items())), indent=2) + "\n", "utf-8")
    return (
        f"released {name} (pipeline {factory.name}, sha256 {prompt.ref.sha256[:12]}): "
        f"commit it with {lock_path}"
    )


@prompt_app.command("release")
def release(
    version: Annotated[str, typer.Argument(help="The version to release, e.g. v3.")],
    prompt_id: Annotated[str, typer.Option("--id", help="The prompt id.")] = "extract",
) -> None:
    """Freeze prompts/{id}_{version}.jinja: it must declare a known pipeline and have every
    block that pipeline renders; its sha256 goes into prompts/prompts.lock."""
    try:
        console.print(release_prompt(prompt_id, version))
    except PromptIntegrityError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None


@prompt_app.command("list")
def list_prompts() -> None:
    """Every prompt file, its pipeline, and whether it is released."""
    lock = read_lock()
    table = Table()
    for column in ("file", "pipeline", "released", "sha256"):
        table.add_column(column)
    for path in prompt_files():
        prompt_id, _, version = path.stem.rpartition("_")
        try:
            prompt = load_prompt(prompt_id, version)
            pipeline, digest = prompt.pipeline, prompt.ref.sha256
        except PromptIntegrityError as error:
            pipeline, digest = f"[red]{error}[/red]", ""
        released = "yes" if lock.get(path.name) == digest else "draft"
        table.add_row(path.name, pipeline, released, digest[:12])
    console.print(table)
