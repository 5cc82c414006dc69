"""Where events happened, resolved offline against GeoNames (api.llm.gazetteer).

A place keeps the article's spelling ("Raqa"); GeoNames gives its coordinates, geonameid,
first-level administrative area ("Ar-Raqqah"), country and ISO code. Names are ambiguous
("Tripoli", "Kass"), so a place is looked for first in the article's countries — those its
dateline and text name, most named first; spelling variants ("Raqa" / "Raqqa" / "Ar Raqqah")
match through GeoNames' alternate names, else a near spelling within those countries.
A name that is a province or region ("Tigray", "Hama province") is an admin area; a country
name alone is the country. ACLED's geo-precision: 1 the town, 2 a place GeoNames does not
know within a known area, 3 a province or the country.
"""

from __future__ import annotations

import re
from collections import Counter

from api.llm.gazetteer import Gazetteer
from schemas.extraction import Location, LocationPrecision

_CAPITALISED = re.compile(r"\b[A-Z][\w'’.\-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’.\-]*){0,3}")


def article_countries(text: str, dateline: str | None, gazetteer: Gazetteer) -> tuple[str, ...]:
    """ISO codes of the countries an article is about, most named first: the dateline's
    country (or its city's), the countries the text names, and its adjectives of nationality
    ("a Syrian city")."""
    counts: Counter[str] = Counter()
    if dateline:
        parts = [p.strip() for p in dateline.split(",")]
        country = gazetteer.country(parts[-1]) if len(parts) > 1 else None
        if country is not None:
            counts[country.code] += 3
        else:
            city = gazetteer.place(parts[0])
            if city is not None:
                counts[city.country_code] += 1
    for match in _CAPITALISED.finditer(text):
        words = [re.sub(r"['’]s$", "", w) for w in match.group(0).split()]
        for size in range(len(words), 0, -1):  # "Saudi Arabia" before "Arabia"
            phrase = " ".join(words[:size])
            country = gazetteer.country(phrase) or gazetteer.country(phrase, demonym=True)
            if country is not None:
                counts[country.code] += 1
                break
    return tuple(code for code, _ in counts.most_common())


def locate(location: Location, countries: tuple[str, ...], gazetteer: Gazetteer) -> Location:
    """The location with what GeoNames knows of it; the names the article wrote are kept."""
    place, admin_area = location.place, location.admin_area
    if place:
        country = gazetteer.country(place)
        if country is not None:  # "in Syria"
            return Location(
                country=country.name,
                country_code=country.code,
                precision=LocationPrecision.COUNTRY,
                geo_precision=3,
            )
        found = gazetteer.place(place, countries)
        if found is not None:
            named = gazetteer.country_named(found.country_code)
            return Location(
                place=place,
                admin_area=admin_area or found.admin1,
                country=named.name if named else location.country,
                country_code=found.country_code,
                latitude=found.latitude,
                longitude=found.longitude,
                geonameid=found.geonameid,
                precision=LocationPrecision.PLACE,
                geo_precision=1,
            )
        area = gazetteer.admin_area(place, countries)
        if area is not None:  # "Tigray", "Hama province"
            return _area(area, gazetteer)
    if admin_area:
        area = gazetteer.admin_area(admin_area, countries)
        if area is not None:
            resolved = _area(area, gazetteer)
            return resolved.model_copy(update={"place": place, "geo_precision": 2 if place else 3})
    country = gazetteer.country(location.country) if location.country else None
    if country is None and place and len(countries) == 1:
        country = gazetteer.country_named(countries[0])  # the article is about one country
    return location.model_copy(
        update={
            "country": country.name if country else location.country,
            "country_code": country.code if country else None,
            "precision": LocationPrecision.PLACE if place else location.precision,
            "geo_precision": 2 if place and country else (3 if country else None),
        }
    )


def _area(area: tuple[str, str], gazetteer: Gazetteer) -> Location:
    name, code = area
    country = gazetteer.country_named(code)
    return Location(
        admin_area=name,
        country=country.name if country else None,
        country_code=code,
        precision=LocationPrecision.ADMIN_AREA,
        geo_precision=3,
    )
