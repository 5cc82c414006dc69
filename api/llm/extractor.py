"""One article in, one ExtractionOutcome out: chunks, the prompt's pipeline, enrichment.

Built once (in the app's lifespan, the worker, the CLI or the eval runner) from Settings; then
`extract(article)` never raises for a model failure: it returns an outcome whose status says
what happened (succeeded / invalid / failed) with attempts, tokens and every raw answer.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import httpx2
import openai
import structlog
from instructor.core import IncompleteOutputException, InstructorRetryException

from api.config import LLMBackend, Settings
from api.llm.actors import AliasTable
from api.llm.calls import CallLog, ModelCaller
from api.llm.chunking import combine, drop_overlap_duplicates, split_into_chunks
from api.llm.client import build_client, weights_sha256_for
from api.llm.dates import parse_dateline
from api.llm.enrichment import ArticleContext, enrich
from api.llm.gazetteer import load_gazetteer
from api.llm.pipelines import ArticleChunk, Pipeline, Resources, pipeline_for
from api.llm.prompts import load_prompt
from api.llm.recording import RecordingMeta, RecordingMissing, public_url
from api.llm.transport import CallStats, track_calls
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus, Provenance, Usage
from schemas.extraction import ArticleExtraction

log = structlog.get_logger(__name__)

_E = TypeVar("_E", bound=BaseException)
_STATUS_RANK = {OutcomeStatus.SUCCEEDED: 0, OutcomeStatus.INVALID: 1, OutcomeStatus.FAILED: 2}


@dataclass
class _ChunkResult:
    status: OutcomeStatus
    extraction: ArticleExtraction | None
    error: str | None
    calls: CallLog
    stats: CallStats
    retryable: bool = True


class Extractor:
    """Holds the model client, the prompt's pipeline and the alias table; extracts one article
    at a time (safe to share between threads: per-call state lives in hooks and context
    variables). It only chunks, runs the pipeline, enriches and builds the outcome."""

    def __init__(
        self,
        settings: Settings,
        *,
        network: httpx2.BaseTransport | None = None,
        aliases: AliasTable | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """`network` replaces the real HTTP network below the retry / record / replay layers
        (tests pass an httpx2.MockTransport); `sleep` is the transport's backoff sleep."""
        self.settings = settings
        self.prompt = load_prompt(settings.prompt_id, settings.prompt_version)
        factory = pipeline_for(self.prompt)  # the prompt file declares its pipeline
        self.aliases = aliases if aliases is not None else AliasTable.load(settings.aliases_file)
        self.gazetteer = load_gazetteer(settings.cache_dir)  # opened on the first lookup
        self.provenance = Provenance(
            prompt_id=self.prompt.ref.id,
            prompt_version=self.prompt.ref.version,
            prompt_sha256=self.prompt.ref.sha256,
            schema_sha256=factory.schema_sha256(),
            model=settings.resolved_llm_model,
            base_url=public_url(settings.resolved_llm_base_url),
            backend=settings.llm_backend.value,
            mode=settings.llm_mode,
            weights_sha256=weights_sha256_for(settings),
        )
        meta = RecordingMeta(
            **self.provenance.model_dump(include=set(RecordingMeta.model_fields)),
            prompt=self.prompt.ref,
        )
        self.client = build_client(settings, meta=meta, network=network, sleep=sleep)
        caller = ModelCaller(
            client=self.client,
            model=self.provenance.model,
            max_reasks=settings.llm_max_reasks,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
        )
        resources = Resources(aliases=self.aliases, gazetteer=self.gazetteer)
        self.pipeline: Pipeline = factory(self.prompt, caller, resources)

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        started = time.perf_counter()
        article_date = article_date_of(article)
        pieces = split_into_chunks(
            article.text, self.settings.chunk_chars, self.settings.chunk_overlap_chars
        )
        chunks = [
            ArticleChunk(
                text=piece.text,
                title=article.title,
                dateline=article.dateline,
                article_date=article_date,
                number=number,
                count=len(pieces),
            )
            for number, piece in enumerate(pieces, start=1)
        ]
        results = [self._extract_chunk(chunk) for chunk in chunks]
        status = max((r.status for r in results), key=_STATUS_RANK.__getitem__)
        errors = [
            f"chunk {n} of {len(results)}: {r.error}" if len(results) > 1 else r.error
            for n, r in enumerate(results, start=1)
            if r.error
        ]
        usage = Usage()
        for r in results:
            usage.add(r.calls.usage.prompt_tokens, r.calls.usage.completion_tokens)
        extractions = [r.extraction for r in results if r.extraction is not None]
        result = None
        if extractions:
            answer = combine(extractions) if len(extractions) > 1 else extractions[0]
            context = ArticleContext(
                text=article.text,
                article_date=article_date,
                dateline=article.dateline,
                aliases=self.aliases,
                gazetteer=self.gazetteer,
            )
            grounded = enrich(answer, context)
            result = drop_overlap_duplicates(grounded) if len(chunks) > 1 else grounded
        outcome = ExtractionOutcome(
            status=status,
            result=result,  # partial when a chunk failed; stored only when succeeded
            error="; ".join(e for e in errors if e) or None,
            retryable=all(r.retryable for r in results),
            attempts=sum(r.calls.attempts for r in results),
            usage=usage,
            latency_ms=round((time.perf_counter() - started) * 1000),
            raw_outputs=[raw for r in results for raw in r.calls.raw_outputs],
            provenance=self._provenance([r.stats for r in results]),
        )
        log.info(
            "extraction finished",
            status=outcome.status.value,
            chunks=len(chunks),
            attempts=outcome.attempts,
            transport_retries=sum(r.stats.transport_retries for r in results),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            latency_ms=outcome.latency_ms,
        )
        return outcome

    def _extract_chunk(self, chunk: ArticleChunk) -> _ChunkResult:
        calls = CallLog()
        with track_calls() as stats:
            try:
                extraction = self.pipeline.extract(chunk, calls)
            except Exception as error:  # a model failure is an outcome, never an exception
                failure = classify_failure(error, calls, self.settings.llm_max_tokens)
                return _ChunkResult(
                    failure.status, None, failure.reason, calls, stats, failure.retryable
                )
        return _ChunkResult(OutcomeStatus.SUCCEEDED, extraction, None, calls, stats)

    def _provenance(self, stats: list[CallStats]) -> Provenance:
        """For replayed answers, the weights sha is the recording's: who really answered."""
        if self.settings.llm_backend != LLMBackend.REPLAY:
            return self.provenance
        shas = {m.get("weights_sha256") for s in stats for m in s.replayed}
        if len(shas) == 1:
            return self.provenance.model_copy(update={"weights_sha256": shas.pop()})
        return self.provenance


def article_date_of(article: ArticleInput) -> dt.date | None:
    """The date relative dates resolve against: published_at, else a date in the dateline or
    in the article's first or last lines."""
    if article.published_at is not None:
        return article.published_at
    return parse_dateline(article.dateline or "") or parse_dateline(article.text)


class Failure(NamedTuple):
    status: OutcomeStatus
    reason: str
    retryable: bool = True  # whether another job-level try could end otherwise


def classify_failure(error: Exception, calls: CallLog, max_tokens: int) -> Failure:
    """INVALID when the model answered but never passed validation; FAILED otherwise, and
    permanently so for a replay miss."""
    if isinstance(error, IncompleteOutputException):
        return Failure(OutcomeStatus.INVALID, f"answer cut off at max_tokens={max_tokens}")
    cause = error.__cause__ if isinstance(error, InstructorRetryException) else error
    missing = _find_in_chain(error, RecordingMissing)
    if missing is not None:
        return Failure(OutcomeStatus.FAILED, str(missing), retryable=False)
    # instructor re-asks only parse errors (pydantic ValidationError, JSON errors,
    # ResponseParsingError): all ValueErrors.
    if isinstance(cause, ValueError) and calls.last_parse_error is not None:
        return Failure(
            OutcomeStatus.INVALID,
            f"no valid answer after {calls.attempts} attempts; last validation error: "
            f"{calls.last_parse_error}",
        )
    root = cause if cause is not None else error
    if isinstance(root, openai.BadRequestError) and calls.last_parse_error is not None:
        # a re-ask the server refuses (its conversation outgrew the context window): the
        # model still never gave a valid answer, and running the job again won't change that
        return Failure(
            OutcomeStatus.INVALID,
            f"no valid answer after {calls.attempts} attempts; the server refused the last "
            f"re-ask ({root}); last validation error: {calls.last_parse_error}",
        )
    reason = f"{type(root).__name__}: {root}"
    if root.__cause__ is not None:  # e.g. APIConnectionError from the transport's last error
        reason += f" ({type(root.__cause__).__name__}: {root.__cause__})"
    return Failure(OutcomeStatus.FAILED, reason)


def _find_in_chain(error: BaseException, kind: type[_E]) -> _E | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
