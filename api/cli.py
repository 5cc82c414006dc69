"""The `wirecoder` command line. Sub-commands live beside what they drive and register here."""

from __future__ import annotations

import typer

from api.demo_cli import demo
from api.keys_cli import keys_app
from api.llm.gazetteer_cli import gazetteer_app
from api.llm.model_cli import model_app
from api.llm.prompt_cli import prompt_app
from api.serve_cli import register as register_service_commands
from evals.cli import eval_app

app = typer.Typer(
    help="wirecoder: news articles in, grounded events, actors and quotes out.",
    no_args_is_help=True,
    # a crash's traceback would print every frame's variables: the model client's API key
    pretty_exceptions_show_locals=False,
)

# Sub-apps register below (one line each): model, prompt, gazetteer, eval, db, ...

app.add_typer(model_app, name="model")
app.add_typer(prompt_app, name="prompt")
app.add_typer(gazetteer_app, name="gazetteer")
app.add_typer(eval_app, name="eval")
app.add_typer(keys_app, name="keys")
register_service_commands(app)  # serve, worker, extract, ingest, db
app.command()(demo)  # the first try, on the replay backend
