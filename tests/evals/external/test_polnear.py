"""PolNeAR adapter and quote scoring: a synthetic article in the native layout (invented
text), then the real sample in ../shared/benchmarks when it is there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import llm
from evals.external import polnear
from evals.external.cli import external_app
from evals.external.common import ExternalDocument, gold_stats
from evals.external.scoring import gold_as_prediction, score_benchmark
from schemas.contract import ArticleInput, ExtractionOutcome, OutcomeStatus, Provenance
from schemas.extraction import QuoteKind
from schemas.grounded import AlignmentStatus, GroundedExtraction, GroundedQuote, Span
from tests.evals.external import BENCHMARKS

FILENAME = "wire_1999-12-31_invented-story"
# Two spaces after "Mayor Lind" and before the last paragraph: normalisation moves offsets.
TEXT = (
    "“We will rebuild the bridge,” Mayor Lind  said on Monday.\n"
    "\n\n"
    "She called the flood “a warning” to the council. Officials believe the river will rise."
)


def offsets(needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(needle, start + 1)
    return start, start + len(needle)


def t_line(tid: str, label: str, *pieces: str) -> str:
    ranges = ";".join("{} {}".format(*offsets(p)) for p in pieces)
    return f"{tid}\t{label} {ranges}\t{' '.join(pieces)}"


ANN = "\n".join(
    [
        t_line("T1", "Content", "“We will rebuild the bridge,”"),
        t_line("T2", "Source", "Mayor Lind"),
        t_line("T3", "Cue", "said"),
        t_line("T4", "Attribution", "said"),
        "E1\tAttribution:T4 Content:T1 Source:T2 Cue:T3",
        t_line("T5", "Source", "She"),
        t_line("T6", "Cue", "called"),
        t_line("T7", "Content", "the flood “a warning” to the council"),
        t_line("T8", "Attribution", "called"),
        "E2\tAttribution:T8 Source:T5 Cue:T6 Content:T7",
        t_line("T9", "Source", "Officials"),
        t_line("T10", "Cue", "believe"),
        t_line("T11", "Content", "the river", "will rise"),  # discontinuous
        t_line("T12", "Attribution", "believe"),
        "E3\tAttribution:T12 Source:T9 Cue:T10 Content:T11",
        t_line("T13", "Discuss", "Monday"),
    ]
)
METADATA = (
    "compartment\tfilename\tannotators\tpublisher\tpublication_date\ttitle\n"
    f"train\t{FILENAME}\tqz02\twire\t1999-12-31\tAn invented story\n"
)


@pytest.fixture
def synthetic(tmp_path: Path) -> ExternalDocument:
    [doc] = polnear.load(write_corpus(tmp_path))
    return doc


def write_corpus(tmp_path: Path) -> Path:
    (tmp_path / "text").mkdir(parents=True)
    (tmp_path / "attributions").mkdir()
    (tmp_path / "metadata.tsv").write_text(METADATA, encoding="utf-8")
    (tmp_path / "text" / f"{FILENAME}.txt").write_text(TEXT, encoding="utf-8")
    for annotator in ("qz01", "qz02"):  # the metadata names qz02: that file is read
        ann = ANN if annotator == "qz02" else ""
        (tmp_path / "attributions" / f"{FILENAME}_{annotator}.ann").write_text(ann, "utf-8")
    return tmp_path


class EmptyExtractor:
    """Mechanics only: succeeds with nothing found, or raises when told to."""

    provenance = Provenance(
        prompt_id="p",
        prompt_version="v0",
        prompt_sha256="0",
        schema_sha256="0",
        model="fake",
        base_url="http://fake",
        backend="replay",
        mode="tools",
    )

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail

    def extract(self, article: ArticleInput) -> ExtractionOutcome:
        if self.fail:
            raise RuntimeError("boom")
        assert article.text and article.published_at is not None
        return ExtractionOutcome(
            status=OutcomeStatus.SUCCEEDED, result=GroundedExtraction(), provenance=self.provenance
        )


@pytest.mark.parametrize("fail", [False, True])
def test_cli_extracts_scores_and_writes_a_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: bool
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    monkeypatch.setattr(llm, "build_extractor", lambda settings: EmptyExtractor(fail=fail))
    out = tmp_path / "record.json"
    result = CliRunner().invoke(external_app, ["polnear", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["report"]["counts"]["quotes_all"]["recall"] == 0.0
    assert record["report"]["failed_extractions"] == (1 if fail else 0)
    assert "quotes_all" in result.output


def test_cli_gold_only_calls_no_model(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path)
    result = CliRunner().invoke(external_app, ["polnear", str(corpus), "--gold-only"])
    assert result.exit_code == 0, result.output
    assert "quotes_direct" in result.output and "native_attributions" in result.output
    missing = CliRunner().invoke(external_app, ["polnear", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "nothing at" in missing.output


def test_attributions_become_quotes_on_the_normalised_text(synthetic: ExternalDocument) -> None:
    assert synthetic.published_at is not None and synthetic.title == "An invented story"
    assert "  " not in synthetic.text and "\n\n\n" not in synthetic.text
    got = [(q.kind, q.text, q.speaker_mention, q.cue) for q in synthetic.quotes]
    assert got == [
        (QuoteKind.DIRECT, "We will rebuild the bridge,", "Mayor Lind", "said"),
        (QuoteKind.PARTIAL, "a warning", "She", "called"),
        (QuoteKind.INDIRECT, "the river", "Officials", "believe"),
        (QuoteKind.INDIRECT, "will rise", "Officials", "believe"),
    ]
    for quote in synthetic.quotes:
        assert quote.span is not None and quote.speaker_span is not None
        assert synthetic.text[quote.span.start : quote.span.end] == quote.text
        assert synthetic.text[quote.speaker_span.start : quote.speaker_span.end] == quote.speaker
    assert gold_stats([synthetic])["native_attributions"] == 3


def test_quote_kinds_from_quotation_marks() -> None:
    assert polnear.piece_quotes('"All of it."') == [(QuoteKind.DIRECT, 1, 11)]
    assert polnear.piece_quotes("“One,” “two.”") == [
        (QuoteKind.DIRECT, 1, 5),
        (QuoteKind.DIRECT, 8, 12),
    ]
    assert polnear.piece_quotes("it was “fine” he said")[0][0] == QuoteKind.PARTIAL
    assert polnear.piece_quotes("the end of it.”") == [(QuoteKind.DIRECT, 0, 14)]


def _quote(doc: ExternalDocument, text: str, kind: QuoteKind, speaker: str) -> GroundedQuote:
    start = doc.text.index(text)
    span = Span(start=start, end=start + len(text), text=text, alignment=AlignmentStatus.EXACT)
    return GroundedQuote(text=text, kind=kind, speaker=speaker, speaker_mention=speaker, span=span)


def test_quote_scoring(synthetic: ExternalDocument) -> None:
    docs = [synthetic]
    gold = score_benchmark("polnear", docs, [gold_as_prediction(synthetic)])
    assert gold.counts["quotes_all"].f1 == 1.0 and gold.counts["quotes_quoted"].f1 == 1.0
    empty = score_benchmark("polnear", docs, [None])
    assert empty.counts["quotes_all"].recall == 0.0
    pred = GroundedExtraction(
        quotes=[
            _quote(synthetic, "We will rebuild the bridge", QuoteKind.DIRECT, "Mayor Lind"),  # .96
            _quote(synthetic, "warning", QuoteKind.DIRECT, "the mayor"),  # IoU .78, wrong kind
            _quote(synthetic, "Mayor Lind said", QuoteKind.INDIRECT, "x"),  # matches nothing
        ]
    )
    report = score_benchmark("polnear", docs, [pred])
    quoted = report.counts["quotes_quoted"]
    assert (quoted.tp, quoted.fp, quoted.fn) == (2, 0, 0)
    everything = report.counts["quotes_all"]
    assert (everything.tp, everything.fp, everything.fn) == (2, 1, 2)
    assert report.counts["quotes_all_exact"].tp == 0
    assert (report.ratios["quote_speaker"].correct, report.ratios["quote_speaker"].total) == (1, 2)
    assert (report.ratios["quote_kind"].correct, report.ratios["quote_kind"].total) == (1, 2)


SAMPLE = BENCHMARKS / "polnear"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="no PolNeAR sample in ../shared/benchmarks")
def test_real_sample() -> None:
    docs = polnear.load(SAMPLE)
    rows = (SAMPLE / "metadata.tsv").read_text(encoding="utf-8").strip().splitlines()
    assert len(docs) == len(rows) - 1 > 0
    stats = gold_stats(docs)
    e_lines = sum(
        line.startswith("E")
        for f in (SAMPLE / "attributions").glob("*.ann")
        for line in f.read_text(encoding="utf-8").splitlines()
    )
    assert stats["native_attributions"] == e_lines
    assert stats["quotes"] >= e_lines - stats.get("unmapped_attribution_without_content", 0)
    assert stats["quotes_direct"] > 0 and stats["quotes_partial"] > 0
    assert stats["quotes_indirect"] > 0
    for doc in docs:
        for quote in doc.quotes:
            assert quote.span is not None
            assert doc.text[quote.span.start : quote.span.end] == quote.text
            if quote.speaker_span is not None:
                span = quote.speaker_span
                assert doc.text[span.start : span.end] == span.text
    gold = score_benchmark("polnear", docs, [gold_as_prediction(d) for d in docs])
    assert gold.counts["quotes_all"].f1 == 1.0 and gold.counts["quotes_quoted"].f1 == 1.0
    empty = score_benchmark("polnear", docs, [None] * len(docs))
    assert empty.counts["quotes_all"].recall == 0.0
