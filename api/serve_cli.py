"""`wirecoder serve | worker | extract | ingest | db`: run the service and feed it articles."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer
from pydantic import ValidationError

from api.config import LLMBackend, Settings, get_settings
from api.logs import configure_logging

if TYPE_CHECKING:  # the service stack loads only when a command runs
    from api.jobs import JobContext, JobQueue
    from api.service import Rerun, Submission
    from schemas.api import ArticleIn

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)

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
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Worker processes to start beside the API, sharing its queue (SQLite or "
            "PostgreSQL); the API then only enqueues. 0: the API works the queue itself. "
            "Default: WIRECODER_WORKERS",
        ),
    ] = None,
    log_level: str = "info",
) -> None:
    """Run the API (uvicorn). By default it also works the extraction queue; with --workers N,
    N `wirecoder worker` processes do, started, restarted and stopped (SIGINT / SIGTERM) with
    it."""
    # the app reads its settings again: what it allows anonymous callers depends on the host
    for name, value in (
        ("WIRECODER_HOST", host),
        ("WIRECODER_PORT", port),
        ("WIRECODER_WORKERS", workers),
    ):
        if value is not None:
            os.environ[name] = str(value)
    get_settings.cache_clear()
    configure_logging(log_level.upper())
    settings = get_settings()
    if settings.workers > 0:
        _serve_with_workers(settings, log_level)
        return
    if settings.run_worker_in_api:  # an API that only enqueues never calls the model
        start_default_local_model(settings)
    _run_api(settings, log_level)


def _run_api(settings: Settings, log_level: str) -> None:
    import uvicorn

    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        log_config=None,  # uvicorn's lines go through our handlers: one format, redacted
    )


class _StopSignal(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stop(signum: int, _frame: object) -> None:
    raise _StopSignal(signum)


def _serve_with_workers(settings: Settings, log_level: str) -> None:
    """The API that only enqueues, and `settings.workers` worker processes. Uvicorn shuts down
    on SIGINT / SIGTERM, then raises the signal again through the handler it found: ours,
    which stops the workers before this process ends by that signal."""
    from api.worker_pool import WorkerPool, prepare_shared_databases, worker_environment

    os.environ.update(worker_environment(settings, settings.workers))
    get_settings.cache_clear()
    settings = get_settings()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = WorkerPool(settings.workers, grace_s=settings.worker_lease_s + 10.0)
    stopped_by: int | None = None
    try:
        start_default_local_model(settings)  # once here, before the workers look for it
        prepare_shared_databases(settings)
        pool.start()
        _run_api(settings, log_level)
    except _StopSignal as stop:
        stopped_by = stop.signum
    finally:
        pool.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopped_by is not None:
        signal.raise_signal(stopped_by)  # end as the signal asked (SIGINT: KeyboardInterrupt)


def worker(
    worker_id: Annotated[
        str | None,
        typer.Option(
            help="DBOS executor id, unique to each worker. Default: host-pid-random; a "
            "dead worker's jobs are taken over by a live one whatever its id."
        ),
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when this process is gone (`serve --workers`)"),
    ] = None,
) -> None:
    """Work the extraction queue in this process (run the API with
    WIRECODER_RUN_WORKER_IN_API=false and share a PostgreSQL WIRECODER_DATABASE_URL). It holds
    a lease renewed every WIRECODER_WORKER_HEARTBEAT_S; the jobs of a worker whose lease is
    older than WIRECODER_WORKER_LEASE_S are taken over by a live one (api/workers.py)."""
    from api.db import is_sqlite
    from api.jobs import DBOSJobQueue

    configure_logging()
    log = structlog.get_logger("wirecoder.worker")
    settings = get_settings()
    if is_sqlite(settings.resolved_dbos_database_url) and parent_pid is None:
        log.warning(
            "worker_on_sqlite",
            hint="only processes on this machine can share a SQLite queue; set "
            "WIRECODER_DATABASE_URL to PostgreSQL to spread work over hosts",
        )
    start_default_local_model(settings)
    from api.service import build_job_context

    queue = DBOSJobQueue(build_job_context(settings), work=True, executor_id=worker_id)
    queue.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("worker_ready", queue=queue.name, executor_id=queue.executor_id)
    while not stop.wait(1.0):
        if parent_pid is not None and os.getppid() != parent_pid:  # orphaned: serve is gone
            log.warning("worker_parent_gone", parent_pid=parent_pid)
            break
    log.info("worker_stopping")
    queue.shutdown()


# ---- extract / ingest -----------------------------------------------------------------------


def read_article_file(path: Path) -> dict[str, Any]:
    """An article from a file: JSON with the POST /v1/articles fields, or plain text, all of
    it the article's text. A dateline header opening it is read by ArticleIn, as the API
    reads it: the same file posted or extracted here is the same article."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object with at least 'text'")
        return data
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
    """Extract articles from files now, store them, and print the extractions as JSON.

    Exit codes: 0 every article succeeded; 1 an extraction failed or was invalid (its job is
    printed all the same); 2 a file is not an article (nothing after it is extracted).
    """
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
    """Extract a corpus. Resumable: articles already extracted are skipped (failed ones are
    run again). Ends with a summary on stderr: succeeded, failed, invalid, skipped, and the
    bad lines with their numbers and the fields at fault.

    Exit codes: 0 every line was extracted, queued or already done; 1 an article failed or
    was invalid, or a line was bad (not JSON, or not a valid article); 2 bad usage or a file
    that is not UTF-8.
    """
    from rich.console import Console

    from api.ingest import Submitted, ingest_lines, new_progress, print_summary
    from api.jobs import DBOSJobQueue, InlineJobQueue
    from api.service import Rerun, build_job_context

    configure_logging("WARNING")
    console = Console(stderr=True)
    try:
        lines = corpus.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        typer.echo(f"{corpus}: not UTF-8 text ({error})", err=True)
        raise typer.Exit(2) from error
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

    def submit(article: ArticleIn) -> Submitted:
        done = _submit(ctx, queue, article, policy)
        if not done.queued:
            return Submitted(status=str(done.job.status), ran=False)
        # inline, the job has finished by now; enqueued, a worker will run it
        return Submitted(status="queued" if enqueue else str(done.job.status), ran=True)

    try:
        with new_progress(console) as progress:
            tally = ingest_lines(
                lines,
                validate=lambda data: _validated(data, settings, "text"),
                submit=submit,
                progress=progress,
                description="queueing" if enqueue else "extracting",
            )
    finally:
        queue.shutdown()
        ctx.engine.dispose()
    print_summary(tally, console, source=corpus.name)
    raise typer.Exit(tally.exit_code)


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
