"""The PLOVER -> ACLED crosswalk is complete and says why where ACLED has no category."""

from __future__ import annotations

from schemas.acled import CROSSWALK, AcledCategory, NotInAcled, acled_category, expected_keys
from schemas.extraction import EventMode, EventType


def test_crosswalk_covers_exactly_the_allowed_type_mode_pairs() -> None:
    assert set(CROSSWALK) == expected_keys()


def test_every_plover_type_maps_or_says_why() -> None:
    for event_type in EventType:
        entry = CROSSWALK[(event_type, None)]
        assert isinstance(entry, AcledCategory) or (
            isinstance(entry, NotInAcled) and entry.reason.strip()
        ), event_type


def test_spot_checks() -> None:
    aerial = acled_category(EventType.ASSAULT, EventMode.AERIAL)
    assert aerial == AcledCategory("Explosions/Remote violence", "Air/drone strike")
    assert acled_category(EventType.ASSAULT, EventMode.FIREARMS) == AcledCategory(
        "Battles", "Armed clash"
    )
    assert acled_category(EventType.PROTEST, EventMode.RIOT) == AcledCategory(
        "Riots", "Violent demonstration"
    )
    assert acled_category(EventType.THREATEN, EventMode.ULTIMATUM) is None
    assert acled_category(EventType.ASSAULT, None) is None
