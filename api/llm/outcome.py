"""What one extraction run produces, whatever the backend: the contract between the extractor,
the job queue, storage, the CLI and the eval runner."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.grounded import GroundedExtraction


class ArticleInput(BaseModel):
    """The article as the extractor sees it (text already normalised)."""

    text: str
    title: str | None = None
    published_at: dt.date | None = None
    dateline: str | None = None  # e.g. "AIN ISSA, Syria"


class Usage(BaseModel):
    """Tokens summed over every attempt, including failed ones."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens


class Provenance(BaseModel):
    prompt_id: str
    prompt_version: str
    prompt_sha256: str
    schema_sha256: str
    model: str
    base_url: str
    backend: str
    mode: str
    weights_sha256: str | None = None


class OutcomeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    INVALID = "invalid"  # the model never returned an answer that passed validation
    FAILED = "failed"  # transport error, timeout, missing recording, bug


class ExtractionOutcome(BaseModel):
    status: OutcomeStatus
    result: GroundedExtraction | None = None
    error: str | None = None
    attempts: int = 0  # model calls made (first call + re-asks + transport retries counted once)
    usage: Usage = Field(default_factory=Usage)
    latency_ms: int = 0
    raw_outputs: list[str] = Field(default_factory=list)  # every raw model answer, in order
    provenance: Provenance
