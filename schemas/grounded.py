"""An extraction after grounding and resolution: what is stored, served, labelled and scored.

Offsets are always computed by the pipeline (or, in gold files, checked by a test), never
asked from the model. `article_text[span.start:span.end] == span.text` for exact spans.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.extraction import Actor, Event, Quote


class AlignmentStatus(StrEnum):
    EXACT = "exact"  # the text occurs verbatim
    NORMALIZED = "normalized"  # occurs after folding quotes, dashes and whitespace
    FUZZY = "fuzzy"  # best approximate match (rapidfuzz) above the threshold
    NONE = "none"  # not found in the article


class Span(BaseModel):
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)
    text: str
    alignment: AlignmentStatus = AlignmentStatus.NONE

    @property
    def grounded(self) -> bool:
        return self.alignment != AlignmentStatus.NONE and self.start is not None


class GroundedActor(Actor):
    # After merging within an article an actor may carry more aliases than the model may give.
    aliases: list[str] = Field(default_factory=list)
    canonical_name: str = Field(
        default="", description="Name of the canonical actor this resolves to across articles."
    )
    mentions: list[Span] = Field(default_factory=list)


class GroundedEvent(Event):
    evidence_span: Span | None = None
    acled_event_type: str | None = None
    acled_sub_event_type: str | None = None


class GroundedQuote(Quote):
    span: Span | None = None
    speaker_span: Span | None = None


class GroundedExtraction(BaseModel):
    actors: list[GroundedActor] = Field(default_factory=list)
    events: list[GroundedEvent] = Field(default_factory=list)
    quotes: list[GroundedQuote] = Field(default_factory=list)
