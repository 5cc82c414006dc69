"""Run an extractor over gold cases into a self-describing run record, and re-score records.

A run record is one JSON file: its spec first (what ran: code, data, prompt, schema, model,
scorer), then every case's full extraction outcome and scores, then the aggregates. Everything
needed to score is in it, so `score` can re-score it with changed scorers without calling a
model (the openai/evals log pattern).
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import multiprocessing
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager, redirect_stderr
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from time import perf_counter

from pydantic import BaseModel, Field, computed_field
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.config import PROJECT_ROOT
from evals.gold import GoldCase, dataset_hash
from evals.scorers import KINDS, SCORER_VERSION, score_case
from evals.scores import CaseScore, Ratio, Scores, total_scores
from schemas.contract import (
    ArticleInput,
    ExtractionOutcome,
    ExtractorLike,
    OutcomeStatus,
    Provenance,
)

RUN_RECORD_VERSION = 1
RUNS_DIR = PROJECT_ROOT / "evals" / "runs"


class DatasetMismatch(ValueError):
    """The gold cases differ from those a run was made on."""


class RunSpec(BaseModel):
    """What ran. Two runs with equal specs but different scores differ only in the model's
    sampling (or a bug)."""

    record_version: int = RUN_RECORD_VERSION
    wirecoder_version: str
    git_sha: str | None
    git_dirty: bool | None  # tracked files changed since git_sha
    split: str  # dev, test or all
    dataset_hash: str  # evals.gold.dataset_hash of exactly the cases run
    case_ids: list[str]
    provenance: Provenance  # prompt id/version/sha, schema sha, model, backend, base_url, mode
    scorer_version: str = SCORER_VERSION
    concurrency: int = 1  # articles in flight in each process (threads)
    processes: int = 1  # forked extraction processes (replay runs)
    started_at: dt.datetime
    finished_at: dt.datetime
    scored_at: dt.datetime | None = None  # set when `score` re-scored a stored run

    @property
    def prompt_ref(self) -> str:
        return self.provenance.prompt.label


class CaseRecord(BaseModel):
    case_id: str
    phenomena: list[str] = Field(default_factory=list)
    outcome: ExtractionOutcome
    score: CaseScore

    @property
    def mean_f1(self) -> float:
        return self.score.headline_f1


class Aggregates(BaseModel):
    cases: int
    scores: Scores  # micro totals over cases
    schema_valid: Ratio  # cases whose extraction succeeded
    mean_attempts: float
    tokens_per_article: float
    mean_latency_ms: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def headline_f1(self) -> float:
        return self.scores.headline_f1

    def metrics(self) -> dict[str, float | None]:
        """Every figure by a flat name, in display order: what reports print and compare diffs."""
        s = self.scores
        out: dict[str, float | None] = {"headline_f1": s.headline_f1}
        for kind in (*KINDS, "quotes_exact"):
            counts = getattr(s, kind)
            out[f"{kind}_f1"] = counts.f1
            out[f"{kind}_precision"] = counts.precision
            out[f"{kind}_recall"] = counts.recall
        for name in (
            "quote_speaker",
            "quote_kind",
            "actor_kind",
            "event_roles",
            "event_date",
            "event_location",
            "event_mode",
            "event_status",
            "event_fatalities",
        ):
            out[f"{name}_accuracy"] = getattr(s, name).value
        out["grounding_rate"] = s.grounding.value
        out["exact_grounding_rate"] = s.exact_grounding.value
        out["schema_valid_rate"] = self.schema_valid.value
        out["mean_attempts"] = self.mean_attempts
        out["tokens_per_article"] = self.tokens_per_article
        out["mean_latency_ms"] = self.mean_latency_ms
        return out


class RunRecord(BaseModel):
    spec: RunSpec
    cases: list[CaseRecord]
    aggregates: Aggregates

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def aggregate(cases: Sequence[CaseRecord]) -> Aggregates:
    n = len(cases)
    outcomes = [c.outcome for c in cases]
    return Aggregates(
        cases=n,
        scores=total_scores(c.score for c in cases),
        schema_valid=Ratio(
            correct=sum(o.status == OutcomeStatus.SUCCEEDED for o in outcomes), total=n
        ),
        mean_attempts=sum(o.attempts for o in outcomes) / n if n else 0.0,
        tokens_per_article=sum(o.usage.total_tokens for o in outcomes) / n if n else 0.0,
        mean_latency_ms=sum(o.latency_ms for o in outcomes) / n if n else 0.0,
    )


def _case_record(case: GoldCase, outcome: ExtractionOutcome) -> CaseRecord:
    predicted = outcome.result if outcome.status == OutcomeStatus.SUCCEEDED else None
    return CaseRecord(
        case_id=case.id,
        phenomena=[str(p) for p in case.phenomena],
        outcome=outcome,
        score=score_case(predicted, case.expected),
    )


def _failed(extractor: ExtractorLike, error: BaseException, latency_ms: int) -> ExtractionOutcome:
    return ExtractionOutcome(
        status=OutcomeStatus.FAILED,
        error=f"{type(error).__name__}: {error}",
        latency_ms=latency_ms,
        provenance=extractor.provenance,
    )


def _extract(extractor: ExtractorLike, article: ArticleInput) -> ExtractionOutcome:
    """An extractor is meant to return failures as outcomes; one that raises anyway must not
    lose the rest of the run, so the exception becomes this article's failed outcome."""
    started = perf_counter()
    try:
        return extractor.extract(article)
    except Exception as exc:
        return _failed(extractor, exc, round((perf_counter() - started) * 1000))


# What the forked extraction processes inherit, set just before they are forked: neither the
# extractor (a spaCy pipeline, a client) nor the articles are pickled; an index goes to a
# process and an outcome comes back.
_forked_work: tuple[ExtractorLike, Sequence[ArticleInput]] | None = None


def _extract_forked(index: int) -> tuple[ExtractionOutcome, str]:
    """One article in a forked process, and what it logged: the parent writes that itself,
    so log lines land above its progress bar instead of through it."""
    assert _forked_work is not None, "runs only in a process that extract_all forked"
    extractor, articles = _forked_work
    with redirect_stderr(io.StringIO()) as logged:  # the logs write to the sys.stderr of the moment
        outcome = _extract(extractor, articles[index])
    return outcome, logged.getvalue()


def _extract_in_thread(
    extractor: ExtractorLike, article: ArticleInput
) -> tuple[ExtractionOutcome, str]:
    return _extract(extractor, article), ""  # its logs went to stderr, the bar's while it runs


Submit = Callable[[int], "Future[tuple[ExtractionOutcome, str]]"]


@contextmanager
def _workers(
    extractor: ExtractorLike, articles: Sequence[ArticleInput], concurrency: int, processes: int
) -> Iterator[Submit]:
    """A function that starts article i's extraction: in a thread, or in a forked process."""
    if processes == 1:
        with ThreadPoolExecutor(max_workers=concurrency) as threads:
            yield lambda i: threads.submit(_extract_in_thread, extractor, articles[i])
        return
    global _forked_work
    _forked_work = (extractor, articles)
    # fork, not spawn: a process starts as a copy of this one, the extractor built (a spawned
    # one would import and build it again: seconds). The pool forks them all at the first
    # submit, before it starts a thread of its own.
    fork = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=processes, mp_context=fork) as pool:
            try:
                yield lambda i: pool.submit(_extract_forked, i)
            except BaseException:  # Ctrl-C: stop, rather than extract what is still queued
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        _forked_work = None


def extract_all(
    articles: Sequence[tuple[str, ArticleInput]],
    extractor: ExtractorLike,
    *,
    concurrency: int = 1,
    processes: int = 1,
    progress: bool = True,
    label: str = "eval",
) -> list[ExtractionOutcome]:
    """Extract (key, article) pairs, at most `concurrency` at once (1 suits a local model on a
    small machine), with a progress bar on stderr. Outcomes come back in the given order.

    `processes` > 1 extracts in that many forked processes instead: the pipeline is CPU-bound
    and holds the GIL, so threads only help while a model is slow to answer. It is meant for
    replayed answers (no sockets, no recordings written); the outcomes are a sequential run's
    but for their latencies. A process that dies fails the articles it had not returned."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if processes < 1:
        raise ValueError("processes must be at least 1")
    if processes > 1 and concurrency > 1:
        raise ValueError("extract in several processes or in several threads, not both")
    inputs = [article for _, article in articles]
    processes = max(1, min(processes, len(inputs)))  # a process with nothing to do: no fork
    outcomes: dict[int, ExtractionOutcome] = {}
    bar = Progress(
        TextColumn(f"[bold]{label}[/bold] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not progress,
    )
    order: Sequence[int] = range(len(inputs))
    if processes > 1:  # longest first, so no process is left with a long one at the end
        order = sorted(order, key=lambda i: -len(inputs[i].text))
    with _workers(extractor, inputs, concurrency, processes) as submit:
        futures = {submit(i): i for i in order}  # forks before the bar starts its thread
        with bar:
            task = bar.add_task("", total=len(articles))
            for future in as_completed(futures):
                i = futures[future]
                try:
                    outcomes[i], logged = future.result()
                except Exception as error:  # its process died (BrokenProcessPool) or the like
                    outcomes[i], logged = _failed(extractor, error, latency_ms=0), ""
                sys.stderr.write(logged)  # the bar's stderr while it runs: above the bar
                bar.update(task, advance=1, description=f"{articles[i][0]}: {outcomes[i].status}")
    return [outcomes[i] for i in range(len(articles))]


def _split_of(cases: Sequence[GoldCase]) -> str:
    splits = {c.split for c in cases}
    return splits.pop() if len(splits) == 1 else "all"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _wirecoder_version() -> str:
    try:
        return version("wirecoder")
    except PackageNotFoundError:
        return "unknown"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def freeze_long_lived() -> None:
    """Hide what is alive now (the parse pipeline, schemas and modules a run keeps till it
    exits) from the garbage collector: later collections stop re-scanning it and the exit
    stops taking it apart (measured: about 0.7 s of a 6 s gold run). Call once per process,
    after the extractor is built, before extract_all forks.

    No collection first: after a build it finds ~140 unreachable objects among ~280,000 and
    takes ~0.15 s; freezing that garbage costs a few kB till exit."""
    gc.freeze()


def run_eval(
    cases: Sequence[GoldCase],
    extractor: ExtractorLike,
    *,
    concurrency: int = 1,
    processes: int = 1,
    progress: bool = True,
) -> RunRecord:
    """Extract every case (see extract_all: threads, or forked processes for replayed answers)
    and score it. Cases keep their given order in the record."""
    started_at = _now()
    outcomes = extract_all(
        [(case.id, ArticleInput.of(case)) for case in cases],
        extractor,
        concurrency=concurrency,
        processes=processes,
        progress=progress,
    )
    records = [_case_record(case, o) for case, o in zip(cases, outcomes, strict=True)]
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    spec = RunSpec(
        wirecoder_version=_wirecoder_version(),
        git_sha=_git("rev-parse", "HEAD"),
        git_dirty=None if dirty is None else bool(dirty),
        split=_split_of(cases),
        dataset_hash=dataset_hash(cases),
        case_ids=[c.id for c in cases],
        provenance=extractor.provenance,
        concurrency=concurrency,
        processes=min(processes, len(cases)) or 1,  # extract_all forks no idle process
        started_at=started_at,
        finished_at=_now(),
    )
    return RunRecord(spec=spec, cases=records, aggregates=aggregate(records))


def score(
    record: RunRecord, cases: Sequence[GoldCase], *, allow_dataset_change: bool = False
) -> RunRecord:
    """Re-score a stored run against gold cases with the current scorers; no model is called.

    `cases` may hold more than the run's cases (e.g. the whole gold set); the run's are picked
    by id. If their labels changed since the run (dataset hash differs) this refuses, unless
    `allow_dataset_change`, which warns and records the new hash.
    """
    by_id = {c.id: c for c in cases}
    missing = [i for i in record.spec.case_ids if i not in by_id]
    if missing:
        raise DatasetMismatch(f"gold cases missing for this run: {', '.join(missing)}")
    selected = [by_id[i] for i in record.spec.case_ids]
    current_hash = dataset_hash(selected)
    if current_hash != record.spec.dataset_hash:
        message = (
            f"the gold labels changed since this run (dataset hash {record.spec.dataset_hash[:12]}"
            f" then, {current_hash[:12]} now)"
        )
        if not allow_dataset_change:
            raise DatasetMismatch(message + "; re-run it, or re-score with the new labels")
        warnings.warn(message + "; scoring with the new labels", stacklevel=2)
    records = [_case_record(by_id[c.case_id], c.outcome) for c in record.cases]
    spec = record.spec.model_copy(
        update={"dataset_hash": current_hash, "scorer_version": SCORER_VERSION, "scored_at": _now()}
    )
    return RunRecord(spec=spec, cases=records, aggregates=aggregate(records))


def default_run_path(record: RunRecord, runs_dir: Path = RUNS_DIR) -> Path:
    """evals/runs/<UTC timestamp>-<model>-<prompt id@version>.json (names made file-safe)."""
    stamp = record.spec.started_at.strftime("%Y%m%dT%H%M%SZ")
    name = f"{stamp}-{record.spec.provenance.model}-{record.spec.prompt_ref}"
    return runs_dir / (re.sub(r"[^A-Za-z0-9._@-]+", "_", name) + ".json")


def resolve_run_path(out: str | None, record: RunRecord) -> Path:
    """Where `eval run --out` writes: the default path when none is given; inside `out` under
    the default name when it is a folder (an existing one, or a path ending in a separator,
    made if need be); else `out` itself, as a file."""
    if out is None:
        return default_run_path(record, RUNS_DIR)  # looked up now, so tests can move it
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)):
        return default_run_path(record, path)
    return path
