"""HTML view of one article with its quotes, evidence and actor mentions highlighted from the
stored offsets."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api import crud, presenters
from api.deps import IdPath, SessionDep, get_article_or_404
from api.errors import json_error_responses
from api.openapi_examples import VIEW_HTML
from schemas.api import ExtractionPublic
from schemas.grounded import Span

router = APIRouter(tags=["views"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    kind: str  # quote, evidence, actor
    label: str


@dataclass
class Segment:
    text: str
    kinds: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def marks_of(extraction: ExtractionPublic) -> list[Mark]:
    marks: list[Mark] = []

    def add(span: Span | None, kind: str, label: str) -> None:
        if span and span.start is not None and span.end is not None and span.grounded:
            marks.append(Mark(span.start, span.end, kind, f"{label} ({span.alignment})"))

    for quote in extraction.quotes:
        add(quote.span, "quote", f"quote by {quote.speaker or 'unknown speaker'}")
        add(quote.speaker_span, "speaker", f"speaker: {quote.speaker}")
    for event in extraction.events:
        add(event.evidence_span, "evidence", f"{event.event_type} evidence: {event.summary}")
    for actor in extraction.actors:
        for mention in actor.mentions:
            add(mention, "actor", f"actor: {actor.canonical_name or actor.name}")
    return marks


def segments(text: str, marks: list[Mark]) -> list[Segment]:
    """Split `text` at every mark boundary; each piece carries the marks that cover it."""
    cuts = {0, len(text)}
    for mark in marks:
        cuts.update((max(0, min(mark.start, len(text))), max(0, min(mark.end, len(text)))))
    bounds = sorted(cuts)
    pieces = []
    for start, end in pairwise(bounds):
        covering = [m for m in marks if m.start <= start and m.end >= end and m.start < m.end]
        pieces.append(
            Segment(
                text=text[start:end],
                kinds=sorted({m.kind for m in covering}),
                labels=[m.label for m in covering],
            )
        )
    return pieces


@router.get(
    "/articles/{article_id}/view",
    response_class=HTMLResponse,
    responses={
        **json_error_responses(),
        200: {
            "description": "The article as HTML, its spans highlighted.",
            "content": {"text/html": {"schema": {"type": "string"}, "example": VIEW_HTML}},
        },
    },
)
def view_article(article_id: IdPath, request: Request, session: SessionDep) -> HTMLResponse:
    """The article with its current extraction highlighted."""
    article = get_article_or_404(session, article_id)
    public = presenters.article_public(
        article, *crud.article_rows(session=session, article=article)
    )
    extraction = public.extraction
    return templates.TemplateResponse(
        request,
        "article.html",
        {
            "article": public,
            "extraction": extraction,
            "segments": segments(article.text, marks_of(extraction) if extraction else []),
        },
    )
