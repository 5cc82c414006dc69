"""Reviewing an extraction (api.review): each change type, validation like a model's answer,
the model's version kept beside the reviewed one, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlmodel import Session, select

from api import crud, extraction_store
from api.llm.actors import AliasTable
from api.llm.gazetteer import load_gazetteer
from api.models import Article, ArticleActor, Event, ExtractionJob, Quote, Review
from api.review import ReviewRejected, ReviewResources, apply_review
from api.review_stats import review_stats
from schemas.contract import ArticleInput
from schemas.extraction import Location
from schemas.grounded import Span
from schemas.review import ReviewIn
from tests.fakes import FakeExtractor

RESOURCES = ReviewResources(aliases=AliasTable.load(), gazetteer=load_gazetteer())


@pytest.fixture
def reviewed_article(engine: Any, seed: Any) -> int:
    """The seed article with the fake model's extraction stored (its served version)."""
    extractor = FakeExtractor()
    with Session(engine) as session:
        article, _ = crud.get_or_create_article(
            session=session,
            text=seed.text,
            published_at=seed.published_at,
            dateline=seed.dateline,
            source=seed.source,
        )
        job, _ = crud.get_or_create_job(
            session=session, article=article, provenance=extractor.provenance
        )
        outcome = extractor.extract(ArticleInput.of(article))
        assert job.id is not None and article.id is not None
        extraction_store.record_outcome(session=session, job_id=job.id, outcome=outcome, final=True)
        return article.id


def _review(session: Session, article_id: int, *changes: dict[str, Any], **extra: Any) -> Any:
    article = session.get_one(Article, article_id)
    review = ReviewIn.model_validate({"changes": list(changes), **extra})
    return apply_review(
        session=session, article=article, review=review, reviewer="desk", resources=RESOURCES
    )


def _rows(session: Session, job_id: int | None) -> crud.ExtractionRows:
    return crud.extraction_rows(session=session, job=session.get_one(ExtractionJob, job_id))


def _served(session: Session, article_id: int) -> crud.ExtractionRows:
    job = crud.current_job(session=session, article_id=article_id)
    assert job is not None
    return crud.extraction_rows(session=session, job=job)


def _event(rows: crud.ExtractionRows, event_type: str) -> Event:
    return next(e for e in rows.events if e.event_type == event_type)


def _actor(rows: crud.ExtractionRows, name: str) -> ArticleActor:
    return next(a for a in rows.actors if a.name == name)


def _roles(rows: crud.ExtractionRows, event: Event, role: str) -> list[str]:
    return [r.name for r in rows.event_actors[event.id or 0] if r.role == role]


def test_update_event_recomputes_acled_and_keeps_the_model_version(
    engine: Any, reviewed_article: int
) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        threat = _event(model, "THREATEN")
        position = threat.position
        result = _review(
            session,
            reviewed_article,
            {
                "op": "update_event",
                "event_id": threat.id,
                "event_type": "ASSAULT",
                "mode": "aerial",
            },
            note="an airstrike, not a threat",
            base_job_id=model.job.id,
        )
        assert result.review.reviewer == "desk"
        assert result.review.base_job_id == model.job.id
        assert result.job.reviewed_from_job_id == model.job.id and result.job.is_current
        served = _served(session, reviewed_article)
        assert served.job.id == result.job.id
        changed = served.events[position]
        assert (changed.event_type, changed.mode) == ("ASSAULT", "aerial")
        assert changed.acled_event_type == "Explosions/Remote violence"
        assert changed.acled_sub_event_type == "Air/drone strike"
        # the model's version is still there, unchanged, and no longer served
        kept = _rows(session, model.job.id)
        assert _event(kept, "THREATEN").mode == "ultimatum"
        assert not session.get_one(ExtractionJob, model.job.id).is_current
        assert result.review.diff[0]["before"]["event_type"] == "THREATEN"
        assert result.review.diff[0]["after"]["acled_sub_event_type"] == "Air/drone strike"
        # job listings show model runs only
        jobs = crud.jobs_of_article(session=session, article_id=reviewed_article)
        assert [j.id for j in jobs] == [model.job.id]


def test_roles_and_speakers_must_name_declared_actors(engine: Any, reviewed_article: int) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        threat = _event(model, "THREATEN")
        with pytest.raises(ReviewRejected) as rejected:
            _review(
                session,
                reviewed_article,
                {"op": "delete_quote", "quote_id": model.quotes[0].id},
                {"op": "update_event", "event_id": threat.id, "sources": ["Hezbollah"]},
            )
        assert rejected.value.status_code == 422
        assert rejected.value.detail.startswith("change 1 (update_event): 'Hezbollah'")
        # an alias names its actor, stored as the actor's name
        result = _review(
            session,
            reviewed_article,
            {"op": "update_event", "event_id": threat.id, "sources": ["SDF"]},
            {"op": "update_quote", "quote_id": model.quotes[0].id, "speaker": "coalition"},
        )
        served = _rows(session, result.job.id)
        assert _roles(served, _event(served, "THREATEN"), "source") == ["Syrian Democratic Forces"]
        assert served.quotes[0].speaker == "US-led coalition"
        assert served.quotes[0].speaker_actor_id == _actor(served, "US-led coalition").id
        # nothing of the refused review was stored
        assert len(session.exec(select(Review)).all()) == 1
        stats = review_stats(session=session)
        assert stats.quotes.changed["speaker"] == 1 and stats.events.changed["roles"] == 1
        assert stats.quotes.agreement["speaker"] == round(1 - 1 / len(model.quotes), 4)


def test_unknown_ids_and_bad_values_are_422_naming_the_change(
    engine: Any, reviewed_article: int
) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        threat = _event(model, "THREATEN")
        cases = [
            ({"op": "delete_event", "event_id": 999_999}, "event 999999 is not in the version"),
            ({"op": "update_quote", "quote_id": 999_999, "kind": "partial"}, "quote 999999"),
            ({"op": "delete_actor", "actor_id": 999_999}, "actor 999999"),
            (
                {"op": "update_event", "event_id": threat.id, "mode": "aerial"},
                "mode 'aerial' does not belong to THREATEN",
            ),
            (
                {"op": "update_event", "event_id": threat.id, "date": "2017-11-01"},
                "after the article's date 2017-10-17",
            ),
            (
                {
                    "op": "add_event",
                    "event_type": "PROTEST",
                    "evidence": "Crowds marched in Paris.",
                },
                "is not in the article",
            ),
            (
                {
                    "op": "merge_actors",
                    "into": model.actors[0].id,
                    "actor_ids": [model.actors[0].id],
                },
                "cannot be merged into itself",
            ),
        ]
        for change, reason in cases:
            with pytest.raises(ReviewRejected) as rejected:
                _review(session, reviewed_article, change)
            assert rejected.value.status_code == 422
            assert rejected.value.detail.startswith(f"change 0 ({change['op']})")
            assert reason in rejected.value.detail, rejected.value.detail
        assert session.exec(select(Review)).all() == []


def test_add_event_computes_offsets_date_place_and_acled(
    engine: Any, reviewed_article: int
) -> None:
    with Session(engine) as session:
        article = session.get_one(Article, reviewed_article)
        # typed with straight quotes: located by the aligner, stored as the article writes it
        typed = "Our stance was they either stay and fight or they surrender unconditionally"
        result = _review(
            session,
            reviewed_article,
            {
                "op": "add_event",
                "event_type": "COERCE",
                "mode": "arrest",
                "evidence": typed,
                "sources": ["Ryan Dillon"],
                "targets": ["IS"],
                "date": "2017-10-15",
                "location": {"place": "Raqa"},
            },
        )
        added = _rows(session, result.job.id).events[-1]
        span, where = Span.model_validate(added.evidence_span), added.location
        assert span.start is not None and span.end is not None
        assert span.start == article.text.index("Our stance was")
        assert article.text[span.start : span.end] == added.evidence
        assert added.date == dt.date(2017, 10, 15) and added.date_precision == "day"
        assert where is not None and Location.model_validate(where).country_code == "SY"
        assert Location.model_validate(where).geonameid is not None
        assert added.acled_event_type == "Strategic developments"
        assert result.review.diff[0]["op"] == "add_event" and result.review.diff[0]["id"] is None


def test_actors_delete_merge_rename(engine: Any, reviewed_article: int) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        dillon, coalition = _actor(model, "Ryan Dillon"), _actor(model, "US-led coalition")
        civilians = _actor(model, "civilians")
        result = _review(
            session,
            reviewed_article,
            {"op": "delete_actor", "actor_id": civilians.id},
            {"op": "merge_actors", "into": coalition.id, "actor_ids": [dillon.id]},
            {"op": "update_actor", "actor_id": coalition.id, "name": "US-led coalition forces"},
        )
        served = _rows(session, result.job.id)
        names = [a.name for a in served.actors]
        assert "civilians" not in names and "Ryan Dillon" not in names
        merged = _actor(served, "US-led coalition forces")
        assert {"Ryan Dillon", "Dillon", "US-led coalition"} <= set(merged.aliases)
        assert merged.mentions  # found in the text again
        deal = _event(served, "AGREE")
        assert _roles(served, deal, "target") == []  # civilians went with their actor
        assert {q.speaker for q in served.quotes} >= {"US-led coalition forces"}
        assert all(
            q.speaker_actor_id == merged.id for q in served.quotes if q.speaker == merged.name
        )
        # a second review starts from the reviewed version; stats compare with the model's
        second = _review(
            session,
            reviewed_article,
            {"op": "update_actor", "actor_id": merged.id, "kind": "state"},
            base_job_id=result.job.id,
        )
        assert second.review.base_job_id == result.job.id
        assert second.job.reviewed_from_job_id == model.job.id
        stats = review_stats(session=session)
        assert stats.reviewed_articles == 1 and stats.reviews == 2
        assert stats.actors.deleted == 1 and stats.actors.merged == 1
        assert stats.actors.changed["name"] == 1 and stats.actors.changed["kind"] == 1
        assert stats.actors.model_items == len(model.actors)
        # a renamed or merged actor is no role change; the deleted civilians are
        assert stats.events.deleted == 0 and stats.events.changed["roles"] == 1
        # Dillon's quotes went with him into the merged actor: no speaker change either
        assert stats.quotes.changed["speaker"] == 0 and stats.quotes.kept == len(model.quotes)


def test_stale_base_and_nothing_to_review_are_409(engine: Any, reviewed_article: int) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        change = {"op": "delete_quote", "quote_id": model.quotes[0].id}
        _review(session, reviewed_article, change, base_job_id=model.job.id)
        with pytest.raises(ReviewRejected) as stale:
            _review(session, reviewed_article, change, base_job_id=model.job.id)
        assert stale.value.status_code == 409 and "not the version served" in stale.value.detail
        bare, _ = crud.get_or_create_article(session=session, text="Nothing extracted here yet.")
        assert bare.id is not None
        with pytest.raises(ReviewRejected) as nothing:
            _review(session, bare.id, change)
        assert nothing.value.status_code == 409


def test_a_later_model_run_does_not_hide_the_review(engine: Any, reviewed_article: int) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        result = _review(
            session, reviewed_article, {"op": "delete_quote", "quote_id": model.quotes[0].id}
        )
        assert model.job.id is not None
        outcome = FakeExtractor().extract(
            ArticleInput.of(session.get_one(Article, reviewed_article))
        )
        extraction_store.record_outcome(
            session=session, job_id=model.job.id, outcome=outcome, final=True
        )
        assert _served(session, reviewed_article).job.id == result.job.id
        latest = crud.latest_model_job(session=session, article_id=reviewed_article)
        assert latest is not None and latest.id == model.job.id
        rows, _ = crud.article_rows(
            session=session, article=session.get_one(Article, reviewed_article), version="model"
        )
        assert rows is not None and len(rows.quotes) == len(model.quotes)


def test_deleting_the_article_removes_its_reviews(engine: Any, reviewed_article: int) -> None:
    with Session(engine) as session:
        model = _served(session, reviewed_article)
        _review(session, reviewed_article, {"op": "delete_event", "event_id": model.events[0].id})
        session.delete(session.get_one(Article, reviewed_article))
        session.commit()
        assert session.exec(select(Review)).all() == []
        assert session.exec(select(Quote)).all() == []


def test_review_contract_rejects_unknown_ops() -> None:
    with pytest.raises(ValueError):
        TypeAdapter(ReviewIn).validate_python({"changes": [{"op": "rewrite_everything"}]})
