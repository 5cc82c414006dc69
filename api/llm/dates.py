"""Resolve an event's time expression against the article's date, and read datelines.

Convention for coarse dates: a date with precision week, month or year is the first day of that
period (the Monday of the week, the 1st of the month, 1 January), so dates sort and compare
like the periods they stand for. A resolved date is never after the article's date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from schemas.extraction import DatePrecision

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

# Words around a time expression that dateparser does not understand and that do not change it.
_LEADING_WORDS = re.compile(
    r"^(?:(?:on|in|at|during|since|from|by|until|as of|early|late|earlier|later|"
    r"the|around|about)\s+)+",
    re.IGNORECASE,
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# dateparser's period -> our precision ("time" and "part_of_day" are within one day).
_PERIOD_PRECISION = {
    "time": DatePrecision.DAY,
    "part_of_day": DatePrecision.DAY,
    "day": DatePrecision.DAY,
    "week": DatePrecision.WEEK,
    "month": DatePrecision.MONTH,
    "year": DatePrecision.YEAR,
}

# Two distant bases: an expression that resolves the same against both is absolute.
_PROBE_BASES = (dt.datetime(2001, 3, 14), dt.datetime(2013, 9, 25))


def resolve_date(
    date_text: str | None,
    model_date: dt.date | None,
    article_date: dt.date | None,
    *,
    model_precision: DatePrecision = DatePrecision.DAY,
) -> tuple[dt.date | None, DatePrecision]:
    """The event's date and precision from its time expression, relative to the article's date.

    Unresolvable text falls back to the model's date (with `model_precision`) when it is not
    after the article's date, else (None, unknown).
    """
    parsed = _parse(date_text, article_date) if date_text else None
    if parsed is not None:
        return parsed
    if model_date is not None and (article_date is None or model_date <= article_date):
        precision = (
            model_precision if model_precision != DatePrecision.UNKNOWN else DatePrecision.DAY
        )
        return _period_start(model_date, precision), precision
    return None, DatePrecision.UNKNOWN


def _parse(date_text: str, article_date: dt.date | None) -> tuple[dt.date, DatePrecision] | None:
    text = _LEADING_WORDS.sub("", date_text.strip().rstrip(".,;")).strip()
    if not text:
        return None
    if article_date is None:
        return _parse_absolute(text)
    base = dt.datetime.combine(article_date, dt.time(12))
    found = _parse_against(text, base)
    if found is None:
        return None
    day, precision = found
    if precision == DatePrecision.DAY and _names_article_weekday(text, article_date, day):
        day = article_date  # "on Tuesday" in a Tuesday article is that day, not a week before
    if day > article_date:
        return None
    return day, precision


def _parse_absolute(text: str) -> tuple[dt.date, DatePrecision] | None:
    """Without an article date only absolute expressions ("12 June 2017") can be resolved."""
    results = {_parse_against(text, base) for base in _PROBE_BASES}
    if len(results) != 1:
        return None
    return results.pop()


@lru_cache(maxsize=4096)  # a long article repeats its few time expressions; dateparser is slow
def _parse_against(text: str, base: dt.datetime) -> tuple[dt.date, DatePrecision] | None:
    data = _parser(base).get_date_data(text)
    if data.date_obj is None:
        return None
    precision = _PERIOD_PRECISION.get(data.period or "day", DatePrecision.DAY)
    return _period_start(data.date_obj.date(), precision), precision


def _names_article_weekday(text: str, article_date: dt.date, day: dt.date) -> bool:
    words = set(re.findall(r"[a-z]+", text.casefold()))
    weekday = _WEEKDAYS[article_date.weekday()]
    return weekday in words and "last" not in words and (article_date - day).days == 7


def _period_start(day: dt.date, precision: DatePrecision) -> dt.date:
    if precision == DatePrecision.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    return day


@lru_cache(maxsize=64)
def _parser(base: dt.datetime) -> DateDataParser:
    from dateparser.date import DateDataParser  # heavy: imported on first use

    settings: dict[str, Any] = {
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_TIME_AS_PERIOD": True,
    }
    return DateDataParser(languages=["en"], settings=settings)


# Datelines: "date 2017-10-17 AFP, ..." at the top, or "A Section on 07/23/2016" at the bottom.
_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATELINE_PATTERNS = (
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    # US order (AP, newspapers): month/day/year; a first number over 12 must be the day.
    re.compile(r"\b(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})\b"),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE),
)
DATELINE_LINES = 3  # non-empty lines looked at, at each end of the article


def parse_dateline(text: str) -> dt.date | None:
    """The date an article's first or last lines carry, if any (first lines win)."""
    lines = [line for line in text.splitlines() if line.strip()]
    candidates = lines[:DATELINE_LINES] + lines[DATELINE_LINES:][-DATELINE_LINES:][::-1]
    for line in candidates:
        for pattern in _DATELINE_PATTERNS:
            for match in pattern.finditer(line):
                found = _date_from_match(match)
                if found is not None:
                    return found
    return None


def _date_from_match(match: re.Match[str]) -> dt.date | None:
    month_text, day, year = match["month"], int(match["day"]), int(match["year"])
    month = int(month_text) if month_text.isdigit() else _MONTHS[month_text.casefold()]
    if "/" in match[0] and month > 12 >= day:
        month, day = day, month
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
