"""What the model returns at each stage of the staged pipeline (prompt v2). Field descriptions
are prompt text. Every list and string is bounded so the grammar bounds generation.

The actor stage's schema is fixed. The event and speaker stages' schemas are built per article
(`event_answer_model`, `speaker_answer_model`): sentence numbers and actor names become enums,
so a grammar-constrained model can only name a sentence that exists and an actor it declared.
Each is built once per article shape (the numbers and names it allows) and cached: equal
shapes get the same class, so its function schema is generated once, not on every call.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from schemas.extraction import (
    EVENT_TYPE_DEFINITIONS,
    ActorKind,
    EventMode,
    EventStatus,
    EventType,
)

MAX_STAGE_ACTORS = 12
MAX_STAGE_ALIASES = 4
MAX_STAGE_EVENTS = 16  # sentences asked about at once (one entry each, NONE allowed)
MAX_ROLE_ACTORS = 3
NAME_CHARS = 60
NO_SPEAKER = "nobody"  # the speaker enum's value for "no identifiable actor"
SHAPES_CACHED = 256  # per-article answer models kept (a few KB of pydantic class each)


class StageActor(BaseModel):
    """A person, group, state or organisation named in the article."""

    name: str = Field(
        min_length=1,
        max_length=NAME_CHARS,
        description="The fullest name as written in the article, without titles or 'the'.",
    )
    aliases: list[str] = Field(
        default_factory=list,
        max_length=MAX_STAGE_ALIASES,
        description="Other names for it written in the article: acronyms, short forms.",
    )
    kind: ActorKind = Field(description="What sort of actor this is.")
    affiliation: str | None = Field(
        default=None,
        max_length=NAME_CHARS,
        description="For a person: the organisation they speak or act for.",
    )


class ActorsAnswer(BaseModel):
    """Every actor that acts, is acted upon or speaks in the article."""

    actors: list[StageActor] = Field(default_factory=list, max_length=MAX_STAGE_ACTORS)


class StageEvent(BaseModel):
    """One action reported by one sentence (the per-article model narrows the field types)."""

    sentence: int = Field(description="The number of the sentence that reports the event.")
    event_type: EventType = Field(
        description="PLOVER type (or NONE): "
        + "; ".join(f"{t.value} = {d}" for t, d in EVENT_TYPE_DEFINITIONS.items())
    )
    mode: EventMode | None = Field(default=None, description="How it happened; null if none fits.")
    status: EventStatus = Field(
        description="asserted = reported as fact; claimed = only one side says so; denied = "
        "an actor denies it; threatened = threatened, not carried out; planned = announced "
        "for the future."
    )
    sources: list[str] = Field(default_factory=list, max_length=MAX_ROLE_ACTORS)
    targets: list[str] = Field(default_factory=list, max_length=MAX_ROLE_ACTORS)
    date_text: str | None = Field(
        default=None,
        max_length=40,
        description="The time expression exactly as written in the sentence ('on Sunday').",
    )


NO_EVENT = "NONE"  # the per-sentence type enum's value for "this sentence reports no event"


class EventsAnswer(BaseModel):
    events: list[StageEvent] = Field(default_factory=list, max_length=MAX_STAGE_EVENTS)


class StageSpeaker(BaseModel):
    quote: int = Field(description="The number of the quotation.")
    speaker: str = Field(description="Who said it: one of the actor names, or nobody.")


class SpeakersAnswer(BaseModel):
    speakers: list[StageSpeaker] = Field(default_factory=list)


def _choice(name: str, values: list[str] | list[int]) -> Any:
    """A str or int enum of `values` (a JSON-schema enum: the grammar allows only these)."""
    if not values:
        values = [""]
    if all(isinstance(v, int) for v in values):
        return Literal[tuple(values)]
    return Enum(name, {f"v{i}": v for i, v in enumerate(values)}, type=str)


def _list_of(item: Any) -> Any:
    """list[item] for a type built at run time (a static checker cannot see it)."""
    return list[item]


def event_answer_model(
    sentence_numbers: Sequence[int], actor_names: Sequence[str]
) -> type[EventsAnswer]:
    """EventsAnswer with one entry per listed sentence, in order: its number, a PLOVER type or
    NONE, and actors from this article's names (all enums). Cached by shape."""
    return _event_answer_model(tuple(sentence_numbers), tuple(actor_names))


@lru_cache(maxsize=SHAPES_CACHED)
def _event_answer_model(
    sentence_numbers: tuple[int, ...], actor_names: tuple[str, ...]
) -> type[EventsAnswer]:
    numbers = _choice("SentenceNumber", list(sentence_numbers))
    types = _choice("EventTypeOrNone", [*(t.value for t in EventType), NO_EVENT])
    names = _choice("ActorName", list(actor_names))
    fields = StageEvent.model_fields
    event = create_model(
        "Event",
        __base__=StageEvent,
        sentence=(numbers, fields["sentence"]),
        event_type=(types, fields["event_type"]),
        sources=(
            _list_of(names),
            Field(
                default_factory=list,
                max_length=MAX_ROLE_ACTORS,
                description="The actors who did it.",
            ),
        ),
        targets=(
            _list_of(names),
            Field(
                default_factory=list,
                max_length=MAX_ROLE_ACTORS,
                description="The actors it was done to.",
            ),
        ),
    )
    count = len(sentence_numbers)
    return create_model(
        "Events",
        __base__=EventsAnswer,
        __doc__="The event each listed sentence reports (NONE if it reports none).",
        events=(_list_of(event), Field(default_factory=list, min_length=count, max_length=count)),
    )


def speaker_answer_model(
    quote_numbers: Sequence[int], actor_names: Sequence[str]
) -> type[SpeakersAnswer]:
    """SpeakersAnswer with one entry per quotation, speakers limited to the actor names.
    Cached by shape."""
    return _speaker_answer_model(tuple(quote_numbers), tuple(actor_names))


@lru_cache(maxsize=SHAPES_CACHED)
def _speaker_answer_model(
    quote_numbers: tuple[int, ...], actor_names: tuple[str, ...]
) -> type[SpeakersAnswer]:
    numbers = _choice("QuoteNumber", list(quote_numbers))
    names = _choice("Speaker", [*actor_names, NO_SPEAKER])
    speaker = create_model(
        "Speaker",
        __base__=StageSpeaker,
        quote=(numbers, StageSpeaker.model_fields["quote"]),
        speaker=(names, StageSpeaker.model_fields["speaker"]),
    )
    count = len(quote_numbers)
    return create_model(
        "Speakers",
        __base__=SpeakersAnswer,
        __doc__="Who said each numbered quotation.",
        speakers=(
            _list_of(speaker),
            Field(default_factory=list, min_length=count, max_length=count),
        ),
    )
