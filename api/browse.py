"""The browse queries over current extractions: events by type, actor, date and place; quotes by
speaker; canonical actors with their counts. Keyword-only functions, like api.crud."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from api.models import (
    ActorAlias,
    ArticleActor,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionJob,
    Quote,
)
from schemas.text import name_key


def canonical_ids_for_name(*, session: Session, name: str) -> list[int]:
    """Canonical actors a name refers to: by any registered alias or the canonical name."""
    key = name_key(name)
    by_alias = select(ActorAlias.canonical_actor_id).where(ActorAlias.alias_key == key)
    by_name = select(CanonicalActor.id).where(CanonicalActor.name_key == key)
    ids = set(session.exec(by_alias).all()) | set(session.exec(by_name).all())
    return sorted(i for i in ids if i is not None)


@dataclass
class EventFilters:
    event_type: str | None = None
    mode: str | None = None
    status: str | None = None
    actor: str | None = None
    role: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    location: str | None = None
    article_id: int | None = None


# The parts of an event's location that `?location=` searches.
LOCATION_PARTS = ("place", "admin_area", "country")


def _current_jobs() -> Any:
    return select(ExtractionJob.id).where(col(ExtractionJob.is_current))


def _event_conditions(session: Session, filters: EventFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Event.job_id).in_(_current_jobs())]
    if filters.event_type:
        conditions.append(col(Event.event_type) == filters.event_type.upper())
    if filters.mode:
        conditions.append(col(Event.mode) == filters.mode.lower())
    if filters.status:
        conditions.append(col(Event.status) == filters.status.lower())
    if filters.since:
        conditions.append(col(Event.date) >= filters.since)
    if filters.until:
        conditions.append(col(Event.date) <= filters.until)
    if filters.article_id is not None:
        conditions.append(col(Event.article_id) == filters.article_id)
    if filters.location:
        pattern = f"%{filters.location.lower()}%"
        where = col(Event.location)
        conditions.append(
            or_(*(func.lower(where[part].as_string()).like(pattern) for part in LOCATION_PARTS))
        )
    if filters.actor:
        ids = canonical_ids_for_name(session=session, name=filters.actor)
        involved = select(EventActor.event_id).where(col(EventActor.canonical_actor_id).in_(ids))
        if filters.role:
            involved = involved.where(EventActor.role == filters.role)
        conditions.append(col(Event.id).in_(involved))
    return conditions


def list_events(
    *, session: Session, filters: EventFilters, limit: int | None, offset: int = 0
) -> tuple[list[Event], int]:
    conditions = _event_conditions(session, filters)
    total = session.exec(select(func.count()).select_from(Event).where(*conditions)).one()
    query = (
        select(Event)
        .where(*conditions)
        .order_by(col(Event.date).desc(), col(Event.article_id).desc(), col(Event.position))
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all()), total


def list_quotes(
    *,
    session: Session,
    speaker: str | None,
    article_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Quote], int]:
    conditions: list[ColumnElement[bool]] = [col(Quote.job_id).in_(_current_jobs())]
    if article_id is not None:
        conditions.append(col(Quote.article_id) == article_id)
    if speaker:
        ids = canonical_ids_for_name(session=session, name=speaker)
        conditions.append(
            or_(
                col(Quote.canonical_actor_id).in_(ids),
                func.lower(col(Quote.speaker)) == speaker.lower(),
            )
        )
    total = session.exec(select(func.count()).select_from(Quote).where(*conditions)).one()
    rows = session.exec(
        select(Quote)
        .where(*conditions)
        .order_by(col(Quote.article_id).desc(), col(Quote.position))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


@dataclass
class ActorSummary:
    actor: CanonicalActor
    aliases: list[str]
    articles: int
    events: int
    quotes: int


def list_actors(
    *, session: Session, name: str | None, kind: str | None, limit: int, offset: int
) -> tuple[list[ActorSummary], int]:
    """Canonical actors with their aliases and how often current extractions mention them."""
    conditions: list[ColumnElement[bool]] = []
    if name:
        conditions.append(
            col(CanonicalActor.id).in_(canonical_ids_for_name(session=session, name=name))
        )
    if kind:
        conditions.append(col(CanonicalActor.kind) == kind)
    total = session.exec(select(func.count()).select_from(CanonicalActor).where(*conditions)).one()
    actors = list(
        session.exec(
            select(CanonicalActor)
            .where(*conditions)
            .order_by(col(CanonicalActor.name))
            .offset(offset)
            .limit(limit)
        ).all()
    )
    ids = [a.id for a in actors if a.id is not None]
    aliases: dict[int, list[str]] = {i: [] for i in ids}
    for alias in session.exec(
        select(ActorAlias)
        .where(col(ActorAlias.canonical_actor_id).in_(ids))
        .order_by(col(ActorAlias.id))
    ).all():
        aliases[alias.canonical_actor_id].append(alias.alias)
    current = _current_jobs()
    articles = dict(
        session.exec(
            select(
                ArticleActor.canonical_actor_id, func.count(func.distinct(ArticleActor.article_id))
            )
            .where(
                col(ArticleActor.canonical_actor_id).in_(ids), col(ArticleActor.job_id).in_(current)
            )
            .group_by(col(ArticleActor.canonical_actor_id))
        ).all()
    )
    events = dict(
        session.exec(
            select(EventActor.canonical_actor_id, func.count(func.distinct(EventActor.event_id)))
            .join(Event, col(Event.id) == col(EventActor.event_id))
            .where(col(EventActor.canonical_actor_id).in_(ids), col(Event.job_id).in_(current))
            .group_by(col(EventActor.canonical_actor_id))
        ).all()
    )
    quotes = dict(
        session.exec(
            select(Quote.canonical_actor_id, func.count())
            .where(col(Quote.canonical_actor_id).in_(ids), col(Quote.job_id).in_(current))
            .group_by(col(Quote.canonical_actor_id))
        ).all()
    )
    summaries = [
        ActorSummary(
            actor=a,
            aliases=aliases.get(a.id or 0, []),
            articles=articles.get(a.id, 0),
            events=events.get(a.id, 0),
            quotes=quotes.get(a.id, 0),
        )
        for a in actors
    ]
    return summaries, total
