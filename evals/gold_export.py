"""Reviewed articles as gold files (`wirecoder eval gold export`): an analyst's corrections
grow the eval set from the news users really process.

Each article whose served version is reviewed (api.review) becomes one case in the gold
format (evals/gold.py, the labelling guide evals/README.md): the article's text, date and
dateline, and the reviewed actors, events and quotes. Strings are written as the article has
them (evidence and quote text are the located spans' own text), actor aliases that do not
occur in the text as whole words are left out (the gold format requires every alias to), a
speaker mention that does not occur outside its quote is dropped, and every offset is then
computed again by the gold loader's `fill_offsets`, so a file that is written loads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from api.llm.extractor import article_date_of
from api.models import Article, ExtractionJob, Review
from api.review_changes import served_extraction
from evals.gold import GoldCase, Split, fill_offsets, parse_case, write_case
from schemas.contract import ArticleInput
from schemas.grounded import GroundedExtraction, GroundedQuote, Span

TITLE_CHARS = 120


class NotExportable(ValueError):
    """An article that cannot become a gold case (no review, no date), with why."""


@dataclass(frozen=True)
class Exported:
    article_id: int
    path: Path
    case: GoldCase


def reviewed_article_ids(session: Session) -> list[int]:
    """Articles whose served version is a reviewed one."""
    query = select(ExtractionJob.article_id).where(
        col(ExtractionJob.is_current), col(ExtractionJob.reviewed_from_job_id).is_not(None)
    )
    return sorted(set(session.exec(query).all()))


def case_id(article_id: int) -> str:
    return f"reviewed-article-{article_id}"


def gold_case(session: Session, article: Article, *, split: Split = "dev") -> GoldCase:
    """The article's reviewed version as a gold case, offsets checked (NotExportable if not)."""
    assert article.id is not None
    job = session.exec(
        select(ExtractionJob).where(
            ExtractionJob.article_id == article.id, col(ExtractionJob.is_current)
        )
    ).first()
    if job is None or job.reviewed_from_job_id is None:
        raise NotExportable(f"article {article.id} has no reviewed version")
    review = session.exec(select(Review).where(Review.job_id == job.id)).one()
    published = article_date_of(ArticleInput.of(article))
    if published is None:
        raise NotExportable(
            f"article {article.id} has no date (published_at, or one in its dateline or text): "
            "a gold case resolves dates against it; PATCH its published_at first"
        )
    text = article.text
    expected = _as_labelled(served_extraction(session=session, job=job).extraction(), text)
    note = f"exported from wirecoder review {review.id} by {review.reviewer}, "
    note += f"{review.created_at:%Y-%m-%d}" + (f": {review.note}" if review.note else "")
    raw: dict[str, Any] = {
        "id": case_id(article.id),
        "split": split,
        "phenomena": [],
        "title": article.title or _first_line(text),
        "source": article.source or "unknown",
        "url": article.url,
        "published_at": published.isoformat(),
        "dateline": article.dateline,
        "text": text,
        "expected": expected.model_dump(mode="json"),
        "notes": note,
    }
    return fill_offsets(parse_case(raw))


def export_gold(
    session: Session, out_dir: Path, article_ids: Sequence[int] | None = None, split: Split = "dev"
) -> tuple[list[Exported], list[str]]:
    """Write a gold file per reviewed article (all of them, or `article_ids`) into `out_dir`.
    Returns what was written and, per article that could not be, why."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = list(article_ids) if article_ids else reviewed_article_ids(session)
    written: list[Exported] = []
    problems: list[str] = []
    for article_id in ids:
        article = session.get(Article, article_id)
        if article is None:
            problems.append(f"article {article_id} not found")
            continue
        try:
            case = gold_case(session, article, split=split)
        except ValueError as error:  # NotExportable, GoldTextError, a validation error
            problems.append(f"article {article_id}: {error}")
            continue
        path = out_dir / f"{case.id}.json"
        write_case(case, path)
        written.append(Exported(article_id, path, case))
    return written, problems


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    body = [line for line in lines if not line.lower().startswith("date ")] or lines
    return body[0][:TITLE_CHARS] if body else "untitled"


def _whole_word(form: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text) is not None


def _spanned(span: Span | None, fallback: str, text: str) -> str:
    """The article's own words at a located span (the stored string may be folded)."""
    if span is not None and span.grounded and span.start is not None and span.end is not None:
        return text[span.start : span.end]
    return fallback


def _as_labelled(extraction: GroundedExtraction, text: str) -> GroundedExtraction:
    actors = [
        a.model_copy(update={"aliases": [x for x in a.aliases if _whole_word(x, text)]})
        for a in extraction.actors
    ]
    events = [
        e.model_copy(update={"evidence": _spanned(e.evidence_span, e.evidence, text)})
        for e in extraction.events
    ]
    quotes = [_labelled_quote(q, text) for q in extraction.quotes]
    return GroundedExtraction(actors=actors, events=events, quotes=quotes)


def _labelled_quote(quote: GroundedQuote, text: str) -> GroundedQuote:
    words = _spanned(quote.span, quote.text, text)
    mention = quote.speaker_mention
    if mention is not None:
        at = text.find(words)
        inside = (at, at + len(words)) if at >= 0 else (0, 0)
        outside = [
            m.start()
            for m in re.finditer(rf"(?<!\w){re.escape(mention)}(?!\w)", text)
            if m.end() <= inside[0] or m.start() >= inside[1]
        ]
        mention = mention if outside else None
    return quote.model_copy(update={"text": words, "speaker_mention": mention})
