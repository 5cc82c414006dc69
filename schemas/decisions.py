"""What the model decides in the hybrid pipeline (prompt v3): a small constrained choice among
candidates the rules found. Field descriptions are prompt text.

The schema is built per article: an event's field allows only that event's readings (and
NONE).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

NOT_AN_EVENT = "NONE"


class EventChoices(BaseModel):
    """For each numbered candidate, the event type its sentence reports, or NONE when it
    reports no action (a state, an opinion, a hypothetical, background)."""


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
