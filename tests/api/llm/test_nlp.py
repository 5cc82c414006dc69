"""The pinned spaCy pipeline and parsing our sentences with article offsets."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from api.llm.nlp import PipelineMismatch, check_pipeline, load_pipeline, parse_sentences
from api.llm.sentences import split_sentences


def test_the_installed_pipeline_is_the_pinned_one() -> None:
    nlp = load_pipeline()
    check_pipeline(nlp)
    assert nlp.meta["version"] == "3.8.0"


def test_another_pipeline_is_refused() -> None:
    other = SimpleNamespace(
        meta={"lang": "en", "version": "3.7.1", "author": "Explosion"},
        pipe_names=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
    )
    with pytest.raises(PipelineMismatch, match=r"3\.8\.0"):
        check_pipeline(other)  # type: ignore[arg-type]


def test_tokens_keep_their_offsets_in_the_article_and_no_parse_crosses_a_sentence() -> None:
    text = "BEIRUT\n\nRebels shelled the town. \u201cWe will stay,\u201d said Abu Khaled."
    sentences = split_sentences(text)
    parsed = parse_sentences(sentences, load_pipeline())
    assert len(parsed) == len(sentences)
    for sentence in parsed:
        for token in sentence.doc:
            start = sentence.start_of(token)
            assert text[start : sentence.end_of(token)] == token.text
