"""What an analyst sends to correct an extraction (POST /v1/articles/{id}/reviews).

A review is a list of changes to the version of the article's extraction that is served now
(the model's, or the latest reviewed one). Items are named by the ids that version's rows
have in the API's answers (`EventPublic.id`, `QuotePublic.id`, `ActorPublic.id`). Offsets are
never sent: evidence and quote text are located in the article like a model's answer, and a
change that does not agree with the article is refused with a 422 saying which change and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from schemas.extraction import (
    ActorKind,
    DatePrecision,
    EventMode,
    EventStatus,
    EventType,
    QuoteKind,
)

ActorName = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str | None, Field(default=None, max_length=2000)]


# Ids and counts are strict integers: JSON's true and false are no id (pydantic would read 1, 0).


def _not_a_number(value: Any) -> Any:
    """pydantic would read a number as a Unix timestamp; dates are written YYYY-MM-DD."""
    if isinstance(value, int | float):
        raise ValueError("a date is written YYYY-MM-DD, not as a number")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_not_a_number)]


class PlaceIn(BaseModel):
    """A place as the analyst names it; it is resolved in the offline gazetteer like a model's."""

    place: str | None = Field(default=None, max_length=120)
    admin_area: str | None = Field(default=None, max_length=80)
    country: str | None = Field(default=None, max_length=60)


class EventEdit(BaseModel):
    """Fields to change on an event; a field left out is kept as it is."""

    event_type: EventType | None = None
    mode: EventMode | None = None
    status: EventStatus | None = None
    sources: list[ActorName] | None = Field(default=None, description="Actor names or aliases.")
    targets: list[ActorName] | None = Field(default=None, description="Actor names or aliases.")
    date: IsoDate | None = None
    date_precision: DatePrecision | None = None
    location: PlaceIn | None = None
    fatalities: int | None = Field(default=None, ge=0, strict=True)
    summary: str | None = Field(default=None, min_length=1, max_length=500)


class UpdateEvent(EventEdit):
    op: Literal["update_event"] = "update_event"
    event_id: int = Field(ge=1, le=2**31 - 1, strict=True)
    clear: list[Literal["mode", "date", "location", "fatalities"]] = Field(
        default_factory=list, description="Optional fields to set to null."
    )


class DeleteEvent(BaseModel):
    """An event the model invented."""

    op: Literal["delete_event"] = "delete_event"
    event_id: int = Field(ge=1, le=2**31 - 1, strict=True)


class AddEvent(EventEdit):
    """An event the model missed; `evidence` is the sentence of the article that states it."""

    op: Literal["add_event"] = "add_event"
    event_type: EventType
    evidence: str = Field(min_length=1, max_length=2000, description="Verbatim from the article.")


class UpdateQuote(BaseModel):
    op: Literal["update_quote"] = "update_quote"
    quote_id: int = Field(ge=1, le=2**31 - 1, strict=True)
    speaker: ActorName | None = Field(default=None, description="An actor name or alias.")
    kind: QuoteKind | None = None
    clear_speaker: bool = False


class DeleteQuote(BaseModel):
    op: Literal["delete_quote"] = "delete_quote"
    quote_id: int = Field(ge=1, le=2**31 - 1, strict=True)


class UpdateActor(BaseModel):
    op: Literal["update_actor"] = "update_actor"
    actor_id: int = Field(ge=1, le=2**31 - 1, strict=True)
    name: ActorName | None = Field(
        default=None, description="The actor's name; the old one stays an alias."
    )
    aliases: list[ActorName] | None = Field(
        default=None, max_length=20, description="Replaces the aliases when given."
    )
    kind: ActorKind | None = None
    country: str | None = Field(default=None, max_length=100)


class DeleteActor(BaseModel):
    """A junk actor (a place, a fragment): removed with its roles and quote speakers."""

    op: Literal["delete_actor"] = "delete_actor"
    actor_id: int = Field(ge=1, le=2**31 - 1, strict=True)


class MergeActors(BaseModel):
    """Actors that are one: the others' mentions, aliases, roles and quotes go to `into`."""

    op: Literal["merge_actors"] = "merge_actors"
    into: int = Field(ge=1, le=2**31 - 1, strict=True)
    actor_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]] = Field(min_length=1)


Change = Annotated[
    UpdateEvent
    | DeleteEvent
    | AddEvent
    | UpdateQuote
    | DeleteQuote
    | UpdateActor
    | DeleteActor
    | MergeActors,
    Field(discriminator="op"),
]


class ReviewIn(BaseModel):
    changes: list[Change] = Field(min_length=1, max_length=200)
    note: Note
    base_job_id: int | None = Field(
        default=None,
        strict=True,  # true is no job id
        ge=1,
        le=2**31 - 1,
        description="The version reviewed (its job id); when given and no longer the one "
        "served, the review is refused with a 409 instead of overwriting another's.",
    )


# ---- what the API answers ----------------------------------------------------------------


def _utc(value: Any) -> Any:
    """SQLite gives timestamps back without their zone; they were written in UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class ReviewSummary(BaseModel):
    """Which review made the version served (on `ExtractionPublic.review`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    reviewer: str = Field(examples=["desk"], description="The API key's holder, or anonymous.")
    created_at: Annotated[dt.datetime, BeforeValidator(_utc)]
    note: str | None
    base_job_id: int = Field(description="The version reviewed (its job id).")
    job_id: int = Field(description="The reviewed version's job id.")


class ReviewPublic(ReviewSummary):
    """A stored review: who, when, the note, the changes as sent and what changed per item."""

    article_id: int
    changes: list[dict[str, Any]]
    diff: list[dict[str, Any]] = Field(
        description="Per change applied: the item's kind and id, and its fields before and "
        "after (a deleted item's `before`, an added one's `after`)."
    )


class KindAgreement(BaseModel):
    """How often reviewers kept what the model said, for one kind of item."""

    model_items: int = Field(description="Items in the model's versions reviewed.")
    reviewed_items: int = Field(description="Items in the reviewed versions.")
    kept: int = Field(description="Model items still in the reviewed version.")
    deleted: int
    added: int = Field(description="Items a reviewer added (none for actors).")
    changed: dict[str, int] = Field(description="Kept items whose field a reviewer changed.")
    agreement: dict[str, float | None] = Field(
        description="Per field, the share of kept items whose value the reviewer kept; null "
        "when no item was kept."
    )


class ActorAgreement(KindAgreement):
    merged: int = Field(description="Model actors merged into another.")


class ReviewStats(BaseModel):
    """Agreement between the model's version and the latest reviewed one, over every reviewed
    article: what reviewers change most."""

    reviewed_articles: int
    reviews: int
    events: KindAgreement
    quotes: KindAgreement
    actors: ActorAgreement
