"""A review's changes applied to the served version of an extraction (api.review), each checked
as a model's answer is checked and enriched by the pipeline's own steps.

The served version is read back as a `Draft`: its actors, events and quotes as grounded items,
each with the id its row has now (what changes name) and the ids of the model job's items it
descends from (its lineage, which the review stats compare). Changes apply in order; the first
that does not agree with the article raises `ChangeRejected` naming its index and why, and
nothing is stored.

Names in roles and speakers must be a declared actor's name or alias (`name_key`, the rule of
`ArticleExtraction`); they are stored as that actor's name. An event's evidence is located
with api.llm.alignment (offsets computed, never typed); events are validated by the schema's
own validators with the article as context (evidence verbatim, mode belonging to its type,
a date not after the article's unless planned or threatened); places are resolved in the
offline gazetteer and ACLED categories recomputed by api.llm.enrichment's steps; an actor's
mentions and canonical name come from api.llm.alignment and api.llm.actors. A date an analyst
sets is taken as given (its time expression is dropped: it named the date that was wrong).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from api import crud
from api.llm.actors import resolve_actors
from api.llm.alignment import align, align_actor
from api.llm.enrichment import ArticleContext, code_acled, resolve_locations
from api.models import ExtractionJob, Review
from schemas.extraction import Actor, DatePrecision, Location
from schemas.grounded import GroundedActor, GroundedEvent, GroundedExtraction, GroundedQuote
from schemas.review import (
    AddEvent,
    Change,
    DeleteActor,
    DeleteEvent,
    DeleteQuote,
    EventEdit,
    MergeActors,
    UpdateActor,
    UpdateEvent,
    UpdateQuote,
)
from schemas.text import name_key

T = TypeVar("T", bound=BaseModel)
KINDS = ("actors", "events", "quotes")


class ChangeRejected(ValueError):
    def __init__(self, index: int, change: Change, reason: str) -> None:
        super().__init__(f"change {index} ({change.op}): {reason}")
        self.index = index


@dataclass
class Item(Generic[T]):
    row_id: int | None  # the row's id in the served version; None when added by this review
    origins: list[int]  # ids of the model job's items it descends from; [] when added
    value: T


@dataclass
class Draft:
    model_job_id: int
    actors: list[Item[GroundedActor]] = field(default_factory=list)
    events: list[Item[GroundedEvent]] = field(default_factory=list)
    quotes: list[Item[GroundedQuote]] = field(default_factory=list)
    diff: list[dict[str, Any]] = field(default_factory=list)

    def extraction(self) -> GroundedExtraction:
        return GroundedExtraction(
            actors=[i.value for i in self.actors],
            events=[i.value for i in self.events],
            quotes=[i.value for i in self.quotes],
        )

    def lineage(self) -> dict[str, list[list[int]]]:
        return {kind: [i.origins for i in getattr(self, kind)] for kind in KINDS}


# ---- reading the served version ----------------------------------------------------------


def served_extraction(*, session: Session, job: ExtractionJob) -> Draft:
    """The job's rows as a draft, with their lineage back to the model's job."""
    assert job.id is not None
    rows = crud.extraction_rows(session=session, job=job)
    lineage: dict[str, list[list[int]]] = {}
    if job.reviewed_from_job_id is not None:
        review = session.exec(select(Review).where(Review.job_id == job.id)).first()
        lineage = review.lineage if review is not None else {}

    def origins(kind: str, position: int, row_id: int | None) -> list[int]:
        if job.reviewed_from_job_id is None:
            return [row_id] if row_id is not None else []
        known = lineage.get(kind, [])
        return list(known[position]) if position < len(known) else []

    def canonical(actor_id: int | None) -> str:
        found = rows.canonical.get(actor_id or 0)
        return found.name if found else ""

    draft = Draft(model_job_id=job.reviewed_from_job_id or job.id)
    for n, actor in enumerate(rows.actors):
        actor_value = GroundedActor.model_validate(
            {**_fields(actor, GroundedActor), "canonical_name": canonical(actor.canonical_actor_id)}
        )
        draft.actors.append(Item(actor.id, origins("actors", n, actor.id), actor_value))
    for n, event in enumerate(rows.events):
        roles = rows.event_actors.get(event.id or 0, [])
        event_value = GroundedEvent.model_validate(
            {
                **_fields(event, GroundedEvent),
                "sources": [r.name for r in roles if r.role == "source"],
                "targets": [r.name for r in roles if r.role == "target"],
            }
        )
        draft.events.append(Item(event.id, origins("events", n, event.id), event_value))
    for n, quote in enumerate(rows.quotes):
        quote_value = GroundedQuote.model_validate(_fields(quote, GroundedQuote))
        draft.quotes.append(Item(quote.id, origins("quotes", n, quote.id), quote_value))
    return draft


def _fields(row: BaseModel, model: type[BaseModel]) -> dict[str, Any]:
    # read as attributes: a row's JSON columns hold plain dicts, which dumping would warn on
    return {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}


# ---- applying changes --------------------------------------------------------------------


def apply_changes(draft: Draft, changes: Sequence[Change], article: ArticleContext) -> Draft:
    """`draft` with every change applied in order (ChangeRejected on the first bad one)."""
    for index, change in enumerate(changes):
        try:
            _APPLY[type(change)](draft, change, article)
        except _Refused as refused:
            raise ChangeRejected(index, change, str(refused)) from None
        except ValidationError as error:
            raise ChangeRejected(index, change, _validation_reason(error)) from None
        for entry in draft.diff:
            entry.setdefault("change", index)
    return draft


class _Refused(Exception):
    pass


def _validation_reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    )


def _find(items: list[Item[T]], row_id: int, what: str) -> Item[T]:
    found = next((i for i in items if i.row_id == row_id), None)
    if found is None:
        raise _Refused(f"{what} {row_id} is not in the version reviewed (or was deleted)")
    return found


def _changed(before: BaseModel, after: BaseModel, fields: Sequence[str]) -> dict[str, Any]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    keys = [f for f in fields if old.get(f) != new.get(f)]
    return {"before": {k: old.get(k) for k in keys}, "after": {k: new.get(k) for k in keys}}


def _record(draft: Draft, op: str, kind: str, row_id: int | None, **entry: Any) -> None:
    draft.diff.append({"op": op, "kind": kind, "id": row_id, **entry})


# ---- actors' names -------------------------------------------------------------------------


def _names(actor: GroundedActor) -> set[str]:
    return {name_key(n) for n in (actor.name, *actor.aliases)}


def _actor_named(draft: Draft, name: str) -> GroundedActor:
    key = name_key(name)
    for item in draft.actors:
        if key in _names(item.value):
            return item.value
    raise _Refused(
        f"{name!r} is not among the article's actors (use an actor's name or alias, "
        "or correct the actor first)"
    )


def _role_names(draft: Draft, names: list[str]) -> list[str]:
    return list(dict.fromkeys(_actor_named(draft, n).name for n in names))


def _rename_references(draft: Draft, keys: set[str], new: str | None) -> None:
    """Roles, speakers and affiliations naming `keys` now name `new` (removed when None)."""

    def renamed(names: list[str]) -> list[str]:
        out = [new if name_key(n) in keys else n for n in names]
        return list(dict.fromkeys(n for n in out if n is not None))

    for event in draft.events:
        event.value = event.value.model_copy(
            update={
                "sources": renamed(event.value.sources),
                "targets": renamed(event.value.targets),
            }
        )
    for quote in draft.quotes:
        if quote.value.speaker and name_key(quote.value.speaker) in keys:
            quote.value = quote.value.model_copy(update={"speaker": new})
    for actor in draft.actors:
        if actor.value.affiliation and name_key(actor.value.affiliation) in keys:
            actor.value = actor.value.model_copy(update={"affiliation": new})


def _resolved(actor: GroundedActor, article: ArticleContext) -> GroundedActor:
    """Mentions found in the text and the canonical name, as for a model's actor."""
    # as the model's answer (no mentions yet; not validated: merged aliases exceed its cap)
    answer = Actor.model_construct(**actor.model_dump(include=set(Actor.model_fields)))
    aligned = align_actor(answer, article.text)
    return resolve_actors(GroundedExtraction(actors=[aligned]), aliases=article.aliases).actors[0]


ACTOR_FIELDS = ("name", "aliases", "kind", "country", "affiliation", "canonical_name")


def _update_actor(draft: Draft, change: UpdateActor, article: ArticleContext) -> None:
    item = _find(draft.actors, change.actor_id, "actor")
    before = item.value
    update: dict[str, Any] = {}
    old_keys = _names(before)
    if change.name is not None and name_key(change.name) != name_key(before.name):
        for other in draft.actors:
            if other is not item and name_key(change.name) in _names(other.value):
                raise _Refused(
                    f"{change.name!r} names actor {other.row_id}: merge the two with merge_actors"
                )
        # the old name stays an alias: it is how the article wrote it (unless aliases are sent)
        aliases = [before.name, *before.aliases]
        update["name"] = change.name
        update["aliases"] = [a for a in aliases if name_key(a) != name_key(change.name)]
    if change.aliases is not None:
        update["aliases"] = [
            a for a in change.aliases if name_key(a) != name_key(update.get("name", before.name))
        ]
    if change.kind is not None:
        update["kind"] = change.kind
    if change.country is not None:
        update["country"] = change.country or None
    after = GroundedActor.model_validate({**before.model_dump(), **update})
    if "name" in update or "aliases" in update:
        after = _resolved(after, article)
        if not after.mentions:
            raise _Refused(f"no name of actor {change.actor_id} occurs in the article")
    item.value = after
    # references name the actor by its name: all of them when it was renamed, else those
    # that named an alias no longer there
    renamed = old_keys if "name" in update else old_keys - _names(after)
    if renamed:
        _rename_references(draft, renamed, after.name)
    _record(draft, change.op, "actor", item.row_id, **_changed(before, after, ACTOR_FIELDS))


def _delete_actor(draft: Draft, change: DeleteActor, _article: ArticleContext) -> None:
    item = _find(draft.actors, change.actor_id, "actor")
    draft.actors.remove(item)
    _rename_references(draft, _names(item.value), None)
    _record(draft, change.op, "actor", item.row_id, before=item.value.model_dump(mode="json"))


def _merge_actors(draft: Draft, change: MergeActors, article: ArticleContext) -> None:
    if change.into in change.actor_ids:
        raise _Refused(f"actor {change.into} cannot be merged into itself")
    into = _find(draft.actors, change.into, "actor")
    others = [_find(draft.actors, i, "actor") for i in dict.fromkeys(change.actor_ids)]
    before = into.value
    names: dict[str, str] = {}
    for name in (n for a in (before, *(o.value for o in others)) for n in (a.name, *a.aliases)):
        names.setdefault(name_key(name), name)
    names.pop(name_key(before.name), None)
    merged = before.model_copy(
        update={
            "aliases": list(names.values()),
            "country": before.country or next((o.value.country for o in others), None),
        }
    )
    into.value = _resolved(merged, article)
    into.origins = [*into.origins, *(o for other in others for o in other.origins)]
    for other in others:
        draft.actors.remove(other)
        _rename_references(draft, _names(other.value), into.value.name)
    _record(
        draft,
        change.op,
        "actor",
        into.row_id,
        merged=[o.row_id for o in others],
        **_changed(before, into.value, ACTOR_FIELDS),
    )


# ---- events ----------------------------------------------------------------------------------

EVENT_FIELDS = (
    "event_type",
    "mode",
    "status",
    "sources",
    "targets",
    "date",
    "date_precision",
    "location",
    "fatalities",
    "summary",
    "acled_event_type",
    "acled_sub_event_type",
)


def _edits(draft: Draft, change: EventEdit) -> dict[str, Any]:
    """The fields the change sets (names resolved to the actors')."""
    update: dict[str, Any] = change.model_dump(
        include={"event_type", "mode", "status", "fatalities", "summary"}, exclude_none=True
    )
    if change.sources is not None:
        update["sources"] = _role_names(draft, change.sources)
    if change.targets is not None:
        update["targets"] = _role_names(draft, change.targets)
    if change.date is not None:
        update["date"] = change.date
        update["date_text"] = None  # the expression named the date that was wrong
        update["date_precision"] = change.date_precision or DatePrecision.DAY
    elif change.date_precision is not None:
        update["date_precision"] = change.date_precision
    if change.location is not None:
        update["location"] = Location(**change.location.model_dump())
    return update


def _checked_event(data: dict[str, Any], article: ArticleContext, relocate: bool) -> GroundedEvent:
    """The event validated with the article as context, its place resolved (when it
    changed) and its ACLED category recomputed, by the pipeline's own steps."""
    context = {"article_text": article.text, "article_date": article.article_date}
    event = GroundedEvent.model_validate(data, context=context)
    one = GroundedExtraction(events=[event])
    if relocate:
        one = resolve_locations(one, article)
        if one.events[0].location is None and data.get("location") is not None:
            raise _Refused("the location names no place, area or country")
    return code_acled(one, article).events[0]


def _update_event(draft: Draft, change: UpdateEvent, article: ArticleContext) -> None:
    item = _find(draft.events, change.event_id, "event")
    before = item.value
    update = _edits(draft, change)
    for cleared in change.clear:
        update[cleared] = None
        if cleared == "date":
            update["date_text"], update["date_precision"] = None, DatePrecision.UNKNOWN
    if "event_type" in update and "mode" not in update and "mode" not in change.clear:
        update.setdefault("mode", None)  # a mode belongs to its type: a new type drops it
    data = {**before.model_dump(), **update}
    item.value = _checked_event(data, article, relocate="location" in update)
    _record(draft, change.op, "event", item.row_id, **_changed(before, item.value, EVENT_FIELDS))


def _delete_event(draft: Draft, change: DeleteEvent, _article: ArticleContext) -> None:
    item = _find(draft.events, change.event_id, "event")
    draft.events.remove(item)
    _record(draft, change.op, "event", item.row_id, before=item.value.model_dump(mode="json"))


def _add_event(draft: Draft, change: AddEvent, article: ArticleContext) -> None:
    span = align(change.evidence, article.text)
    if not span.grounded or span.start is None or span.end is None:
        raise _Refused(f"evidence {change.evidence[:80]!r} is not in the article")
    evidence = article.text[span.start : span.end]  # the article's own words, offsets computed
    data: dict[str, Any] = {
        "summary": change.summary or evidence[:200],
        "evidence": evidence,
        "evidence_span": span.model_copy(update={"text": evidence}).model_dump(),
        **_edits(draft, change),
    }
    event = _checked_event(data, article, relocate=change.location is not None)
    draft.events.append(Item(None, [], event))
    _record(draft, change.op, "event", None, after=event.model_dump(mode="json"))


# ---- quotes ----------------------------------------------------------------------------------


def _update_quote(draft: Draft, change: UpdateQuote, _article: ArticleContext) -> None:
    item = _find(draft.quotes, change.quote_id, "quote")
    before = item.value
    update: dict[str, Any] = {}
    if change.speaker is not None:
        update["speaker"] = _actor_named(draft, change.speaker).name
    if change.clear_speaker:
        update["speaker"] = None
    if change.kind is not None:
        update["kind"] = change.kind
    item.value = before.model_copy(update=update)
    _record(
        draft, change.op, "quote", item.row_id, **_changed(before, item.value, ("speaker", "kind"))
    )


def _delete_quote(draft: Draft, change: DeleteQuote, _article: ArticleContext) -> None:
    item = _find(draft.quotes, change.quote_id, "quote")
    draft.quotes.remove(item)
    _record(draft, change.op, "quote", item.row_id, before=item.value.model_dump(mode="json"))


_APPLY: dict[type[Any], Callable[[Draft, Any, ArticleContext], None]] = {
    UpdateEvent: _update_event,
    DeleteEvent: _delete_event,
    AddEvent: _add_event,
    UpdateQuote: _update_quote,
    DeleteQuote: _delete_quote,
    UpdateActor: _update_actor,
    DeleteActor: _delete_actor,
    MergeActors: _merge_actors,
}
