"""An extraction after enrichment (alignment, actor resolution, dates, places, ACLED): what is
stored, served, labelled and scored.

Offsets are always computed by the pipeline (or, in gold files, checked by a test), never
asked from the model. `article_text[span.start:span.end] == span.text` for exact spans.
The grounding fields are declared once, in the `*Grounding` classes, which the grounded items,
the stored rows (api.models) and the API's items (schemas.api) inherit.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import JSON, String
from sqlmodel import Field

from schemas.extraction import Actor, Event, Quote


class AlignmentStatus(StrEnum):
    EXACT = "exact"  # the text occurs verbatim
    NORMALIZED = "normalized"  # occurs after folding quotes, dashes and whitespace
    FUZZY = "fuzzy"  # best approximate match (rapidfuzz) above the threshold
    NONE = "none"  # not found in the article


class Span(BaseModel):
    """Character offsets into the article text; `text == article[start:end]` when exact."""

    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    text: str
    alignment: AlignmentStatus = AlignmentStatus.NONE

    @property
    def grounded(self) -> bool:
        return self.alignment != AlignmentStatus.NONE and self.start is not None


class ActorGrounding(BaseModel):
    mentions: list[Span] = Field(default_factory=list, sa_type=JSON)


class EventGrounding(BaseModel):
    evidence_span: Span | None = Field(default=None, sa_type=JSON(none_as_null=True))
    acled_event_type: str | None = Field(default=None, sa_type=String(60))
    acled_sub_event_type: str | None = Field(default=None, sa_type=String(80))


class QuoteGrounding(BaseModel):
    span: Span | None = Field(default=None, sa_type=JSON(none_as_null=True))
    speaker_span: Span | None = Field(default=None, sa_type=JSON(none_as_null=True))


class GroundedActor(Actor, ActorGrounding):
    # After merging within an article an actor may carry more aliases than the model may give.
    aliases: list[str] = Field(default_factory=list)
    canonical_name: str = Field(
        default="", description="Name of the canonical actor this resolves to across articles."
    )


class GroundedEvent(Event, EventGrounding):
    pass


class GroundedQuote(Quote, QuoteGrounding):
    pass


class GroundedExtraction(BaseModel):
    actors: list[GroundedActor] = Field(default_factory=list)
    events: list[GroundedEvent] = Field(default_factory=list)
    quotes: list[GroundedQuote] = Field(default_factory=list)
