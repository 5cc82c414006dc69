"""Stage 0: quotations and indirect speech found by pattern (hand-written strings)."""

from __future__ import annotations

from api.llm.quotes_by_pattern import (
    QuoteCandidate,
    find_quote_candidates,
    indirect_clauses,
    speaker_mention,
)
from api.llm.sentences import split_sentences
from schemas.extraction import QuoteKind


def _candidates(text: str) -> list[QuoteCandidate]:
    found = find_quote_candidates(text, split_sentences(text))
    for c in found:
        assert text[c.start : c.end] == c.text
    return found


def test_direct_quote_with_cue_and_pronoun_mention() -> None:
    text = "\u201cWe will not leave our homes,\u201d he said."
    [quote] = _candidates(text)
    assert (quote.text, quote.kind, quote.cue, quote.mention) == (
        "We will not leave our homes",  # no trailing comma
        QuoteKind.DIRECT,
        "said",
        "he",
    )


def test_direct_quote_spanning_sentences_with_named_speaker_after_the_cue() -> None:
    text = '"The rebels have until Saturday. After that we attack," Bali told Kurdistan 24.'
    [quote] = _candidates(text)
    assert quote.kind == QuoteKind.DIRECT
    assert quote.text == "The rebels have until Saturday. After that we attack"
    assert (quote.cue, quote.mention) == ("told", "Bali")


def test_partial_quote_inside_the_reporters_sentence() -> None:
    text = "Mustafa Bali, the head of the SDF media center, said the timeline \u201cis over.\u201d"
    [quote] = _candidates(text)
    assert (quote.text, quote.kind, quote.cue, quote.mention) == (
        "is over.",
        QuoteKind.PARTIAL,
        "said",
        "Mustafa Bali",
    )


def test_scare_quotes_without_a_speech_verb_are_not_quotes() -> None:
    assert _candidates('The so-called "final phase" of the battle began on Sunday.') == []


def test_one_attribution_serves_the_next_quotation_of_its_paragraph() -> None:
    text = '"This is a local solution," he said. "We have to respect it."'
    first, second = _candidates(text)
    assert second.kind == QuoteKind.DIRECT
    assert (second.cue, second.mention) == ("said", "he")
    assert [first.number, second.number] == [1, 2]


def test_indirect_speech_after_the_cue_without_that() -> None:
    text = "SDF spokesman Talal Sello said that the civilians had left the city."
    [quote] = _candidates(text)
    assert quote.kind == QuoteKind.INDIRECT
    assert quote.text == "the civilians had left the city"
    assert (quote.cue, quote.mention) == ("said", "Talal Sello")


def test_indirect_speech_before_the_attribution() -> None:
    text = "Air strikes killed several civilians on Monday, a war monitor said."
    [quote] = _candidates(text)
    assert quote.text == "Air strikes killed several civilians on Monday"
    assert (quote.cue, quote.mention) == ("said", "war monitor")


def test_announced_then_saying_is_two_indirect_quotes() -> None:
    sentence = "The coalition announced a convoy would leave the city, saying it would not stop."
    clauses = indirect_clauses(sentence)
    assert [sentence[s:e] for s, e, _, _ in clauses] == [
        "a convoy would leave the city",
        "it would not stop",
    ]
    assert [c for _, _, c, _ in clauses] == ["announced", "said"] or [
        c for _, _, c, _ in clauses
    ] == ["announced", "saying"]


def test_no_speech_verb_no_candidate() -> None:
    assert _candidates("Coalition warplanes struck the port on Thursday.") == []
    assert indirect_clauses("") == []


def test_speaker_mention_drops_titles_articles_and_modifiers() -> None:
    assert speaker_mention("coalition spokesman Colonel Ryan Dillon") == "Ryan Dillon"
    assert speaker_mention("the UAE foreign ministry") == "UAE foreign ministry"
    assert speaker_mention("the Britain-based Syrian Observatory for Human Rights") == (
        "Syrian Observatory for Human Rights"
    )
    assert speaker_mention("he also") == "he"
    assert speaker_mention("") is None
