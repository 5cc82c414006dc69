"""Agreement between the model's version and the reviewed one (GET /v1/review/stats): per kind,
what reviewers kept, changed, deleted, added and merged, over every article whose served
version is reviewed — what reviewers change most.

Items are matched by their lineage (api.review_changes.Draft.lineage, stored on the Review
row): each reviewed item names the model items it descends from, so a renamed or merged
actor's roles still compare with the model's. Counted from the stored rows, never from the
changes as sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from api import crud
from api.models import ArticleActor, EventActor, ExtractionJob, Review
from schemas.review import ActorAgreement, KindAgreement, ReviewStats
from schemas.text import name_key

EVENT_FIELDS = ("event_type", "mode", "status", "roles", "date", "location", "fatalities")
QUOTE_FIELDS = ("speaker", "kind")
ACTOR_FIELDS = ("name", "kind")


@dataclass
class _Tally:
    fields: tuple[str, ...]
    model_items: int = 0
    reviewed_items: int = 0
    kept: int = 0
    deleted: int = 0
    added: int = 0
    merged: int = 0
    changed: Counter[str] = field(default_factory=Counter)

    def compare(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.kept += 1
        self.changed.update(f for f in self.fields if before[f] != after[f])

    def summary(self) -> dict[str, Any]:
        return {
            "model_items": self.model_items,
            "reviewed_items": self.reviewed_items,
            "kept": self.kept,
            "deleted": self.deleted,
            "added": self.added,
            "changed": {f: self.changed[f] for f in self.fields},
            "agreement": {
                f: round(1 - self.changed[f] / self.kept, 4) if self.kept else None
                for f in self.fields
            },
        }


def review_stats(*, session: Session) -> ReviewStats:
    served = select(ExtractionJob.id).where(
        col(ExtractionJob.is_current), col(ExtractionJob.reviewed_from_job_id).is_not(None)
    )
    latest = list(session.exec(select(Review).where(col(Review.job_id).in_(served))).all())
    events, quotes, actors = _Tally(EVENT_FIELDS), _Tally(QUOTE_FIELDS), _Tally(ACTOR_FIELDS)
    for review in latest:
        _compare_article(session, review, events, quotes, actors)
    reviews = len(session.exec(select(Review.id)).all())
    return ReviewStats(
        reviewed_articles=len(latest),
        reviews=reviews,
        events=KindAgreement(**events.summary()),
        quotes=KindAgreement(**quotes.summary()),
        actors=ActorAgreement(**actors.summary(), merged=actors.merged),
    )


def _compare_article(
    session: Session, review: Review, events: _Tally, quotes: _Tally, actors: _Tally
) -> None:
    job = session.get_one(ExtractionJob, review.job_id)
    assert job.reviewed_from_job_id is not None
    mine = crud.extraction_rows(session=session, job=job)
    model = crud.extraction_rows(
        session=session, job=session.get_one(ExtractionJob, job.reviewed_from_job_id)
    )
    lineage = review.lineage
    # a model actor's id -> the name its reviewed actor has (for roles and speakers)
    renamed = {
        origin: actor.name
        for actor, origins in zip(mine.actors, lineage.get("actors", []), strict=False)
        for origin in origins
    }

    def name_as_reviewed(actor_id: int | None, name: str | None) -> str | None:
        if name is None:
            return None
        return name_key(renamed.get(actor_id or 0, name) if actor_id else name)

    def roles(rows: Iterable[EventActor], translate: bool) -> list[tuple[str, str | None]]:
        return sorted(
            (
                r.role,
                name_as_reviewed(r.article_actor_id, r.name) if translate else name_key(r.name),
            )
            for r in rows
        )

    def event_fields(
        event: Any, rows: dict[int, list[EventActor]], translate: bool
    ) -> dict[str, Any]:
        where = event.location or {}
        place = tuple(
            str(where.get(k) or "").casefold() for k in ("place", "admin_area", "country")
        )
        return {
            "event_type": event.event_type,
            "mode": event.mode,
            "status": event.status,
            "roles": roles(rows.get(event.id or 0, []), translate),
            "date": event.date,
            "location": place,
            "fatalities": event.fatalities,
        }

    _tally(
        events,
        model.events,
        mine.events,
        lineage.get("events", []),
        lambda e: event_fields(e, model.event_actors, True),
        lambda e: event_fields(e, mine.event_actors, False),
    )
    _tally(
        quotes,
        model.quotes,
        mine.quotes,
        lineage.get("quotes", []),
        lambda q: {"speaker": name_as_reviewed(q.speaker_actor_id, q.speaker), "kind": q.kind},
        lambda q: {"speaker": name_key(q.speaker) if q.speaker else None, "kind": q.kind},
    )

    def actor_fields(actor: ArticleActor) -> dict[str, Any]:
        return {"name": name_key(actor.name), "kind": actor.kind}

    _tally(actors, model.actors, mine.actors, lineage.get("actors", []), actor_fields, actor_fields)
    actors.merged += sum(max(0, len(o) - 1) for o in lineage.get("actors", []))


def _tally(
    tally: _Tally,
    model_rows: list[Any],
    reviewed_rows: list[Any],
    lineage: list[list[int]],
    model_fields: Callable[[Any], dict[str, Any]],
    reviewed_fields: Callable[[Any], dict[str, Any]],
) -> None:
    by_id = {row.id: row for row in model_rows}
    tally.model_items += len(model_rows)
    tally.reviewed_items += len(reviewed_rows)
    descended: set[int] = set()
    for row, origins in zip(reviewed_rows, lineage, strict=False):
        descended.update(origins)
        if not origins:
            tally.added += 1
        elif origins[0] in by_id:
            tally.compare(model_fields(by_id[origins[0]]), reviewed_fields(row))
    tally.deleted += sum(1 for i in by_id if i not in descended)
