"""Alignment of quotes, evidence and mentions to character offsets (hand-computed cases)."""

from __future__ import annotations

from api.llm.alignment import align, find_mentions, strip_quote_marks
from schemas.grounded import AlignmentStatus

CURLY = "SDF spokesman Talal Sello said the \u201cfinal phase\u201d had begun \u2014 at last."


def test_exact_offsets_slice_the_text() -> None:
    span = align("final phase", CURLY)
    assert span.alignment == AlignmentStatus.EXACT
    assert (span.start, span.end) == (36, 47)
    assert CURLY[span.start : span.end] == span.text == "final phase"


def test_straight_quotes_and_hyphen_align_normalized_to_the_curly_original() -> None:
    span = align('the "final phase" had begun - at last', CURLY)
    assert span.alignment == AlignmentStatus.NORMALIZED
    assert (span.start, span.end) == (31, 68)
    assert span.text == CURLY[31:68] == "the \u201cfinal phase\u201d had begun \u2014 at last"


def test_whitespace_differences_align_normalized() -> None:
    text = "He said:\n\nwe  will\tfight on."
    span = align("we will fight on", text)
    assert span.alignment == AlignmentStatus.NORMALIZED
    assert (span.start, span.end) == (10, 27)
    assert span.text == "we  will\tfight on"


def test_one_changed_word_aligns_fuzzy_to_the_best_window() -> None:
    text = "Preamble. The SDF gave the extremists an ultimatum on Friday to surrender. After."
    span = align("The SDF gave the militants an ultimatum on Friday to surrender", text)
    assert span.alignment == AlignmentStatus.FUZZY
    assert span.start is not None and span.end is not None
    assert text[span.start : span.end] == span.text
    assert span.start == text.index("The SDF")  # widened to the whole first word
    assert span.text.endswith("to surrender")


def test_text_not_in_the_article_aligns_none() -> None:
    span = align("Russia launched airstrikes on Idlib province overnight", CURLY)
    assert span.alignment == AlignmentStatus.NONE
    assert (span.start, span.end) == (None, None)
    assert not span.grounded


def test_short_needles_never_align_fuzzy() -> None:
    assert align("Sullo", CURLY).alignment == AlignmentStatus.NONE


def test_repeated_needle_takes_the_first_or_the_one_nearest_near() -> None:
    text = "he said. Then he left. Later he returned."
    assert align("he", text).start == 0
    assert align("he", text, near=30).start == 29
    assert align("he", text, near=14).start == 14


def test_repeated_needle_nearest_in_folded_text() -> None:
    text = "\u201cno\u201d at first, and later \u201cno\u201d again"
    assert align('"no"', text).start == 0
    assert align('"no"', text, near=30).start == 25


def test_strip_quote_marks() -> None:
    assert strip_quote_marks("\u201cis over.\u201d ") == "is over."
    assert strip_quote_marks("'We won'") == "We won"
    assert strip_quote_marks('"') == '"'


def test_mentions_are_whole_words_case_sensitive_first() -> None:
    text = "IS fighters left. This is it; the ISIS pocket and IS."
    assert [(m.start, m.end) for m in find_mentions("IS", text)] == [(0, 2), (50, 52)]
    lower = find_mentions("raqa", "Raqa and RAQA")
    assert [(m.start, m.text, m.alignment) for m in lower] == [
        (0, "Raqa", AlignmentStatus.NORMALIZED),
        (9, "RAQA", AlignmentStatus.NORMALIZED),
    ]
    assert find_mentions("he", "he said") == []  # pronouns are not actor mentions


def test_mentions_with_punctuated_names() -> None:
    text = "the U.S.-led coalition and U.S. forces"
    assert [m.start for m in find_mentions("U.S.", text)] == [4, 27]
