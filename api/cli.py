"""The `wirecoder` command line. Sub-commands live beside what they drive and register here."""

from __future__ import annotations

import typer

app = typer.Typer(help="wirecoder: news articles in, grounded events, actors and quotes out.",
                  no_args_is_help=True)

# Sub-apps register below (one line each): model, eval, db, ...
