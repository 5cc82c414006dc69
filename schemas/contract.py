"""What one extraction run takes and produces, whatever the backend: the contract between the
extractor, the job queue, storage, the CLI and the eval runner (they all import it from here,
so storage never imports the model layer)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Text
from sqlmodel import Field as SQLField

from schemas.grounded import GroundedExtraction


class ArticleInput(BaseModel):
    """The article as the extractor sees it (text already normalised)."""

    model_config = ConfigDict(from_attributes=True)

    text: str
    title: str | None = None
    published_at: dt.date | None = None
    dateline: str | None = None  # e.g. "AIN ISSA, Syria"

    @classmethod
    def of(cls, source: Any) -> ArticleInput:
        """From anything that carries an article's text, title, published_at and dateline: a
        stored Article, a gold case, an external benchmark document."""
        return cls.model_validate(source, from_attributes=True)


class PromptRef(BaseModel):
    """Which prompt text produced an extraction."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(examples=["extract"])
    version: str = Field(examples=["v2"])
    sha256: str

    @property
    def label(self) -> str:
        """`extract@v2`"""
        return f"{self.id}@{self.version}"

    @property
    def full(self) -> str:
        """`extract@v2+<sha256>`: names the exact text (the extraction key uses it)."""
        return f"{self.label}+{self.sha256}"


class Provenance(BaseModel):
    """Who extracted: the prompt, the schema the model was given, the model and its server.
    The job table carries these same columns (api.models.ExtractionJob)."""

    prompt_id: str = SQLField(sa_type=String(100))
    prompt_version: str = SQLField(sa_type=String(40))
    prompt_sha256: str = SQLField(sa_type=String(64))
    schema_sha256: str = SQLField(sa_type=String(64))
    model: str = SQLField(sa_type=String(200))
    base_url: str = SQLField(sa_type=Text)
    backend: str = SQLField(sa_type=String(40))
    mode: str = SQLField(sa_type=String(40))
    weights_sha256: str | None = SQLField(default=None, sa_type=String(64))

    @property
    def prompt(self) -> PromptRef:
        return PromptRef(id=self.prompt_id, version=self.prompt_version, sha256=self.prompt_sha256)


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


class OutcomeStatus(StrEnum):
    SUCCEEDED = "succeeded"
    INVALID = "invalid"  # the model never returned an answer that passed validation
    FAILED = "failed"  # transport error, timeout, missing recording, bug


class ExtractionOutcome(BaseModel):
    status: OutcomeStatus
    result: GroundedExtraction | None = None
    error: str | None = None
    # False for a failure that another try cannot change (the replay backend has no answer
    # for the request, the job was queued for another extractor): the job ends failed now
    retryable: bool = True
    attempts: int = 0  # model calls made (first call + re-asks + transport retries counted once)
    usage: Usage = Field(default_factory=Usage)
    latency_ms: int = 0
    raw_outputs: list[str] = Field(default_factory=list)  # every raw model answer, in order
    provenance: Provenance


class ExtractorLike(Protocol):
    """What jobs and the eval runner need from an extractor (api.llm.extractor.Extractor;
    tests pass fakes). `provenance` is known before extracting: its prompt, schema sha, model
    and base_url make the extraction key."""

    @property
    def provenance(self) -> Provenance: ...

    def extract(self, article: ArticleInput) -> ExtractionOutcome: ...
