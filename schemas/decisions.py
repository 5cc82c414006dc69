"""What the model decides in the hybrid pipeline (prompt v3): small constrained choices among
candidates the rules found. Field descriptions are prompt text.

Each schema is built per article: an event's field allows only that event's readings (and
NONE), an actor's only the actor names found, a speaker only the article's actors (the speaker
schema is the staged pipeline's: schemas.stages.speaker_answer_model).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from schemas.extraction import ActorKind

NOT_AN_EVENT = "NONE"


class EventChoices(BaseModel):
    """For each numbered candidate, the event type its sentence reports, or NONE when it
    reports no action (a state, an opinion, a hypothetical, background)."""


class ActorKindChoice(BaseModel):
    actor: str = Field(description="One of the listed actor names.")
    kind: ActorKind = Field(
        description="state = governments, ministries, armies, police; armed_group = rebels, "
        "militias, jihadist groups; political_org = parties, councils; international_org = "
        "UN agencies, EU, NATO, Red Cross; person = a named individual; civilians; media; other."
    )


class KindChoices(BaseModel):
    """The kind of each listed actor."""

    kinds: list[ActorKindChoice] = Field(default_factory=list)


def event_choice_model(options: dict[int, list[str]]) -> type[EventChoices]:
    """One field per candidate (`event_<n>`) whose value is one of its readings or NONE."""
    fields: dict[str, Any] = {
        f"event_{number}": (
            Literal[tuple([*choices, NOT_AN_EVENT])],
            Field(description=f"Candidate {number}: " + ", ".join(choices) + " or NONE."),
        )
        for number, choices in options.items()
    }
    return create_model("EventChoices", __base__=EventChoices, **fields)


def kind_choice_model(actor_names: list[str]) -> type[KindChoices]:
    """KindChoices with one entry per listed actor, the actor limited to those names."""
    names: Any = Literal[tuple(actor_names)] if actor_names else str
    choice = create_model(
        "ActorKindChoice",
        __base__=ActorKindChoice,
        actor=(names, ActorKindChoice.model_fields["actor"]),
    )
    count = len(actor_names)
    return create_model(
        "KindChoices",
        __base__=KindChoices,
        __doc__=KindChoices.__doc__,
        kinds=(list[choice], Field(default_factory=list, min_length=count, max_length=count)),
    )


DECISION_SCHEMAS: tuple[type[BaseModel], ...] = (EventChoices, KindChoices)
