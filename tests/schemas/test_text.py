"""The rule for strings a client sends (schemas.text.clean_submitted and friends)."""

from __future__ import annotations

import pytest

from schemas.api import ArticleIn
from schemas.text import clean_line, clean_submitted, has_content


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Raqa\x00 fell", "Raqa fell"),  # NUL removed
        ("a\x01\x08\x0e\x1f\x7f\x80\x9fb", "ab"),  # C0 (but tab, newline, CR), DEL, C1
        ("tab\tnew\nline\rcr", "tab\tnew\nline\rcr"),
        ("one\x0btwo\x0cthree\x85four\u2028five\u2029six", "one\ntwo\nthree\nfour\nfive\nsix"),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff", "zero\u200bwidth\u200c\u200d\u2060\ufeff"),
        ("مي\u200cخواهم", "مي\u200cخواهم"),  # ZWNJ is part of the spelling
    ],
)
def test_clean_submitted(sent: str, kept: str) -> None:
    assert clean_submitted(sent, field="text") == kept


@pytest.mark.parametrize("sent", ["\ud800", "ok \udfff", "\udbff\udc00"])
def test_lone_surrogates_are_refused_naming_the_field(sent: str) -> None:
    with pytest.raises(ValueError, match=r"^title has a lone surrogate \(U\+D[89A-F][0-9A-F]{2}\)"):
        clean_submitted(sent, field="title")


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("", False),
        (" \t\n", False),
        ("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u202e", False),
        ("\u0378", False),  # unassigned
        ("-", True),
        ("٣", True),
        ("\u200ba", True),
    ],
)
def test_has_content(text: str, content: bool) -> None:
    assert has_content(text) is content


def test_clean_line() -> None:
    assert clean_line("  AIN\x00 ISSA,\n\tSyria\u2028 ", field="dateline") == "AIN ISSA, Syria"
    assert clean_line("\u200b \x00", field="source") == ""


def test_article_in_applies_the_rule_to_every_stored_string() -> None:
    article = ArticleIn(
        text="Raqa\x00 fell.", title="\x00The\tfall ", source="\u200b", dateline=" Raqa\x7f"
    )
    assert (article.text, article.title, article.source, article.dateline) == (
        "Raqa fell.",
        "The fall",
        None,
        "Raqa",
    )
    with pytest.raises(ValueError, match="text is empty or only whitespace, zero-width"):
        ArticleIn(text="\u200b\x00\ufeff")
