"""Time storing extractions: `store_outcome` (the job's final status and all its rows, one
transaction) on a fresh SQLite file, and on PostgreSQL when a URL is given.

    python benchmarks/storage_writes.py [--articles 200] [--database-url postgresql://...]

The extractions are real: the replay backend runs the pipeline once on the gold articles (on
their recorded model answers). Article n stores gold article n mod 25 (its text made unique past
the first round, so every store is a new job meeting actors already known, as in a backfill).
Only `store_outcome` is timed; one untimed store first warms the statement caches. PostgreSQL
gets a scratch schema, dropped afterwards. `--articles 5` is the smoke run.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from api import crud, extraction_store
from api.config import LLMBackend, Settings
from api.db import make_engine, upgrade_database
from api.extraction_store import store_outcome
from api.llm import build_extractor
from evals.gold import load_gold
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus


@dataclass
class Article:
    text: str
    input: ArticleInput
    outcome: ExtractionOutcome


def gold_extractions(data_dir: Path, limit: int) -> list[Article]:
    """The first `limit` gold articles (at most all of them) with their replayed outcomes."""
    settings = Settings(_env_file=None, data_dir=data_dir, llm_backend=LLMBackend.REPLAY)
    extractor = build_extractor(settings)
    articles = []
    for case in load_gold()[:limit]:
        article_in = ArticleInput.of(case)
        outcome = extractor.extract(article_in)
        if outcome.status != OutcomeStatus.SUCCEEDED:
            raise SystemExit(f"replaying gold article {case.id} did not succeed: {outcome.error}")
        articles.append(Article(text=case.text, input=article_in, outcome=outcome))
    return articles


@dataclass
class Tally:
    """What the database saw while `counting` (statements by verb, ORM flushes)."""

    counting: bool = False
    statements: Counter[str] = field(default_factory=Counter)
    flushes: int = 0

    def watch(self, engine: Engine) -> None:
        def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if self.counting:
                self.statements[statement.lstrip().split(None, 1)[0].upper()] += 1

        def on_flush(*_args: Any) -> None:
            if self.counting:
                self.flushes += 1

        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(OrmSession, "after_flush", on_flush)


@dataclass
class Result:
    database: str
    wall_ms: list[float]
    cpu_ms: list[float]
    tally: Tally


def _job(engine: Engine, text: str, extractor_provenance: Any) -> int:
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=text)
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=extractor_provenance
        )
        assert job.id is not None
        return job.id


def store_all(database: str, url: str, articles: list[Article], count: int) -> Result:
    upgrade_database(url)
    engine = make_engine(url)
    tally = Tally()
    tally.watch(engine)
    wall, cpu = [], []
    try:
        for n in range(-1, count):  # n = -1: the untimed warm-up store
            article = articles[n % len(articles)]
            text = article.text if 0 <= n < len(articles) else f"{article.text}\n\nReport {n}."
            outcome = article.outcome
            job_id = _job(engine, text, outcome.provenance)
            tally.counting = n >= 0
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            store_outcome(engine, job_id=job_id, outcome=outcome, final=True)
            if n >= 0:
                wall.append((time.perf_counter() - wall_start) * 1000)
                cpu.append((time.process_time() - cpu_start) * 1000)
            tally.counting = False
    finally:
        engine.dispose()
    return Result(database, wall, cpu, tally)


@contextmanager
def postgres_scratch_schema(url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema; the schema is dropped on exit."""
    import psycopg

    parsed = make_url(url)
    admin = psycopg.connect(
        parsed.set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    )
    schema = f"wc_bench_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = parsed.update_query_dict(
            {"options": f"-csearch_path={schema}", "application_name": schema}
        )
        yield scoped.render_as_string(hide_password=False)
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (schema,),
        )
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def report(result: Result) -> str:
    n = len(result.wall_ms)
    verbs = ", ".join(f"{v} {c / n:.1f}" for v, c in sorted(result.tally.statements.items()))
    return (
        f"{result.database:<11}"
        f"{statistics.fmean(result.wall_ms):>9.2f}{statistics.median(result.wall_ms):>9.2f}"
        f"{statistics.fmean(result.cpu_ms):>9.2f}"
        f"{result.tally.statements.total() / n:>12.1f}{result.tally.flushes / n:>9.1f}   {verbs}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200, help="extractions stored per DB")
    parser.add_argument("--database-url", help="also on this PostgreSQL (a scratch schema)")
    args = parser.parse_args()
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    # the pipeline logs every extraction at info: keep the figures readable
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory(prefix="wirecoder-storage-") as tmp:
        articles = gold_extractions(Path(tmp), args.articles)
        rows = Counter[str]()
        for article in articles:
            extraction = article.outcome.result
            assert extraction is not None
            rows.update(actors=len(extraction.actors), events=len(extraction.events))
            rows.update(quotes=len(extraction.quotes))
        print(
            f"storage_writes: {args.articles} articles from {len(articles)} gold extractions "
            f"(per gold article: {rows['actors'] / len(articles):.1f} actors, "
            f"{rows['events'] / len(articles):.1f} events, "
            f"{rows['quotes'] / len(articles):.1f} quotes)"
        )
        print(f"code: {Path(extraction_store.__file__).parent.parent}")  # which checkout ran
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        results = [store_all("sqlite", sqlite_url, articles, args.articles)]
        if args.database_url:
            with postgres_scratch_schema(args.database_url) as url:
                results.append(store_all("postgresql", url, articles, args.articles))
    print(f"{'':<11}{'wall ms/article':>18}{'cpu ms':>9}{'statements':>12}{'flushes':>9}")
    print(f"{'database':<11}{'mean':>9}{'median':>9}{'mean':>9}{'/article':>12}{'/article':>9}")
    for result in results:
        print(report(result))
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
