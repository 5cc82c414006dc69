"""Every gold file is a valid, self-consistent label of its article."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from evals.gold import (
    GOLD_DIR,
    REQUIRED_PHENOMENA,
    GoldCase,
    GoldTextError,
    dataset_hash,
    fill_offsets,
    load_gold,
    read_case,
)
from schemas.contract import ArticleInput
from schemas.grounded import AlignmentStatus, GroundedExtraction, Span
from schemas.text import name_key

GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
MIN_CASES = 25


@pytest.fixture(scope="module")
def cases() -> list[GoldCase]:
    return load_gold()


def _assert_exact(span: Span | None, text: str, what: str) -> None:
    assert span is not None, f"{what}: no span"
    assert span.alignment == AlignmentStatus.EXACT, f"{what}: gold spans are exact"
    assert span.start is not None and span.end is not None
    assert text[span.start : span.end] == span.text, f"{what}: offsets do not match the text"


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_file_is_consistent(path: Path) -> None:
    case = read_case(path)  # validates, and checks id == file name
    text, expected = case.text, case.expected

    for actor in expected.actors:
        assert actor.mentions, f"actor {actor.name!r} has no mention"
        for span in actor.mentions:
            _assert_exact(span, text, f"mention of {actor.name!r}")
            assert span.text in (actor.name, *actor.aliases)
    for i, event in enumerate(expected.events):
        _assert_exact(event.evidence_span, text, f"event {i} evidence")
        assert event.evidence_span is not None and event.evidence_span.text == event.evidence
    for i, quote in enumerate(expected.quotes):
        _assert_exact(quote.span, text, f"quote {i}")
        assert quote.span is not None and quote.span.text == quote.text
        assert quote.text.strip() == quote.text and quote.text[:1] not in "\"'“”‘’"
        if quote.speaker_mention is None:
            assert quote.speaker_span is None
        else:
            _assert_exact(quote.speaker_span, text, f"quote {i} speaker")

    known = {name_key(n) for a in expected.actors for n in (a.name, *a.aliases)}
    referenced = [q.speaker for q in expected.quotes if q.speaker]
    referenced += [n for e in expected.events for n in (*e.sources, *e.targets)]
    referenced += [a.affiliation for a in expected.actors if a.affiliation]
    assert [n for n in referenced if name_key(n) not in known] == []
    # references use the declared name itself, not an alias: scorers compare names
    names = {a.name for a in expected.actors}
    assert [n for n in referenced if n not in names] == []


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_file_has_no_duplicates(path: Path) -> None:
    expected = read_case(path).expected
    actor_forms = [name_key(n) for a in expected.actors for n in (a.name, *a.aliases)]
    assert [k for k, n in Counter(actor_forms).items() if n > 1] == []
    quotes = [(q.text, q.kind) for q in expected.quotes]
    assert len(quotes) == len(set(quotes))
    events = [
        (e.event_type, e.mode, e.evidence, tuple(e.sources), tuple(e.targets))
        for e in expected.events
    ]
    assert len(events) == len(set(events))


def test_gold_file_is_stored_as_fill_writes_it() -> None:
    """Offsets in the files are what fill_offsets computes (nothing edited by hand drifted)."""
    for path in GOLD_FILES:
        case = read_case(path)
        assert fill_offsets(case) == case, path.name


def test_gold_set_size_splits_and_coverage(cases: list[GoldCase]) -> None:
    assert len(cases) >= MIN_CASES
    assert len({c.id for c in cases}) == len(cases)
    assert load_gold("dev") and load_gold("test")
    assert len(load_gold("dev")) + len(load_gold("test")) == len(cases)
    covered = {p for c in cases for p in c.phenomena}
    assert sorted(REQUIRED_PHENOMENA - covered) == []
    assert all(c.split == "dev" for c in cases if "seed" in c.phenomena)


def test_no_event_cases_have_no_events(cases: list[GoldCase]) -> None:
    for case in cases:
        if "no_event" in case.phenomena:
            assert case.expected.events == [], case.id


def test_dataset_hash_is_stable_and_sensitive(cases: list[GoldCase]) -> None:
    first = dataset_hash(cases)
    assert first == dataset_hash(list(reversed(load_gold())))
    assert len(first) == 64
    changed = cases[0].model_copy(update={"notes": (cases[0].notes or "") + "!"})
    assert dataset_hash([changed, *cases[1:]]) != first


def test_load_gold_rejects_unknown_split() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        load_gold("train")


def test_article_input_of_a_case(cases: list[GoldCase]) -> None:
    article = ArticleInput.of(cases[0])
    assert article.text == cases[0].text and article.published_at == cases[0].published_at
    assert (article.title, article.dateline) == (cases[0].title, cases[0].dateline)


# --- fill_offsets on a tiny case ---------------------------------------------------------------

TINY_TEXT = (
    'KYIV (AP) — Troops shelled the town on Monday, officials said. "We will hold the line," '
    "he said. The commander, Ivan Petrenko, said the town was calm."
)


def _tiny(**overrides: object) -> GoldCase:
    raw: dict[str, object] = {
        "id": "tiny",
        "split": "dev",
        "phenomena": ["pronoun_speaker", "delayed_speaker"],
        "title": "Tiny",
        "source": "test",
        "published_at": "2024-05-07",
        "text": TINY_TEXT,
        "expected": {
            "actors": [
                {"name": "Ivan Petrenko", "kind": "person", "aliases": ["commander"]},
            ],
            "events": [
                {
                    "event_type": "ASSAULT",
                    "mode": "shelling",
                    "summary": "Troops shelled the town.",
                    "evidence": "Troops shelled the town on Monday, officials said.",
                    "date": "2024-05-06",
                }
            ],
            "quotes": [
                {
                    "text": "We will hold the line,",
                    "kind": "direct",
                    "speaker": "Ivan Petrenko",
                    "speaker_mention": "he",
                    "cue": "said",
                }
            ],
        },
    }
    raw.update(overrides)
    return GoldCase.model_validate(raw)


def test_fill_offsets_computes_every_span() -> None:
    filled = fill_offsets(_tiny())
    text = filled.text
    quote = filled.expected.quotes[0]
    assert quote.span is not None and quote.span.start == text.index("We will")
    # 'he' is matched as a word: not inside 'the', and the one nearest the quote
    assert quote.speaker_span is not None and quote.speaker_span.start == text.index(" he said") + 1
    evidence = filled.expected.events[0].evidence_span
    assert evidence is not None and evidence.start == text.index("Troops")
    mentions = [(m.text, m.start) for m in filled.expected.actors[0].mentions]
    assert mentions == [
        ("commander", text.index("commander")),
        ("Ivan Petrenko", text.index("Ivan Petrenko")),
    ]
    assert fill_offsets(filled) == filled


def test_fill_offsets_keeps_a_pinned_occurrence() -> None:
    text = "Rebels said so. Rebels said so."
    case = _tiny(text=text, expected=GroundedExtraction())
    pinned = case.model_copy(
        update={
            "expected": GroundedExtraction.model_validate(
                {
                    "quotes": [
                        {
                            "text": "Rebels said so.",
                            "kind": "direct",
                            "span": {"start": 16, "end": 31, "text": "Rebels said so."},
                        }
                    ]
                }
            )
        }
    )
    quote = fill_offsets(pinned).expected.quotes[0]
    assert quote.span is not None and quote.span.start == 16


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("quotes", "text"), "We shall hold the line,", "quote 0 text is not verbatim"),
        (("events", "evidence"), "Troops shelled the city on Monday.", "evidence is not verbatim"),
        (("quotes", "speaker_mention"), "she", "speaker_mention does not occur"),
        (("actors", "aliases"), ["the general"], "does not occur in the article"),
    ],
)
def test_fill_offsets_fails_on_text_not_in_the_article(
    path: tuple[str, str], value: object, message: str
) -> None:
    expected = _tiny().expected.model_dump()
    expected[path[0]][0][path[1]] = value
    case = _tiny(expected=expected)
    with pytest.raises(GoldTextError, match=message):
        fill_offsets(case)


def test_gold_json_is_pretty_printed() -> None:
    for path in GOLD_FILES:
        raw = path.read_text(encoding="utf-8")
        assert raw == json.dumps(json.loads(raw), indent=2, ensure_ascii=False) + "\n", path.name


def test_event_dates_are_not_after_publication(cases: list[GoldCase]) -> None:
    for case in cases:
        for event in case.expected.events:
            assert event.date is None or event.date <= case.published_at
            if event.date is None:
                assert event.date_precision.value == "unknown", case.id
            assert isinstance(case.published_at, dt.date)
