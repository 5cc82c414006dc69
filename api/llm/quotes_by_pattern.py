"""Quote candidates found by pattern (stage 0 of the staged pipeline): quoted spans, direct vs
partial, indirect speech, and the cue and speaker mention written at each. Offsets are exact by
construction; the model is only asked who the speaker is where the mention does not say it.

- quoted spans: text between curly or straight double quotation marks (a quotation may span a
  sentence end; the sentence splitter keeps it in one sentence);
- direct: outside the quotation its sentence holds at most an attribution clause ("he said",
  "Bali told Kurdistan 24"); partial: a fragment inside the reporter's own words, kept only when
  the sentence has a speech verb (scare quotes nobody is said to say are not quotes);
- indirect: a sentence without quotation marks and with a verb of saying: `X said (that)
  CLAUSE` or `CLAUSE, X said`; the text is the clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from api.llm.sentences import Sentence, strip_span
from schemas.extraction import QuoteKind

# Verbs that introduce reported speech (indirect candidates need one of these).
SPEECH_VERBS = (
    "said", "says", "told", "tells", "added", "announced", "stated", "wrote", "tweeted",
    "saying", "explained", "insisted", "declared", "stressed",
)  # fmt: skip
# Verbs that attribute a quotation (a partial or direct quote's cue).
QUOTE_CUES = (
    *SPEECH_VERBS,
    "warned", "called", "calling", "described", "describing", "highlighted", "rejected",
    "denied", "claimed", "urged", "spoke", "speaking", "asked", "replied", "posted",
    "accused", "vowed", "noted", "argued",
)  # fmt: skip
PRONOUNS = frozenset({"he", "she", "it", "they", "we", "i"})
# Roles and titles in front of a name ("coalition spokesman Colonel Ryan Dillon").
TITLES = frozenset(
    {
        "colonel", "col.", "general", "gen.", "lieutenant", "major", "captain", "president",
        "minister", "prime", "foreign", "defence", "defense", "spokesman", "spokeswoman",
        "spokesperson", "commander", "secretary", "envoy", "governor", "mayor", "chief",
        "head", "director", "leader", "official", "sheikh", "dr.", "mr.", "mrs.", "ms.",
    }
)  # fmt: skip

_QUOTED = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_CUE_WORDS = "|".join(QUOTE_CUES)
_CUE = re.compile(rf"(?<![\w-])({_CUE_WORDS})\b")
_SPEECH = re.compile(rf"(?<![\w-])({'|'.join(SPEECH_VERBS)})\b")
_THAT = re.compile(r"^(?:[^,.;]{0,60}?\s)?that\s+")
_WORD = re.compile(r"[\w'’.\-]+")
_SAYING = re.compile(r", saying\b")
_MODIFIER = re.compile(r"-(?:based|backed|led|linked|run|held|allied)$")
_BETWEEN_SUBJECT_AND_VERB = frozenset({"also", "later", "had", "has", "have", "then", "on"})
_DETERMINERS = frozenset({"the", "a", "an", "its", "his", "her", "their", "after"})
_CALENDAR = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "in", "on",
    }
)  # fmt: skip


@dataclass(frozen=True)
class QuoteCandidate:
    number: int  # 1-based, as the model sees it
    start: int
    end: int
    text: str
    kind: QuoteKind
    sentence: Sentence
    cue: str | None
    mention: str | None  # the speaker as written at the attribution ("he", "Bali")


def find_quote_candidates(text: str, sentences: list[Sentence]) -> list[QuoteCandidate]:
    """Quoted spans and indirect-speech clauses, in text order, numbered from 1."""
    found: list[tuple[int, int, QuoteKind, Sentence, str | None, str | None]] = []
    previous_attribution: tuple[int, str | None, str | None] | None = None
    for sentence in sentences:
        quoted = list(_QUOTED.finditer(sentence.text))
        if quoted:
            outside = _outside(sentence.text, quoted)
            cue, mention = attribution(outside)
            if (
                cue is None
                and previous_attribution
                and previous_attribution[0] == (sentence.paragraph)
            ):
                # "A," he said. "B."  - one attribution serves both quotations
                _, cue, mention = previous_attribution
            direct = _is_direct(outside)
            if cue is not None:
                previous_attribution = (sentence.paragraph, cue, mention)
            for match in quoted:
                group = 1 if match.group(1) is not None else 2
                # labels never keep a trailing comma
                start, end = strip_span(
                    sentence.text, match.start(group), match.end(group), trailing=","
                )
                if start >= end:
                    continue
                kind = QuoteKind.DIRECT if direct else QuoteKind.PARTIAL
                if kind == QuoteKind.PARTIAL and cue is None:
                    continue  # scare quotes
                found.append(
                    (sentence.start + start, sentence.start + end, kind, sentence, cue, mention)
                )
            continue
        previous_attribution = None
        for start, end, cue, mention in indirect_clauses(sentence.text):
            found.append(
                (sentence.start + start, sentence.start + end, QuoteKind.INDIRECT, sentence, cue,
                 mention)
            )  # fmt: skip
    return [
        QuoteCandidate(
            number=n, start=s, end=e, text=text[s:e], kind=k, sentence=sent, cue=c, mention=m
        )
        for n, (s, e, k, sent, c, m) in enumerate(found, start=1)
    ]


def attribution(outside: str) -> tuple[str | None, str | None]:
    """The cue verb and the speaker mention in a sentence's words outside its quotations
    (quotations replaced by `…`): `…, he said` -> ("said", "he"); `said Abu Khaled, a
    commander` -> ("said", "Abu Khaled")."""
    match = _CUE.search(outside)
    if match is None:
        return None, None
    mention = speaker_mention(_subject(outside[: match.start()]))
    if mention is None:  # inverted: `…, said Abu Khaled, a commander.`
        after = re.split(r"[,;.…]", outside[match.end() :])[0]
        mention = speaker_mention(after)
    return match.group(1), mention


def speaker_mention(phrase: str) -> str | None:
    """The speaker as written, without articles, titles, roles and modifiers in front of a
    name: "coalition spokesman Colonel Ryan Dillon" -> "Ryan Dillon"; "a war monitor" ->
    "war monitor"; "the UAE foreign ministry" -> "UAE foreign ministry"; "he" -> "he"."""
    words = _WORD.findall(phrase)
    # adverbs and auxiliaries between subject and verb: "he also said", "officials have said"
    while words and words[-1].casefold() in _BETWEEN_SUBJECT_AND_VERB:
        words.pop()
    while words and words[0].casefold() in _DETERMINERS:
        words.pop(0)
    if not words:
        return None
    if words[-1].casefold() in PRONOUNS:
        return words[-1]
    if len(words) <= 4 and words[-1].islower() and not _MODIFIER.search(words[-1]):
        return " ".join(w for w in words if not _MODIFIER.search(w))  # a description
    titles = [i for i, w in enumerate(words) if w.casefold() in TITLES]
    if titles and any(_name_like(w) for w in words[titles[-1] + 1 :]):
        words = words[titles[-1] + 1 :]  # "SDF spokesman Talal Sello" -> "Talal Sello"
    run: list[str] = []
    for word in words:
        if _name_like(word):
            run.append(word)
        elif run and word.casefold() == "for":
            run.append(word)  # "Syrian Observatory for Human Rights"
        elif run:
            break
    while run and run[-1] == "for":
        run.pop()
    if run:
        return " ".join(run)
    return " ".join(words) if len(words) <= 4 else None


def _name_like(word: str) -> bool:
    if word.casefold() in TITLES | _CALENDAR or _MODIFIER.search(word):
        return False
    return word[:1].isupper() or bool(re.match(r"^[a-z]{1,3}-[A-Z]", word))  # "al-Qadi"


def _subject(before: str) -> str:
    """The piece of `before` (the words ahead of a cue) that names the speaker: after the last
    quotation, the comma piece holding a capitalised name, else the last piece."""
    region = re.split(r"…|:", before)[-1]
    pieces = [p for p in re.split(r",|\s--\s|\s—\s|\(", region) if p.strip()]
    if not pieces:
        return ""
    for piece in pieces:
        mention = speaker_mention(piece)
        if mention and any(_name_like(w) for w in mention.split()):
            return piece
    return pieces[-1]


def indirect_clauses(sentence: str) -> list[tuple[int, int, str, str | None]]:
    """(start, end, cue, mention) of reported speech in a sentence with no quotation marks:
    `X said (that) CLAUSE.`, `CLAUSE, X said.` or `CLAUSE, said X, a ...`; `announced A,
    saying B` is two. Empty when the sentence has no verb of saying in that shape."""
    match = _SPEECH.search(sentence)
    if match is None:
        return []
    cue = match.group(1)
    before, after = sentence[: match.start()], sentence[match.end() :]
    comma = before.rstrip().rfind(",")
    if comma > 0:
        attribution_words = _WORD.findall(before[comma:])
        inverted = before.rstrip().endswith(",") and after.lstrip()[:1].isupper()
        if inverted or (len(attribution_words) <= 6 and len(_WORD.findall(after)) <= 4):
            # `CLAUSE, a war monitor said (on Monday).` / `CLAUSE, said Omar Rahmoun, a ...`
            start, end = strip_span(sentence, 0, comma, trailing=",")
            mention = speaker_mention(after if inverted else before[comma + 1 :])
            return [(start, end, cue, mention)] if end - start >= 10 else []
    subject = re.split(r"\s(?:but|and|while|as)\s", before)[-1]
    mention = speaker_mention(_subject(subject))
    if mention is None:
        return []
    that = _THAT.match(after.lstrip())
    start = match.end() + (len(after) - len(after.lstrip())) + (that.end() if that else 0)
    end = len(sentence)
    saying = _SAYING.search(sentence, start)
    if saying is not None:  # `announced A, saying (that) B`: two quotes, one speaker
        rest = sentence[saying.end() :]
        that = _THAT.match(rest.lstrip())
        second = saying.end() + (len(rest) - len(rest.lstrip())) + (that.end() if that else 0)
        return _clause(sentence, start, saying.start(), cue, mention) + _clause(
            sentence, second, end, "saying", mention
        )
    return _clause(sentence, start, end, cue, mention)


def _clause(
    sentence: str, start: int, end: int, cue: str, mention: str | None
) -> list[tuple[int, int, str, str | None]]:
    start, end = strip_span(sentence, start, end, trailing=",")
    if end > start and sentence[end - 1] in ".!?":
        end -= 1
    return [(start, end, cue, mention)] if end - start >= 10 else []


def _outside(sentence: str, quoted: list[re.Match[str]]) -> str:
    pieces, last = [], 0
    for match in quoted:
        pieces.append(sentence[last : match.start()])
        pieces.append("…")
        last = match.end()
    pieces.append(sentence[last:])
    return "".join(pieces)


def _is_direct(outside: str) -> bool:
    """The quotation opens the sentence, or follows a colon, or is all of it."""
    stripped = outside.strip()
    if stripped.startswith("…") or not _WORD.findall(stripped.replace("…", " ")):
        return True
    return bool(re.search(r":\s*…", stripped))


# Who is not a speaker one can name ("officials said", "activists said").
ANONYMOUS_SOURCES = frozenset(
    {"officials", "sources", "activists", "commanders", "residents", "witnesses", "diplomats",
     "analysts", "reports", "experts", "sides", "people", "medics", "observers"}
)  # fmt: skip


def anonymous(candidate: QuoteCandidate) -> bool:
    """The attribution names nobody one can identify ("activists said")."""
    words = set((candidate.mention or "").casefold().split())
    return bool(words & ANONYMOUS_SOURCES)


def quote_fields(
    candidates: list[QuoteCandidate], speakers: dict[int, str | None]
) -> list[dict[str, Any]]:
    """The quotes an extraction keeps, as fields: indirect speech only with an identified
    speaker (the guide labels no anonymous indirect speech)."""
    quotes = []
    for candidate in candidates:
        speaker = speakers.get(candidate.number)
        if candidate.kind == QuoteKind.INDIRECT and (speaker is None or anonymous(candidate)):
            continue
        quotes.append(
            {
                "text": candidate.text,
                "kind": candidate.kind,
                "speaker": speaker,
                "speaker_mention": candidate.mention,
                "cue": candidate.cue,
            }
        )
    return quotes
