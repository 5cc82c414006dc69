"""PolNeAR v1.0.0 (Newell, Margolin & Ruths, LREC 2018) attributions → our quotes.

Native format. `metadata.tsv` (one row per article: compartment, filename, annotators,
publisher, publication_date, title, ...), `text/<filename>.txt` and
`attributions/<filename>_<annotator>.ann` in brat standoff: `T` lines are spans
(`T3<TAB>Source 120 135<TAB>text`; a discontinuous span is `start end;start end`, its text the
pieces joined by a space), `E` lines tie an `Attribution` (or `Attribution-no-source`) anchor
to its `Source`, `Cue` and `Content` spans. `Discuss` / `Discard` spans are annotators' notes.
Files are found anywhere under the path given, by name.

Mapping (one attribution → one or more quotes; offsets native, moved onto the normalised text):
- Each piece of the Content span is read for double quotation marks (" “ ” „ « »; single
  quotes are not used: they are also apostrophes). A piece whose text outside its quoted
  stretches is only punctuation and space is one **direct** quote per quoted stretch; a piece
  with quoted stretches inside the reporter's words gives one **partial** quote per stretch
  (PolNeAR's "mixed" quotes); a piece without quotation marks is one **indirect** quote over
  the whole piece. Quote spans leave the quotation marks out, as our quotes do.
- Source span → `speaker_mention` and `speaker` (the literal span: often a pronoun or "the
  newspaper"; PolNeAR does not link it to a named person) and `speaker_span`; Cue → `cue`.
- One annotator per article: the first annotator listed in the metadata that has a file,
  else the file whose annotator id sorts first.

What cannot be expressed: PolNeAR attributes beliefs, knowledge and claims as well as speech
("X believes", "it is well documented"), with no label telling them apart; they become
indirect quotes, so scores are given for quoted speech (direct + partial) and for all
attributions separately. An indirect content with a gap (`start end;start end`) becomes one
quote per piece. Attributions without a Content span are counted as unmapped; sourceless ones
(`Attribution-no-source`) are kept without a speaker.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from evals.external.common import BenchmarkAdapter, ExternalDocument, OffsetMap
from schemas.extraction import QuoteKind
from schemas.grounded import GroundedQuote, Span

OPENING = '"“„«'
CLOSING = '"”»'
_QUOTE_MARK = re.compile(r"[\"“”„«»]")
ATTRIBUTION_LABELS = {"Attribution", "Attribution-no-source"}


@dataclass
class TextBound:
    label: str
    pieces: list[tuple[int, int]]  # native [start, end) offsets
    text: str


@dataclass
class Attribution:
    anchor: str
    roles: dict[str, str] = field(default_factory=dict)  # role → T id (Source, Cue, Content)


def read_ann(text: str) -> tuple[dict[str, TextBound], list[Attribution]]:
    spans: dict[str, TextBound] = {}
    attributions: list[Attribution] = []
    for line in text.splitlines():
        if line.startswith("T"):
            tid, annotation, span_text = line.split("\t", 2)
            label, _, ranges = annotation.partition(" ")
            pieces = [(int(a), int(b)) for a, b in (r.split() for r in ranges.split(";"))]
            spans[tid] = TextBound(label=label, pieces=pieces, text=span_text)
        elif line.startswith("E"):
            _, args = line.split("\t", 1)
            head, *rest = args.split()
            label, _, anchor = head.partition(":")
            if label in ATTRIBUTION_LABELS:
                roles = dict(arg.split(":", 1) for arg in rest)
                attributions.append(Attribution(anchor=anchor, roles=roles))
    return spans, attributions


def quoted_stretches(text: str) -> list[tuple[int, int]]:
    """[start, end) of the words inside each pair of double quotation marks, marks excluded.
    A quote open at either end of the text (one running past the span) runs to that end."""
    marks = [m.start() for m in _QUOTE_MARK.finditer(text)]
    if marks and text[marks[0]] in "”»":  # the span starts inside a quote
        marks.insert(0, -1)
    stretches = []
    for i in range(0, len(marks), 2):
        start = marks[i] + 1
        end = marks[i + 1] if i + 1 < len(marks) else len(text)
        if text[start:end].strip():
            stretches.append((start, end))
    return stretches


def piece_quotes(text: str) -> list[tuple[QuoteKind, int, int]]:
    """The quotes one content piece holds, offsets relative to the piece, trimmed of spaces."""
    stretches = quoted_stretches(text)
    if not stretches:
        return [(QuoteKind.INDIRECT, *_trim(text, 0, len(text)))]
    outside = _QUOTE_MARK.sub("", _remove(text, stretches))
    kind = QuoteKind.DIRECT if not re.sub(r"[\W_]", "", outside) else QuoteKind.PARTIAL
    return [(kind, *_trim(text, start, end)) for start, end in stretches]


def _remove(text: str, stretches: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for start, end in stretches:
        out.append(text[pos:start])
        pos = end
    return "".join([*out, text[pos:]])


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass
class Article:
    filename: str
    annotators: list[str]
    title: str | None
    published_at: dt.date | None


def read_metadata(path: Path) -> list[Article]:
    with path.open(encoding="utf-8", newline="") as rows:
        return [
            Article(
                filename=row["filename"],
                annotators=[a for a in re.split(r"[,;\s]+", row.get("annotators") or "") if a],
                title=row.get("title") or None,
                published_at=_date(row.get("publication_date")),
            )
            for row in csv.DictReader(rows, delimiter="\t")
        ]


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def load(path: Path) -> list[ExternalDocument]:
    """Every article in `metadata.tsv` under `path` whose text and an annotation exist."""
    metadata = next(iter(sorted(path.rglob("metadata.tsv"))), None)
    if metadata is None:
        raise FileNotFoundError(f"no metadata.tsv under {path}")
    texts = {p.stem: p for p in sorted(path.rglob("*.txt"))}
    anns: dict[str, list[Path]] = {}
    for ann in sorted(path.rglob("*.ann")):
        filename = ann.stem.rpartition("_")[0]
        anns.setdefault(filename, []).append(ann)
    documents = []
    for article in read_metadata(metadata):
        if article.filename in texts and article.filename in anns:
            ann = choose_annotation(article, anns[article.filename])
            documents.append(adapt(article, texts[article.filename], ann))
    return documents


def choose_annotation(article: Article, files: list[Path]) -> Path:
    """The first annotator the metadata lists that has a file, else the first by id."""
    by_annotator = {f.stem.rpartition("_")[2]: f for f in files}
    for annotator in article.annotators:
        if annotator in by_annotator:
            return by_annotator[annotator]
    return by_annotator[min(by_annotator)]


def adapt(article: Article, text_file: Path, ann_file: Path) -> ExternalDocument:
    native = text_file.read_text(encoding="utf-8")
    offsets = OffsetMap(native)
    spans, attributions = read_ann(ann_file.read_text(encoding="utf-8"))
    doc = ExternalDocument(
        doc_id=article.filename,
        text=offsets.text,
        title=article.title,
        published_at=article.published_at,
    )
    doc.native["attributions"] = len(attributions)
    for attribution in attributions:
        content = spans.get(attribution.roles.get("Content", ""))
        if content is None:
            doc.unmapped["attribution_without_content"] += 1
            continue
        source = spans.get(attribution.roles.get("Source", ""))
        cue = spans.get(attribution.roles.get("Cue", ""))
        speaker_span = _span(source, offsets) if source else None
        for start, end in content.pieces:
            for kind, q_start, q_end in piece_quotes(native[start:end]):
                if q_end <= q_start:
                    continue
                span = offsets.span(start + q_start, start + q_end)
                doc.quotes.append(
                    GroundedQuote(
                        text=span.text,
                        kind=kind,
                        speaker=speaker_span.text[:120] if speaker_span else None,
                        speaker_mention=speaker_span.text[:120] if speaker_span else None,
                        cue=cue.text[:40] if cue else None,
                        span=span,
                        speaker_span=speaker_span,
                    )
                )
    doc.quotes.sort(key=lambda q: q.span.start if q.span and q.span.start else 0)
    return doc


def _span(bound: TextBound, offsets: OffsetMap) -> Span:
    """A span over all of a text-bound's pieces (a discontinuous source is rare)."""
    return offsets.span(bound.pieces[0][0], bound.pieces[-1][1])


ADAPTER = BenchmarkAdapter(
    name="polnear",
    path_help="A PolNeAR folder: metadata.tsv, text/*.txt, attributions/*.ann.",
    load=load,
    scores_quotes=True,
)
