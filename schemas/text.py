"""Text normalisation shared by validation, grounding, hashing and scoring."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_ANY_SPACE = re.compile(r"\s+")

# Typographic variants a model (or a copy-paste) swaps for one another.
_FOLD = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)


def normalize_article_text(text: str) -> str:
    """NFC, unix newlines, runs of spaces folded, blank-line runs folded, ends trimmed.

    This is the text that is stored, hashed and offset into.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# ---- what a client may send -----------------------------------------------------------------

# VT, FF, NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR end a line where they occur.
_LINE_BREAKS = re.compile(r"[\x0b\x0c\x85\u2028\u2029]")
# The other control characters (C0 but tab, newline and CR; DEL; C1) are no part of any text,
# and PostgreSQL refuses NUL in a text column.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ANY_WHITESPACE = re.compile(r"\s+")


def clean_submitted(value: str, *, field: str) -> str:
    """The rule for every string a client sends that is stored or searched for (an article's
    text, title, source and dateline; the browse filters):

    - a lone surrogate (U+D800..U+DFFF, as JSON's "\\ud800" gives) is refused with a
      ValueError naming `field`: it is not a character and cannot be stored as UTF-8;
    - VT, FF, NEL, U+2028 and U+2029 become newlines;
    - every other control character (NUL and the rest of C0 but tab, newline and CR; DEL; C1)
      is removed.

    Zero-width and other format characters (U+200B..U+200D, U+2060, U+FEFF, bidi marks) are
    kept, since ZWJ and ZWNJ belong to the spelling of some scripts, but they are not content:
    see `has_content`. The article text is then normalised by `normalize_article_text`.
    """
    surrogate = _SURROGATE.search(value)
    if surrogate:
        raise ValueError(
            f"{field} has a lone surrogate (U+{ord(surrogate.group()):04X}) at character "
            f"{surrogate.start()}: send valid Unicode"
        )
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", value))


def clean_line(value: str, *, field: str) -> str:
    """`clean_submitted` for one-line fields (title, source, dateline, filters): any run of
    whitespace becomes one space, the ends are trimmed, and a value without content is ""."""
    line = _ANY_WHITESPACE.sub(" ", clean_submitted(value, field=field)).strip()
    return line if has_content(line) else ""


def has_content(text: str) -> bool:
    """True when `text` has a letter, digit, mark, punctuation or symbol: something other than
    whitespace, zero-width, format, control or unassigned characters."""
    return any(unicodedata.category(ch)[0] not in "CZ" for ch in text)


def content_hash(normalized_text: str) -> str:
    return hashlib.sha256(normalized_text.encode("utf-8")).hexdigest()


def fold_for_match(text: str) -> str:
    """Fold quotes, dashes and whitespace so 'verbatim' survives typographic differences.

    Folding is length-changing only for the ellipsis and whitespace runs; grounding maps
    positions back with `fold_with_offsets`.
    """
    return _ANY_SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_FOLD)).strip()


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold_for_match(text)` plus, for each folded character, its offset in `text`."""
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not in_space and out:
                out.append(" ")
                offsets.append(i)
            in_space = True
            continue
        in_space = False
        folded = ch.translate(_FOLD)
        for f in folded:
            out.append(f)
            offsets.append(i)
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets


def occurs_in(needle: str, haystack: str) -> bool:
    """True when `needle` occurs in `haystack` after folding quotes, dashes and whitespace."""
    folded = fold_for_match(needle).strip("\"' ")
    return bool(folded) and folded in _folded_article(haystack)


# Validating an extraction checks every evidence sentence and quotation against the same
# article: fold it once per article, not once per item. A few articles at a time (the
# service's queue slots), so the cache stays small.
@lru_cache(maxsize=32)
def _folded_article(text: str) -> str:
    return fold_for_match(text)


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis (summaries, prompt excerpts)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """Key for comparing actor names: casefolded, punctuation and leading 'the' dropped.

    Memoised: actor resolution asks it of the same few hundred names again and again."""
    folded = fold_for_match(name).casefold()
    folded = re.sub(r"[^\w\s]", " ", folded)
    folded = _ANY_SPACE.sub(" ", folded).strip()
    return folded.removeprefix("the ")


# ---- word lists shared by the rules ---------------------------------------------------------

# Pronouns that can be the subject of a speech verb ("he said"): a quote's speaker mention.
SUBJECT_PRONOUNS = frozenset({"i", "we", "he", "she", "it", "they"})
# Every pronoun: never an actor's name, alias or mention (nor a benchmark's role filler).
PRONOUNS = SUBJECT_PRONOUNS | frozenset(
    {"me", "my", "mine", "us", "our", "ours", "you", "your", "yours", "him", "his", "her",
     "hers", "its", "them", "their", "theirs", "who", "whom", "whose", "which", "that", "this",
     "these", "those", "itself", "themselves", "himself", "herself"}
)  # fmt: skip
# Function words inside names: skipped in acronyms ("Syrian Observatory for Human Rights" is
# SOHR) and not counted as a name's content words ("the Islamic State" is a proper name).
MINOR_WORDS = frozenset(
    {"of", "for", "the", "and", "on", "in", "to", "de", "du", "la", "al", "el"}
)  # fmt: skip
