"""`wirecoder serve | worker | extract | ingest | db`: run the service and feed it articles."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer
from pydantic import ValidationError

from api.config import LLMBackend, Settings, get_settings

if TYPE_CHECKING:  # the service stack loads only when a command runs
    from api.jobs import JobContext, JobQueue
    from api.service import Rerun, Submission
    from schemas.api import ArticleIn

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)

# The seed articles' first line: " date 2017-10-17 AFP, AIN ISSA, Syria"
_SEED_HEADER = re.compile(r"^\s*date (\d{4}-\d{2}-\d{2})\s+([^,\n]+),\s*([^\n]*)$")


class _StderrLogger:
    """Prints to the sys.stderr of the moment: a logger cached with the stream of the time
    would write to a closed file once a test runner or CliRunner swapped it back."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = msg
    fatal = failure = err = error = critical = exception = msg


def configure_logging(level: str = "INFO") -> None:
    """structlog to stderr, so stdout stays clean for JSON output."""
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=lambda *_: _StderrLogger(),
        cache_logger_on_first_use=False,  # tests re-configure (capture_logs)
    )


# ---- serve / worker -------------------------------------------------------------------------


def start_default_local_model(settings: Settings) -> None:
    """The embedded default: with no other model configured, the local llama.cpp server is
    started (or found running) before the service takes articles."""
    if settings.llm_backend != LLMBackend.LOCAL or settings.llm_base_url:
        return
    from api.llm.local_server import ensure_local_server

    url = ensure_local_server(settings)
    structlog.get_logger("wirecoder.serve").info(
        "local_model_ready", model=settings.local_model, base_url=url
    )


def serve(
    host: Annotated[str | None, typer.Option(help="Default: WIRECODER_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: WIRECODER_PORT")] = None,
    log_level: str = "info",
) -> None:
    """Run the API (uvicorn). By default it also works the extraction queue."""
    import uvicorn

    configure_logging(log_level.upper())
    settings = get_settings()
    start_default_local_model(settings)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
    )


def worker(
    worker_id: Annotated[
        str | None,
        typer.Option(
            help="DBOS executor id; a restarted worker with the same id recovers "
            "its unfinished jobs. Default: this host's name."
        ),
    ] = None,
) -> None:
    """Work the extraction queue in this process (run the API with
    WIRECODER_RUN_WORKER_IN_API=false and share a PostgreSQL WIRECODER_DATABASE_URL)."""
    from api.db import is_sqlite
    from api.jobs import DBOSJobQueue

    configure_logging()
    log = structlog.get_logger("wirecoder.worker")
    settings = get_settings()
    if is_sqlite(settings.resolved_dbos_database_url):
        log.warning(
            "worker_on_sqlite",
            hint="only processes on this machine can share a SQLite queue; set "
            "WIRECODER_DATABASE_URL to PostgreSQL to spread work over hosts",
        )
    start_default_local_model(settings)
    from api.service import build_job_context

    queue = DBOSJobQueue(
        build_job_context(settings), work=True, executor_id=worker_id or socket.gethostname()
    )
    queue.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("worker_ready", queue=queue.name, executor_id=queue.executor_id)
    stop.wait()
    log.info("worker_stopping")
    queue.shutdown()


# ---- extract / ingest -----------------------------------------------------------------------


def read_article_file(path: Path) -> dict[str, Any]:
    """An article from a file: JSON with the POST /v1/articles fields, or plain text (whose
    first line may be the seed header `date YYYY-MM-DD SOURCE, DATELINE`)."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object with at least 'text'")
        return data
    first, _, rest = raw.partition("\n")
    match = _SEED_HEADER.match(first)
    if match:
        day, source, dateline = match.groups()
        return {
            "text": rest,
            "published_at": day,
            "source": source.strip(),
            "dateline": dateline.strip() or None,
        }
    return {"text": raw}


def _validated(data: dict[str, Any], settings: Settings, where: str) -> ArticleIn:
    from api.service import check_length
    from schemas.api import ArticleIn

    article = ArticleIn.model_validate(data)
    check_length(article, settings, where)
    return article


def _submit(ctx: JobContext, queue: JobQueue, article: ArticleIn, rerun: Rerun) -> Submission:
    from sqlmodel import Session

    from api.service import submit_article

    with Session(ctx.engine) as session:
        return submit_article(
            session=session,
            queue=queue,
            provenance=ctx.extractor.provenance,
            article_in=article,
            rerun=rerun,
        )


def extract(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    published_at: Annotated[str | None, typer.Option(help="YYYY-MM-DD, for every file")] = None,
    dateline: Annotated[str | None, typer.Option()] = None,
    source: Annotated[str | None, typer.Option()] = None,
    title: Annotated[str | None, typer.Option()] = None,
    rerun: Annotated[bool, typer.Option(help="Extract again even if already extracted")] = False,
) -> None:
    """Extract articles from files now, store them, and print the extractions as JSON."""
    from sqlmodel import Session

    from api import crud, presenters
    from api.jobs import InlineJobQueue
    from api.models import JobStatus
    from api.service import Rerun, build_job_context

    configure_logging("WARNING")
    settings = get_settings()
    ctx = build_job_context(settings)
    queue = InlineJobQueue(ctx)
    overrides = {
        k: v
        for k, v in {
            "published_at": published_at,
            "dateline": dateline,
            "source": source,
            "title": title,
        }.items()
        if v is not None
    }
    results = []
    all_succeeded = True
    for path in files:
        try:
            article = _validated({**read_article_file(path), **overrides}, settings, str(path))
        except (ValueError, ValidationError) as error:
            typer.echo(f"{path}: {error}", err=True)
            raise typer.Exit(2) from error
        job = _submit(ctx, queue, article, Rerun.ALWAYS if rerun else Rerun.UNSUCCESSFUL).job
        with Session(ctx.engine) as session:
            session.add(job)
            result: dict[str, Any] = {
                "file": str(path),
                "article_id": job.article_id,
                "job": presenters.job_public(job).model_dump(mode="json", exclude={"raw_outputs"}),
                "extraction": None,
            }
            if job.status == JobStatus.SUCCEEDED:
                rows = crud.extraction_rows(session=session, job=job)
                result["extraction"] = presenters.extraction_public(rows).model_dump(mode="json")
            else:
                all_succeeded = False
        results.append(result)
    typer.echo(
        json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False)
    )
    ctx.engine.dispose()
    if not all_succeeded:
        raise typer.Exit(1)


def ingest(
    corpus: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="JSON Lines: one article object per line",
        ),
    ],
    enqueue: Annotated[
        bool,
        typer.Option(help="Queue the jobs for `wirecoder worker`s instead of running them here"),
    ] = False,
    retry_invalid: Annotated[
        bool, typer.Option(help="Run again articles whose model answer was invalid")
    ] = False,
) -> None:
    """Extract a corpus. Resumable: articles already extracted are skipped."""
    from collections import Counter

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from api.jobs import DBOSJobQueue, InlineJobQueue
    from api.service import Rerun, build_job_context

    configure_logging("WARNING")
    console = Console(stderr=True)
    settings = get_settings()
    ctx = build_job_context(settings)
    queue: JobQueue
    if enqueue:
        dbos_queue = DBOSJobQueue(ctx, work=False)
        dbos_queue.start()
        queue = dbos_queue
    else:
        queue = InlineJobQueue(ctx)
    policy = Rerun.UNSUCCESSFUL if retry_invalid else Rerun.FAILED
    lines = corpus.read_text(encoding="utf-8").splitlines()
    counts: Counter[str] = Counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("extracting", total=len(lines))
        for number, line in enumerate(lines, start=1):
            progress.advance(task)
            if not line.strip():
                continue
            try:
                article = _validated(json.loads(line), settings, f"line {number}")
            except (ValueError, ValidationError) as error:
                counts["bad line"] += 1
                console.print(f"[yellow]line {number} skipped:[/] {str(error).splitlines()[0]}")
                continue
            done = _submit(ctx, queue, article, policy)
            if not done.queued:
                counts["skipped (already extracted)"] += 1
            else:
                counts["queued" if enqueue else done.job.status] += 1
            progress.update(task, description=f"extracting ({counts['succeeded']} succeeded)")
    queue.shutdown()
    ctx.engine.dispose()
    for outcome, count in sorted(counts.items()):
        console.print(f"{outcome}: {count}")


# ---- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Create or migrate the database (WIRECODER_DATABASE_URL; default a SQLite file)."""
    from api.db import current_revision, upgrade_database

    settings = get_settings()
    upgrade_database(settings.resolved_database_url, revision)
    typer.echo(f"database at revision {current_revision(settings.resolved_database_url)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's migration revision."""
    from api.db import current_revision

    typer.echo(current_revision(get_settings().resolved_database_url) or "empty")


def register(app: typer.Typer) -> None:
    """Add serve, worker, extract, ingest and db to the `wirecoder` command."""
    app.command()(serve)
    app.command()(worker)
    app.command()(extract)
    app.command()(ingest)
    app.add_typer(db_app, name="db")
