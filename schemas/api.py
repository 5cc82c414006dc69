"""The REST API's own request and response models (the model-facing schema is extraction.py).

Examples are drawn from seed article 004 (AFP, Raqa, 17 October 2017).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    UrlConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlmodel import SQLModel

from schemas.contract import PromptRef
from schemas.extraction import ActorFields, EventFields, QuoteFields
from schemas.grounded import ActorGrounding, EventGrounding, QuoteGrounding
from schemas.review import ReviewPublic, ReviewSummary
from schemas.text import clean_line, clean_submitted, has_content

T = TypeVar("T")

EXAMPLE_TEXT = (
    "US-backed forces on Sunday announced the \u201cfinal phase\u201d of the battle to retake "
    "Syria\u2019s Raqa, after the city was evacuated except for foreign Islamic State (IS) "
    "group fighters and their families.\n\n"
    "SDF spokesman Talal Sello said the 3,000 civilians had evacuated to areas controlled by "
    "the forces under a deal negotiated between local officials from the Raqa Civil Council "
    "(RCC) and Syrian IS fighters.\n\n"
    "\u201cOur stance was they either stay and fight or they surrender unconditionally,\u201d "
    "coalition spokesman Colonel Ryan Dillon said on Sunday."
)
# days a published_at may lie ahead of UTC today (time zones ahead of UTC)
PUBLISHED_AT_SLACK_DAYS = 1
URL_MAX_CHARS = 2083  # the longest URL browsers have accepted


def _utc(value: Any) -> Any:
    """SQLite returns naive datetimes: they are UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


UtcDatetime = Annotated[dt.datetime, BeforeValidator(_utc)]


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    """pydantic would read a number as a Unix timestamp; the API writes dates YYYY-MM-DD."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("a date is written YYYY-MM-DD, not as a number")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_not_a_number)]


def _date_of(value: Any) -> Any:
    """Accept a full timestamp for published_at and keep its date."""
    value = _not_a_number(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return value  # the date validator reports it
    return value


# ---- requests -------------------------------------------------------------------------------

# The one rule for a dateline header opening an article's text, as the seed articles have it
# (" date 2017-10-17 AFP, AIN ISSA, Syria": the date, the source, the place line). The API and
# the CLI both read it here (ArticleIn), so a file posted raw or given to `wirecoder extract`
# is the same article.
DATELINE_HEADER = re.compile(r"^\s*date[ \t]+(\d{4}-\d{2}-\d{2})[ \t]+([^,\n]+),[ \t]*([^\n]*)")


def header_fields(text: str) -> dict[str, str]:
    """published_at, source and dateline from a dateline header opening `text`; none when
    there is no header or its date is no date."""
    match = DATELINE_HEADER.match(text)
    if match is None:
        return {}
    day, source, dateline = match.groups()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return {}
    found = {"published_at": day, "source": source.strip(), "dateline": dateline.strip()}
    return {name: value for name, value in found.items() if value}


class ArticleMetadata(BaseModel):
    """An article's fields other than its text, validated and normalised by one rule for POST
    (ArticleIn) and PATCH (ArticlePatch)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=500)
    url: Annotated[AnyHttpUrl, UrlConstraints(max_length=URL_MAX_CHARS)] | None = None
    source: str | None = Field(default=None, max_length=200, description="e.g. AFP, Reuters")
    published_at: Annotated[dt.date | None, BeforeValidator(_date_of)] = Field(
        default=None,
        description="Publication date (or timestamp); relative dates ('on Sunday') are "
        "resolved against it. Must not lie in the future.",
    )
    dateline: str | None = Field(
        default=None, max_length=200, description="Place line, e.g. 'AIN ISSA, Syria'."
    )

    @field_validator("title", "source", "dateline")
    @classmethod
    def _clean_line(cls, value: str | None, info: ValidationInfo) -> str | None:
        """One line (schemas.text.clean_line); a value without content counts as absent."""
        if value is None:
            return None
        return clean_line(value, field=str(info.field_name)) or None

    @field_validator("published_at")
    @classmethod
    def _not_in_future(cls, value: dt.date | None) -> dt.date | None:
        latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=PUBLISHED_AT_SLACK_DAYS)
        if value is not None and value > latest:
            raise ValueError(f"published_at {value.isoformat()} is in the future")
        return value

    def metadata_fields(self) -> dict[str, Any]:
        """The fields as the Article row stores them (url a string)."""
        return {
            "title": self.title,
            "url": str(self.url) if self.url else None,
            "source": self.source,
            "published_at": self.published_at,
            "dateline": self.dateline,
        }


METADATA_FIELDS = tuple(ArticleMetadata.model_fields)
# what the extractor reads besides the text (schemas.contract.ArticleInput): changing one
# leaves the stored extraction coded against the old value
EXTRACTION_INPUT_FIELDS = frozenset({"title", "published_at", "dateline"})


class ArticleIn(ArticleMetadata):
    """A news article to extract events, actors and quotes from. A text whose first line is a
    dateline header (`date YYYY-MM-DD SOURCE, DATELINE`) keeps that line, and the header fills
    published_at, source and dateline where they are not given."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": EXAMPLE_TEXT,
                    "title": "US-backed forces announce 'final phase' of Raqa battle",
                    "url": "https://www.example.org/afp/2017/10/17/raqa-final-phase",
                    "source": "AFP",
                    "published_at": "2017-10-17",
                    "dateline": "AIN ISSA, Syria",
                }
            ]
        },
    )

    text: str = Field(
        description="The article's full text. Control characters are removed and a lone "
        "surrogate is refused; the text is then normalised (NFC, whitespace) before it is "
        "stored, hashed and offset into. Must have a visible character. A first line "
        "`date YYYY-MM-DD SOURCE, DATELINE` stays in the text and fills published_at, source "
        "and dateline where they are not given."
    )

    @model_validator(mode="before")
    @classmethod
    def _fields_from_header(cls, data: Any) -> Any:
        """A field given (not null) wins over the header's."""
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return data
        found = header_fields(data["text"])
        return {**data, **{k: v for k, v in found.items() if data.get(k) is None}}

    @field_validator("text")
    @classmethod
    def _clean_text(cls, text: str) -> str:
        """schemas.text.clean_submitted's rule; a text without content is refused."""
        text = clean_submitted(text, field="text")
        if not has_content(text):
            raise ValueError(
                "text is empty or only whitespace, zero-width or control characters: "
                "send the article's text"
            )
        return text

    def stored_fields(self) -> dict[str, Any]:
        """The article's fields as api.crud.get_or_create_article takes them (url a string)."""
        return {"text": self.text, **self.metadata_fields()}


class ArticlePatch(ArticleMetadata):
    """New values for some of an article's metadata: only the fields sent change, and a field
    sent as null is cleared. The text cannot change (an article is its text)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Raqa: the final phase", "source": "AFP"}]},
    )

    @model_validator(mode="before")
    @classmethod
    def _not_the_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and "text" in data:
            raise ValueError(
                "text cannot be patched: the article is its text (its content hash, the "
                "offsets and every extraction rest on it); POST the corrected text as a new "
                "article, and DELETE this one if it should go"
            )
        return data

    def changes(self) -> dict[str, Any]:
        """The fields sent, as the Article row stores them."""
        return {k: v for k, v in self.metadata_fields().items() if k in self.model_fields_set}


class ArticleBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[ArticleIn] = Field(min_length=1, max_length=100)


# ---- jobs -----------------------------------------------------------------------------------


class JobRef(BaseModel):
    """The article's extraction job as it stands; a job that did not succeed says why (the
    whole job, with its provenance and usage: GET `url`)."""

    id: int
    status: str = Field(
        examples=["queued"], description="queued, running, succeeded, invalid or failed"
    )
    extraction_key: str
    url: str = Field(examples=["/v1/jobs/1"])
    error: str | None = Field(
        description="Why the job failed or its answer was invalid; null otherwise."
    )
    attempts: int = Field(description="Model calls, summed over job-level tries.")
    job_attempts: int = Field(description="Job-level tries of the latest request.")


class JobSummary(BaseModel):
    """A job in a list: read from the job row's attributes (`model_validate(job)`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str = Field(description="queued, running, succeeded, invalid or failed")
    is_current: bool = Field(description="This is the article's current extraction.")
    prompt: PromptRef
    model: str
    attempts: int = Field(description="Model calls, summed over job-level tries.")
    job_attempts: int = Field(description="Job-level tries of the latest request.")
    finished_at: UtcDatetime | None
    error: str | None = Field(description="Why the job failed or its answer was invalid.")
    reviewed_from_job_id: int | None = Field(
        default=None,
        description="Set on a reviewed version: the model's job it was corrected from "
        "(a reviewed version is no model run).",
    )


class JobPublic(JobSummary):
    """An extraction job with its full provenance."""

    article_id: int
    extraction_key: str
    workflow_id: str
    schema_sha256: str
    base_url: str
    backend: str
    mode: str
    weights_sha256: str | None
    requests: int = Field(description="Times queued: the first submission plus re-runs.")
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    latency_ms: int
    raw_outputs: list[str] | None = Field(
        description="Every raw model answer, in order; null unless the caller's API key has "
        "the admin scope."
    )
    created_at: UtcDatetime
    started_at: UtcDatetime | None


# ---- extraction: the stored items, with the schemas' own fields ------------------------------


class ActorPublic(SQLModel, ActorFields, ActorGrounding):
    id: int
    aliases: list[str] = Field(examples=[["SDF"]])  # merged actors carry every alias
    canonical_actor_id: int | None
    canonical_name: str | None


class EventActorPublic(BaseModel):
    name: str = Field(examples=["SDF"])
    actor_id: int | None = Field(description="The article actor it names.")
    canonical_actor_id: int | None
    canonical_name: str | None


class EventPublic(SQLModel, EventFields, EventGrounding):
    id: int
    article_id: int
    job_id: int
    sources: list[EventActorPublic]
    targets: list[EventActorPublic]


class QuotePublic(SQLModel, QuoteFields, QuoteGrounding):
    id: int
    article_id: int
    job_id: int
    speaker_actor_id: int | None
    canonical_actor_id: int | None
    canonical_name: str | None


class ExtractionPublic(BaseModel):
    version: Literal["model", "reviewed"] = Field(
        default="model",
        description="Which version this is: the model's, or an analyst's reviewed one "
        "(served by default once it exists; `?version=model` reads the model's).",
    )
    review: ReviewSummary | None = Field(
        default=None, description="The review that made this version (reviewed only)."
    )
    job: JobSummary
    actors: list[ActorPublic]
    events: list[EventPublic]
    quotes: list[QuotePublic]


class ReviewCreated(BaseModel):
    review: ReviewPublic
    extraction: ExtractionPublic = Field(description="The reviewed version, served from now.")


# ---- articles -------------------------------------------------------------------------------


MetadataOutcome = Literal["new", "same", "kept", "updated"]


class ArticleSubmitted(BaseModel):
    """The stored article and its extraction job (and, with ?wait, the finished extraction)."""

    article_id: int
    article_created: bool = Field(description="False when the same text was stored before.")
    metadata: MetadataOutcome = Field(
        default="new",
        description="What became of the metadata sent (title, url, source, published_at, "
        "dateline; a dateline header's fields count as sent): `new` this request stored the "
        "article; `same` the text was known and every field sent equals the stored one; "
        "`kept` the text was known, the fields in `metadata_differs` differ and the stored "
        "values were kept; `updated` they differed and `?on_conflict=update` stored the sent "
        "ones.",
    )
    metadata_differs: list[str] = Field(
        default_factory=list,
        examples=[[]],
        description="The fields sent whose value differs from the stored one (a field not "
        "sent is never a difference).",
    )
    job: JobRef
    extraction: ExtractionPublic | None = None


class ArticleBatchSubmitted(BaseModel):
    items: list[ArticleSubmitted]


class ArticleSummary(SQLModel):
    """An article without its text: read from the article row (`model_validate(article)`)."""

    id: int
    content_hash: str
    title: str | None
    url: str | None
    source: str | None
    published_at: dt.date | None
    dateline: str | None
    chars: int
    created_at: UtcDatetime


class ArticlePublic(ArticleSummary):
    text: str
    extraction: ExtractionPublic | None = Field(
        description="The current extraction: the latest that succeeded."
    )
    jobs: list[JobSummary] = Field(description="Every extraction job, newest first.")


class ArticleUpdated(ArticlePublic):
    """The article after a PATCH, and whether its extraction still fits it."""

    changed: list[str] = Field(
        examples=[["title"]], description="The fields whose stored value changed."
    )
    extraction_outdated: bool = Field(
        description="True when title, published_at or dateline changed and the article has "
        "an extraction: the extractor read the old value (dates resolve against "
        "published_at or the dateline, places are looked for in the dateline's country, the "
        "title is in the model's prompt). Nothing is re-run by itself: POST "
        "/v1/articles/{id}/extract re-codes it."
    )


# ---- browse ---------------------------------------------------------------------------------


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


class CanonicalActorPublic(SQLModel):
    id: int
    name: str = Field(examples=["Syrian Democratic Forces"])
    kind: str | None
    country: str | None
    aliases: list[str] = Field(examples=[["SDF", "Syrian Democratic Forces"]])
    articles: int = Field(description="Articles whose current extraction mentions it.")
    events: int
    quotes: int


class QueueHealth(BaseModel):
    name: str = Field(examples=["dbos"], description="dbos, or inline (the CLI and tests).")
    concurrency: int = Field(examples=[1], description="Jobs at once, across all workers.")
    rate_limit: str = Field(examples=["30/60s"], description="Jobs started per period.")
    worker_in_api: bool = Field(
        description="Whether this process works the queue (else `wirecoder worker`s do)."
    )


class Health(BaseModel):
    """Liveness, and what new extractions run with. Nothing here is probed: /health/ready."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "backend": "local",
                    "model": "qwen2.5-coder-0.5b",
                    "base_url": "http://127.0.0.1:8765/v1",
                    "prompt": "extract@v3",
                    "database": "sqlite",
                    "queue": {
                        "name": "dbos",
                        "concurrency": 1,
                        "rate_limit": "30/60s",
                        "worker_in_api": True,
                    },
                }
            ]
        }
    )

    status: str = Field(examples=["ok"])
    backend: str = Field(examples=["local"], description="local, openai or replay.")
    model: str = Field(
        examples=["qwen2.5-coder-0.5b"],
        description="The model asked; with replay, the one whose recorded answers are served.",
    )
    base_url: str | None = Field(
        examples=["http://127.0.0.1:8765/v1"],
        description="The server model calls go to, without credentials; null with replay.",
    )
    prompt: str = Field(examples=["extract@v3"])
    database: str = Field(examples=["sqlite"], description="The database's dialect.")
    queue: QueueHealth


class ReadinessCheck(BaseModel):
    ok: bool
    detail: str = Field(examples=["answered in 3 ms"])


class Readiness(BaseModel):
    """Whether this process can take articles: its database and its model both answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "database": {"ok": True, "detail": "answered in 2 ms"},
                    "model": {
                        "ok": True,
                        "detail": "http://127.0.0.1:8765/v1/models answered in 4 ms",
                    },
                }
            ]
        }
    )

    status: str = Field(examples=["ready"], description="ready, or not ready (a 503).")
    database: ReadinessCheck
    model: ReadinessCheck
