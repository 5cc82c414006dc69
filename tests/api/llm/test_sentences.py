"""Stage 0: sentence splitting with exact offsets (hand-written strings)."""

from __future__ import annotations

from api.llm.sentences import sentence_at, split_sentences


def _texts(text: str) -> list[str]:
    sentences = split_sentences(text)
    for s in sentences:
        assert text[s.start : s.end] == s.text
    return [s.text for s in sentences]


def test_sentence_ends_and_paragraphs() -> None:
    text = "Rebels shelled the town. The army replied!\n\nTalks failed? Yes."
    assert _texts(text) == [
        "Rebels shelled the town.",
        "The army replied!",
        "Talks failed?",
        "Yes.",
    ]
    assert [s.paragraph for s in split_sentences(text)] == [0, 0, 1, 1]
    assert [s.number for s in split_sentences(text)] == [1, 2, 3, 4]


def test_abbreviations_and_initials_do_not_end_a_sentence() -> None:
    text = (
        "U.S. forces and Col. Ryan Dillon met John F. Kennedy Jr. in Raqa. "
        "The meeting ended at 5 p.m. on Sunday. It resumed at 9 a.m. The talks went on."
    )
    assert _texts(text) == [
        "U.S. forces and Col. Ryan Dillon met John F. Kennedy Jr. in Raqa.",
        "The meeting ended at 5 p.m. on Sunday.",
        "It resumed at 9 a.m.",
        "The talks went on.",
    ]


def test_a_quotation_spanning_a_sentence_end_stays_in_one_sentence() -> None:
    curly = "\u201cWe will stay. We will fight,\u201d he said. Then he left."
    assert _texts(curly) == ["\u201cWe will stay. We will fight,\u201d he said.", "Then he left."]
    straight = '"We will stay. We will fight," he said. Then he left.'
    assert _texts(straight) == ['"We will stay. We will fight," he said.', "Then he left."]


def test_lead_dateline_is_not_part_of_the_first_sentence() -> None:
    for dateline in ("ADEN, Yemen (AFP) \u2014 ", "BEIRUT -- ", "KYIV (Reuters) - "):
        text = dateline + "Forces gave rebels 72 hours to leave. They refused."
        assert _texts(text) == ["Forces gave rebels 72 hours to leave.", "They refused."]


def test_headline_line_is_its_own_sentence_and_sentence_at_finds_offsets() -> None:
    text = "Fighting resumes in Manbij\n\nClashes broke out on Friday."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Fighting resumes in Manbij",
        "Clashes broke out on Friday.",
    ]
    found = sentence_at(sentences, text.index("Friday"))
    assert found is not None and found.number == 2
    assert sentence_at(sentences, len(text) + 5) is None


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n\n  \n") == []
