"""Time expressions resolved against the article's date; datelines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from api.llm.dates import parse_dateline, resolve_date
from schemas.extraction import DatePrecision as P

TUESDAY_17_OCT_2017 = dt.date(2017, 10, 17)


@pytest.mark.parametrize(
    ("date_text", "expected", "precision"),
    [
        ("on Sunday", dt.date(2017, 10, 15), P.DAY),
        ("on Saturday night", dt.date(2017, 10, 14), P.DAY),
        ("Friday", dt.date(2017, 10, 13), P.DAY),
        ("on Tuesday", dt.date(2017, 10, 17), P.DAY),  # the article's own weekday: that day
        ("last Tuesday", dt.date(2017, 10, 10), P.DAY),
        ("yesterday", dt.date(2017, 10, 16), P.DAY),
        ("two days ago", dt.date(2017, 10, 15), P.DAY),
        # coarse dates are the first day of their period (Monday of the week)
        ("last week", dt.date(2017, 10, 9), P.WEEK),
        ("in June", dt.date(2017, 6, 1), P.MONTH),
        ("earlier this month", dt.date(2017, 10, 1), P.MONTH),
        ("since July 2015", dt.date(2015, 7, 1), P.MONTH),
        ("in 2016", dt.date(2016, 1, 1), P.YEAR),
        ("on 20 October", dt.date(2016, 10, 20), P.DAY),  # past preferred: never after
    ],
)
def test_relative_to_the_article_date(date_text: str, expected: dt.date, precision: P) -> None:
    assert resolve_date(date_text, None, TUESDAY_17_OCT_2017) == (expected, precision)


def test_never_after_the_article_date() -> None:
    assert resolve_date("tomorrow", None, TUESDAY_17_OCT_2017) == (None, P.UNKNOWN)
    assert resolve_date("next week", dt.date(2017, 10, 20), TUESDAY_17_OCT_2017) == (
        None,
        P.UNKNOWN,
    )


def test_unresolvable_text_falls_back_to_the_model_date() -> None:
    model = dt.date(2017, 10, 12)
    assert resolve_date("the day before", model, TUESDAY_17_OCT_2017) == (model, P.DAY)
    assert resolve_date(None, model, TUESDAY_17_OCT_2017, model_precision=P.MONTH) == (
        dt.date(2017, 10, 1),
        P.MONTH,
    )
    assert resolve_date(None, None, TUESDAY_17_OCT_2017) == (None, P.UNKNOWN)


def test_without_an_article_date_only_absolute_dates_resolve() -> None:
    assert resolve_date("on 12 June 2017", None, None) == (dt.date(2017, 6, 12), P.DAY)
    assert resolve_date("on Sunday", None, None) == (None, P.UNKNOWN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" date 2017-10-17 AFP, AIN ISSA, Syria\n\nUS-backed forces on Sunday ...", "2017-10-17"),
        (
            "BEIRUT -- Clashes broke out.\n\nMore text.\n\nA Section on 07/23/2016\n\nUpcoming",
            "2016-07-23",
        ),
        ("AIN ISSA, Syria (AFP) October 17, 2017\nText", "2017-10-17"),
        ("17 Oct. 2017 Reuters\nText", "2017-10-17"),
        ("Published 31/12/2016\nText", "2016-12-31"),  # a day over 12 cannot be a month
        ("Heavy fighting erupts\n\nNo date anywhere.", None),
    ],
)
def test_parse_dateline(text: str, expected: str | None) -> None:
    found = parse_dateline(text)
    assert (found.isoformat() if found else None) == expected


SEEDS = Path("/work/shared/seeds")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles not available")
def test_seed_datelines() -> None:
    found = {p.name[:3]: parse_dateline(p.read_text()) for p in SEEDS.glob("*.txt")}
    assert found.get("004") == dt.date(2017, 10, 17)
    assert found.get("003") == dt.date(2016, 7, 23)
