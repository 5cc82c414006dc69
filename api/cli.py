"""The `wirecoder` command line. Sub-commands live beside what they drive and register here."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# Sub-commands by name: (module, what it exports: a sub-app, a command, or `register(app)`).
# Imported when that command runs or help lists it, so `wirecoder eval run` does not import
# the database, the key store or the model tooling it never uses.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "model": ("api.llm.model_cli", "model_app"),
    "prompt": ("api.llm.prompt_cli", "prompt_app"),
    "gazetteer": ("api.llm.gazetteer_cli", "gazetteer_app"),
    "eval": ("evals.cli", "eval_app"),
    "keys": ("api.keys_cli", "keys_app"),
    **dict.fromkeys(("serve", "worker", "extract", "ingest", "db"), ("api.serve_cli", "register")),
    "demo": ("api.demo_cli", "demo"),  # the first try, on the replay backend
}


class LazyCommands(TyperGroup):
    """The `wirecoder` group, importing a sub-command's module only when it is asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, name = LAZY_COMMANDS[cmd_name]
            export = getattr(importlib.import_module(module), name)
            holder = typer.Typer()
            if isinstance(export, typer.Typer):
                holder.add_typer(export, name=cmd_name)
            elif name == "register":
                export(holder)
            else:
                holder.command()(export)
            holder.callback()(lambda: None)  # a group even when it holds one command
            command = typer.main.get_group(holder).get_command(ctx, cmd_name)
            if command is not None:
                self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyCommands,
    help="wirecoder: news articles in, grounded events, actors and quotes out.",
    no_args_is_help=True,
    # a crash's traceback would print every frame's variables: the model client's API key
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _wirecoder() -> None:
    """wirecoder: news articles in, grounded events, actors and quotes out."""


# Sub-commands register in LAZY_COMMANDS above (one line each): model, prompt, eval, db, ...
