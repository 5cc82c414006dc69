"""Alignment of quotes, evidence and mentions to character offsets (hand-computed cases)."""

from __future__ import annotations

import random
import re

from api.llm.alignment import (
    MentionIndex,
    align,
    find_mentions,
    strip_quote_marks,
    without_overlaps,
)
from schemas.grounded import AlignmentStatus, Span

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


# ---- one pass over the text for every name ----------------------------------------------------


def _regex_whole_words(name: str, text: str) -> list[tuple[int, int]]:
    """The reference: one scan of the text per name (what find_mentions did)."""
    left = r"(?<!\w)" if name[:1].isalnum() else ""
    right = r"(?!\w)" if name[-1:].isalnum() else ""
    return [(m.start(), m.end()) for m in re.finditer(left + re.escape(name) + right, text)]


def test_mention_index_finds_what_a_scan_per_name_finds_on_random_texts() -> None:
    rng = random.Random(9)
    pieces = ["aa", "a", "SDF", "U.S.", "the", "he", "she", "_x", "é", "Raqa", "-", ".", "'", "1"]
    found = 0
    for _ in range(300):
        text = "".join(rng.choice([*pieces, " ", " ", "\n"]) for _ in range(rng.randint(0, 80)))
        names = list(
            {"".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(8)}
        )
        index = MentionIndex(text, names)
        for name in [*names, "aa aa", "he"]:  # also names the index was not built with
            expected = _regex_whole_words(name, text)
            assert index.whole_words(name) == expected, (name, text)
            found += len(expected)
        for name in names:
            assert find_mentions(name, text, index) == find_mentions(name, text)
    assert found > 300  # the texts do contain the names, overlapping ones too ("aaa")
    # finditer resumes after a match: the second "aa aa" overlaps the first and is not one
    assert MentionIndex("aa aa aa", ["aa aa"]).whole_words("aa aa") == [(0, 5)]
    assert _regex_whole_words("aa aa", "aa aa aa") == [(0, 5)]


def test_without_overlaps_keeps_what_comparing_every_kept_span_keeps() -> None:
    def reference(spans: list[Span]) -> list[Span]:
        kept: list[Span] = []
        for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):  # type: ignore[operator]
            if all(span.end <= k.start or span.start >= k.end for k in kept):  # type: ignore[operator]
                kept.append(span)
        return sorted(kept, key=lambda s: s.start)  # type: ignore[arg-type,return-value]

    rng = random.Random(3)
    for _ in range(500):
        spans = []
        for n in range(rng.randint(0, 30)):
            start = rng.randint(0, 60)
            end = start + rng.choice((0, 1, 2, 3, 5, 8, 13))
            spans.append(Span(start=start, end=end, text=str(n), alignment=AlignmentStatus.EXACT))
        if rng.random() < 0.1:  # an inverted span is handled too
            spans.append(Span(start=9, end=4, text="inverted", alignment=AlignmentStatus.EXACT))
        assert without_overlaps(spans) == reference(spans)
