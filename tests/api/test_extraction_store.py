"""Storage on SQLite and PostgreSQL: migrations, dedup keys, one-transaction writes, actors."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, col, func, select

from api import browse, crud, extraction_store
from api.db import make_engine, upgrade_database
from api.models import (
    ActorAlias,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    JobStatus,
    Quote,
)
from schemas.contract import ArticleInput, ExtractionOutcome
from schemas.extraction import ActorKind
from schemas.grounded import GroundedActor, GroundedExtraction


def _count(session: Session, model: Any) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_alembic_upgrade_creates_exactly_the_models_tables(db_url: str) -> None:
    upgrade_database(db_url)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert diff == []
    assert tables == set(SQLModel.metadata.tables) | {"alembic_version"}


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade_database(db_url)
    upgrade_database(db_url)


def test_same_normalised_text_is_one_article(engine: Any, seed: Any) -> None:
    with Session(engine) as session:
        first, created = crud.get_or_create_article(session=session, text=seed.text)
        again, created_again = crud.get_or_create_article(
            session=session, text="  " + seed.text.replace(" ", "  ", 3) + "\n\n"
        )
    assert created and not created_again
    assert first.id == again.id


def test_job_key_changes_with_prompt_version_and_model(
    engine: Any, seed: Any, make_fake_extractor: Any
) -> None:
    v1, v2 = make_fake_extractor(), make_fake_extractor(prompt_version="v2")
    other_model = make_fake_extractor(model="another-model")
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=seed.text)
        job, created = crud.get_or_create_job(
            session=session, article=article, provenance=v1.provenance
        )
        same, created_same = crud.get_or_create_job(
            session=session, article=article, provenance=v1.provenance
        )
        new_prompt, _ = crud.get_or_create_job(
            session=session, article=article, provenance=v2.provenance
        )
        new_model, _ = crud.get_or_create_job(
            session=session, article=article, provenance=other_model.provenance
        )
        assert created and not created_same and same.id == job.id
        assert len({job.extraction_key, new_prompt.extraction_key, new_model.extraction_key}) == 3
        assert job.workflow_id == job.extraction_key


def _stored_job(engine: Any, seed_text: str, extractor: Any) -> tuple[int, ExtractionOutcome]:
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=seed_text)
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=extractor.provenance
        )
        assert job.id is not None
        outcome = extractor.extract(ArticleInput.of(article))
        extraction_store.record_outcome(session=session, job_id=job.id, outcome=outcome, final=True)
        return job.id, outcome


def test_succeeded_outcome_is_stored_with_offsets(
    engine: Any, seed: Any, fake_extractor: Any
) -> None:
    job_id, outcome = _stored_job(engine, seed.text, fake_extractor)
    assert outcome.result is not None
    with Session(engine) as session:
        job = session.get_one(ExtractionJob, job_id)
        rows = crud.extraction_rows(session=session, job=job)
        article_text = session.exec(select(crud.Article.text)).one()
    assert job.status == JobStatus.SUCCEEDED and job.is_current and job.finished_at
    assert (job.attempts, job.prompt_tokens, job.completion_tokens) == (1, 1000, 200)
    assert len(rows.actors) == len(outcome.result.actors)
    assert len(rows.events) == len(outcome.result.events)
    assert len(rows.quotes) == len(outcome.result.quotes)
    for quote in rows.quotes:
        span = quote.span
        assert span is not None and span["start"] is not None and span["end"] is not None
        assert article_text[span["start"] : span["end"]] == quote.text
    for event in rows.events:
        span = event.evidence_span
        assert span is not None and span["start"] is not None and span["end"] is not None
        assert article_text[span["start"] : span["end"]] == event.evidence
    sello = next(a for a in rows.actors if a.name == "Talal Sello")
    assert all(article_text[m["start"] : m["end"]] == m["text"] for m in sello.mentions)
    assert {ea.role for eas in rows.event_actors.values() for ea in eas} == {"source", "target"}
    assert all(ea.canonical_actor_id for eas in rows.event_actors.values() for ea in eas)


def test_actors_resolve_to_one_canonical_actor_across_articles(
    engine: Any, seed: Any, fake_extractor: Any
) -> None:
    _stored_job(engine, seed.text, fake_extractor)
    _stored_job(engine, seed.text + "\n\nA second article about the SDF.", fake_extractor)
    with Session(engine) as session:
        assert _count(session, ArticleActor) == 14
        assert _count(session, CanonicalActor) == 7
        sdf = browse.canonical_ids_for_name(session=session, name="sdf")
        assert sdf == browse.canonical_ids_for_name(
            session=session, name="Syrian Democratic Forces"
        )
        aliases = set(session.exec(select(ActorAlias.alias)).all())
    assert {"SDF", "RCC", "IS", "Syrian Democratic Forces"} <= aliases
    # descriptions are not names to share across articles
    assert not {"coalition", "US-backed forces"} & aliases


def test_failure_mid_write_leaves_no_partial_rows(
    engine: Any, seed: Any, fake_extractor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full while writing quotes")

    monkeypatch.setattr(extraction_store, "_insert_quotes", broken)
    with pytest.raises(RuntimeError):
        _stored_job(engine, seed.text, fake_extractor)
    with Session(engine) as session:
        job = session.exec(select(ExtractionJob)).one()
        assert job.status == JobStatus.QUEUED and not job.is_current and job.attempts == 0
        for model in (ArticleActor, Event, EventActor, Quote, CanonicalActor, ActorAlias):
            assert _count(session, model) == 0, model


def test_rerun_replaces_rows_of_the_same_job(engine: Any, seed: Any, fake_extractor: Any) -> None:
    job_id, _ = _stored_job(engine, seed.text, fake_extractor)
    with Session(engine) as session:
        job = crud.requeue_job(session=session, job=session.get_one(ExtractionJob, job_id))
        assert job.status == JobStatus.QUEUED and job.workflow_id.endswith(".2")
        outcome = fake_extractor.extract(
            ArticleInput.of(session.get_one(crud.Article, job.article_id))
        )
        extraction_store.record_outcome(session=session, job_id=job_id, outcome=outcome, final=True)
        assert _count(session, Event) == 4
        assert _count(session, Quote) == 5


def test_failed_try_accumulates_usage_until_final(
    engine: Any, seed: Any, make_fake_extractor: Any
) -> None:
    extractor = make_fake_extractor(script=["failed", "invalid"])
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=seed.text)
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=extractor.provenance
        )
        assert job.id is not None
        first = extractor.extract(ArticleInput.of(article))
        extraction_store.record_outcome(session=session, job_id=job.id, outcome=first, final=False)
        assert session.get_one(ExtractionJob, job.id).status == JobStatus.QUEUED
        second = extractor.extract(ArticleInput.of(article))
        job = extraction_store.record_outcome(
            session=session, job_id=job.id, outcome=second, final=False
        )
    assert job.status == JobStatus.INVALID
    assert job.attempts == 4 and job.prompt_tokens == 4000
    assert len(job.raw_outputs) == 3 and "not in the article" in (job.error or "")
    with Session(engine) as session:
        assert _count(session, Event) == 0


def test_current_extraction_is_the_latest_succeeded(
    engine: Any, seed: Any, make_fake_extractor: Any
) -> None:
    old_id, _ = _stored_job(engine, seed.text, make_fake_extractor())
    new_id, _ = _stored_job(engine, seed.text, make_fake_extractor(prompt_version="v2"))
    with Session(engine) as session:
        old, new = session.get_one(ExtractionJob, old_id), session.get_one(ExtractionJob, new_id)
        assert new.is_current and not old.is_current
        assert _count(session, Event) == 8  # the old extraction is kept
        events, total = browse.list_events(session=session, filters=browse.EventFilters(), limit=50)
        assert total == 4 and {e.job_id for e in events} == {new_id}


def test_event_filters(engine: Any, seed: Any, fake_extractor: Any) -> None:
    _stored_job(engine, seed.text, fake_extractor)

    def total(**filters: Any) -> int:
        with Session(engine) as session:
            return browse.list_events(
                session=session, filters=browse.EventFilters(**filters), limit=50
            )[1]

    assert total() == 4
    assert total(event_type="assault") == 1
    assert total(mode="evacuation") == 1
    assert total(status="planned") == 1
    assert total(actor="RCC") == 2
    assert total(actor="RCC", role="target") == 0
    assert total(actor="Islamic State", role="target") == 3
    assert total(location="raqa") == 4
    assert total(location="Mosul") == 0
    import datetime as dt

    assert total(since=dt.date(2017, 10, 15)) == 3
    assert total(until=dt.date(2017, 10, 14)) == 1


def test_concurrent_jobs_sharing_new_actors_all_succeed(
    engine: Any, settings: Any, seed: Any, fake_extractor: Any
) -> None:
    """8 articles meeting the same 7 new actors, stored 4 at a time: the canonical actors and
    aliases are inserted once (ON CONFLICT), and no job fails on a unique key (issue 8)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from api.jobs import JobContext, run_job

    articles, concurrency = 8, 4
    barrier = Barrier(concurrency)

    class InStep:  # every store of a round starts at once: the race, every time
        provenance = fake_extractor.provenance

        def extract(self, article: ArticleInput) -> ExtractionOutcome:
            outcome = fake_extractor.extract(article)
            barrier.wait(timeout=30)
            return outcome

    ctx = JobContext(engine=engine, extractor=InStep(), settings=settings)
    job_ids = []
    with Session(engine) as session:
        for n in range(articles):
            text = f"{seed.text}\n\nReport {n} on the same fighting."
            article, _ = crud.get_or_create_article(session=session, text=text)
            job, _ = crud.get_or_create_job(
                session=session, article=article, provenance=fake_extractor.provenance
            )
            job_ids.append(job.id)
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(
            pool.map(lambda job_id: run_job(ctx, job_id, sleep=lambda _s: None), job_ids)
        )
    with Session(engine) as session:
        jobs = session.exec(select(ExtractionJob)).all()
        errors = [job.error for job in jobs if job.error]
        assert statuses == [JobStatus.SUCCEEDED] * articles, errors
        assert all(job.job_attempts == 1 for job in jobs)
        assert _count(session, CanonicalActor) == 7
        assert _count(session, ArticleActor) == 7 * articles
        keys = session.exec(select(ActorAlias.alias_key)).all()
        assert len(keys) == len(set(keys))


def test_a_storage_error_a_retry_can_fix_is_retried_not_a_failed_job(
    engine: Any, settings: Any, seed: Any, fake_extractor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from api.jobs import JobContext, run_job

    real, calls = extraction_store.record_outcome, []

    def locked_once(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, Exception("database is locked"))
        return real(**kwargs)

    monkeypatch.setattr(extraction_store, "record_outcome", locked_once)
    monkeypatch.setattr(extraction_store, "wait_random_exponential", lambda **_: lambda _s: 0)
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=seed.text)
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=fake_extractor.provenance
        )
    ctx = JobContext(engine=engine, extractor=fake_extractor, settings=settings)
    assert job.id is not None
    assert run_job(ctx, job.id, sleep=lambda _s: None) == JobStatus.SUCCEEDED
    with Session(engine) as session:
        stored = session.get_one(ExtractionJob, job.id)
    assert len(calls) == 2 and stored.error is None and stored.attempts == 1


# ---- bulk writes (issue 9) ------------------------------------------------------------------


class _Tally:
    """Statements (INSERTs by table) and ORM flushes while `on`."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session as OrmSession

        self.on, self.statements, self.flushes = False, 0, 0
        self.inserts: Counter[str] = Counter()

        def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            if self.on:
                self.statements += 1
                if match := re.match(r"\s*INSERT INTO (\w+)", sql):
                    self.inserts[match[1]] += 1

        def flush(*_args: Any) -> None:
            self.flushes += self.on

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(OrmSession, "after_flush", flush)
        self.forget = lambda: event.remove(OrmSession, "after_flush", flush)


def _new_job(engine: Any, text: str, extractor: Any) -> tuple[int, ExtractionOutcome]:
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(session=session, text=text)
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=extractor.provenance
        )
        assert job.id is not None
        return job.id, extractor.extract(ArticleInput.of(article))


def test_an_extraction_is_one_insert_per_table_and_one_flush(
    engine: Any, seed: Any, fake_extractor: Any
) -> None:
    tally, inserted = _Tally(engine), []
    try:
        for text in (seed.text, seed.text + "\n\nThe same actors again."):
            job_id, outcome = _new_job(engine, text, fake_extractor)
            tally.on = True
            extraction_store.store_outcome(engine, job_id=job_id, outcome=outcome, final=True)
            tally.on = False
            assert tally.flushes == 1  # the job's status, usage and is_current: one UPDATE
            assert max(tally.inserts.values()) == 1, tally.inserts
            assert tally.statements <= 12
            inserted.append(set(tally.inserts))
            tally.inserts.clear()
            tally.statements = tally.flushes = 0
    finally:
        tally.forget()
    rows = {"article_actor", "event", "event_actor", "quote"}
    assert inserted[0] == rows | {"canonical_actor", "actor_alias"}
    assert inserted[1] == rows  # the second article meets only known actors
    with Session(engine) as session:
        assert _count(session, CanonicalActor) == 7 and _count(session, ArticleActor) == 14


def _actor(name: str, *aliases: str, canonical: str = "") -> GroundedActor:
    return GroundedActor(
        name=name, aliases=list(aliases), kind=ActorKind.ARMED_GROUP, canonical_name=canonical
    )


def _store(engine: Any, job_id: int, result: GroundedExtraction) -> None:
    with Session(engine) as session:
        extraction_store.replace_rows(session, session.get_one(ExtractionJob, job_id), result)
        session.commit()


def _canonical_names(engine: Any, job_id: int) -> list[str]:
    with Session(engine) as session:
        query = (
            select(CanonicalActor.name)
            .join(ArticleActor, col(ArticleActor.canonical_actor_id) == CanonicalActor.id)
            .where(ArticleActor.job_id == job_id)
            .order_by(col(ArticleActor.position))
        )
        return list(session.exec(query).all())


def test_actors_are_resolved_in_order_within_one_extraction(
    engine: Any, seed: Any, fake_extractor: Any
) -> None:
    """One lookup for all names, then the per-actor rule in memory: a later actor finds the
    canonical actor an earlier one created, by name or by alias, and an alias stays with the
    first actor that held it."""
    job_id, _ = _new_job(engine, seed.text, fake_extractor)
    sdf = _actor("Syrian Democratic Forces", "SDF")
    by_alias = _actor("SDF fighters", canonical="SDF")  # 'sdf': an alias made just before
    by_name = _actor("the Syrian Democratic Forces")  # 'syrian democratic forces'
    rcc = _actor("Raqa Civil Council", "RCC")
    both = _actor("RCC", "SDF", canonical="RCC")  # found by 'rcc'; 'sdf' stays with the SDF
    result = GroundedExtraction(actors=[sdf, by_alias, by_name, rcc, both])
    _store(engine, job_id, result)
    sdf_name, rcc_name = "Syrian Democratic Forces", "Raqa Civil Council"
    assert _canonical_names(engine, job_id) == [sdf_name] * 3 + [rcc_name] * 2
    with Session(engine) as session:
        aliases = dict(
            session.exec(
                select(ActorAlias.alias_key, CanonicalActor.name).join(
                    CanonicalActor, col(CanonicalActor.id) == ActorAlias.canonical_actor_id
                )
            ).all()
        )
    assert aliases == {
        "syrian democratic forces": sdf_name,
        "sdf": sdf_name,
        "sdf fighters": sdf_name,
        "raqa civil council": rcc_name,
        "rcc": rcc_name,
    }

    # another article: its names are found among those stored
    other_id, _ = _new_job(engine, seed.text + "\n\nMore.", fake_extractor)
    _store(engine, other_id, GroundedExtraction(actors=[_actor("SDF"), _actor("Raqa CC", "RCC")]))
    assert _canonical_names(engine, other_id) == [sdf_name, rcc_name]
    with Session(engine) as session:
        assert _count(session, CanonicalActor) == 2


def test_rerun_with_an_empty_result_removes_the_old_rows(
    engine: Any, seed: Any, fake_extractor: Any
) -> None:
    job_id, _ = _stored_job(engine, seed.text, fake_extractor)
    _store(engine, job_id, GroundedExtraction())
    with Session(engine) as session:
        for model in (ArticleActor, Event, EventActor, Quote):
            assert _count(session, model) == 0, model
        assert _count(session, CanonicalActor) == 7  # shared across articles: kept
