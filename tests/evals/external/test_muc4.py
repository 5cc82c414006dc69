"""MUC-4 adapter and role-filler scoring: synthetic snippets in the native format (invented
text), then the real sample in ../shared/benchmarks when it is there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evals.external import muc4
from evals.external.common import ExternalDocument, gold_stats
from evals.external.scoring import gold_as_prediction, score_benchmark
from schemas.extraction import DatePrecision, EventMode, EventType, LocationPrecision
from schemas.grounded import GroundedEvent, GroundedExtraction
from tests.evals.external import BENCHMARKS

MESSAGES = """TST9-TEST-0001

   Riverton, 3 Mar 91 (Invented Radio) -- [Text] Unknown men threw a
grenade at the Harbour Office in Riverton last night.

   Nobody was hurt, the police said.


TST9-TEST-0002

   Port Elsa, 4 Mar 91 (Made-up Daily) -- [Text] The council met to
discuss the budget.
"""

SLOTS = [
    "MESSAGE: ID",
    "MESSAGE: TEMPLATE",
    "INCIDENT: DATE",
    "INCIDENT: LOCATION",
    "INCIDENT: TYPE",
    "INCIDENT: STAGE OF EXECUTION",
    "INCIDENT: INSTRUMENT ID",
    "INCIDENT: INSTRUMENT TYPE",
    "PERP: INCIDENT CATEGORY",
    "PERP: INDIVIDUAL ID",
    "PERP: ORGANIZATION ID",
    "PERP: ORGANIZATION CONFIDENCE",
    "PHYS TGT: ID",
    "PHYS TGT: TYPE",
    "PHYS TGT: NUMBER",
    "PHYS TGT: FOREIGN NATION",
    "PHYS TGT: EFFECT OF INCIDENT",
    "PHYS TGT: TOTAL NUMBER",
    "HUM TGT: NAME",
    "HUM TGT: DESCRIPTION",
    "HUM TGT: TYPE",
    "HUM TGT: NUMBER",
    "HUM TGT: FOREIGN NATION",
    "HUM TGT: EFFECT OF INCIDENT",
    "HUM TGT: TOTAL NUMBER",
]


def template(fills: dict[int, list[str]], default: str = "-") -> str:
    lines = []
    for number, label in enumerate(SLOTS):
        values = fills.get(number, [default])
        head = f"{number}.".ljust(4) + label
        lines.append(head.ljust(35) + values[0])
        lines.extend(" " * 35 + v for v in values[1:])
    return "\n".join(lines) + "\n"


KEY = (
    template(
        {
            0: ["TST9-TEST-0001"],
            1: ["1"],
            2: ["- 03 MAR 91"],
            3: ["(ATLANTIS: RIVERTON (CITY)) / (ATLANTIS)"],
            4: ["ATTACK"],
            5: ["ACCOMPLISHED"],
            6: ['"GRENADE"'],
            7: ['GRENADE: "GRENADE"'],
            9: ['"UNKNOWN MEN" / "MEN"'],
            10: ['? "HARBOUR FRONT"'],
            12: ['"HARBOUR OFFICE" / "OFFICE"'],
            18: ['"JANE ROE"'],
            19: ['"CLERK": "JANE ROE"', '"GUARDS \\"ON DUTY\\""'],
        }
    )
    + "\n"
    + template(
        {
            0: ["TST9-TEST-0001"],
            1: ["2 (OPTIONAL)"],
            2: ["01 MAR 91 - 03 MAR 91"],
            3: ["ATLANTIS: NORTH (PROVINCE)"],
            4: ["ARSON"],
            5: ["THREATENED"],
        }
    )
    + "\n"
    + template({0: ["TST9-TEST-0002"]}, default="*")
)


@pytest.fixture
def synthetic(tmp_path: Path) -> list[ExternalDocument]:
    (tmp_path / "messages.txt").write_text(MESSAGES, encoding="latin-1")
    (tmp_path / "answers.key").write_text(KEY, encoding="latin-1")
    return muc4.load(tmp_path)


def test_fill_syntax() -> None:
    fill = muc4.parse_fill('? "A \\"B\\"" / "C": "D"')
    assert fill.optional and fill.values == ['A "B"', "C"] and fill.xref == ["D"]
    assert muc4.parse_fill("-").empty and muc4.parse_fill("*").empty
    assert muc4.parse_fill("SOME DAMAGE / DESTROYED").values == ["SOME DAMAGE", "DESTROYED"]


def test_messages_are_unwrapped_with_their_dateline(synthetic: list[ExternalDocument]) -> None:
    first, second = synthetic
    assert first.doc_id == "TST9-TEST-0001"
    assert first.text.split("\n\n")[0].endswith(
        "threw a grenade at the Harbour Office in Riverton last night."
    )
    assert first.text.count("\n\n") == 1
    assert first.dateline == "Riverton" and first.published_at == dt.date(1991, 3, 3)
    assert second.published_at == dt.date(1991, 3, 4) and second.events == []


def test_templates_map_to_events(synthetic: list[ExternalDocument]) -> None:
    attack, threat = synthetic[0].events
    assert (attack.event_type, attack.mode) == (EventType.ASSAULT, EventMode.EXPLOSIVE)
    assert attack.date is None and attack.date_precision == DatePrecision.UNKNOWN  # "- D"
    assert attack.location is not None
    assert (attack.location.place, attack.location.country) == ("Riverton", "Atlantis")
    assert attack.location.precision == LocationPrecision.PLACE
    assert [(f.alternatives, f.optional) for f in attack.sources] == [
        (["UNKNOWN MEN", "MEN"], False),
        (["HARBOUR FRONT"], True),
    ]
    assert [f.alternatives for f in attack.targets] == [
        ["HARBOUR OFFICE", "OFFICE"],
        ["JANE ROE", "CLERK"],  # the description tied to the name joins it
        ['GUARDS "ON DUTY"'],
    ]
    assert threat.event_type == EventType.THREATEN and threat.optional
    assert (threat.date, threat.date_precision) == (dt.date(1991, 3, 3), DatePrecision.WEEK)
    assert threat.location is not None and threat.location.admin_area == "North"


def test_unknown_incident_type_is_counted_unmapped(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text(MESSAGES, encoding="latin-1")
    key = template({0: ["TST9-TEST-0001"], 1: ["1"], 4: ["SABOTAGE"], 5: ["ACCOMPLISHED"]})
    (tmp_path / "k.key").write_text(key, encoding="latin-1")
    docs = muc4.load(tmp_path)
    assert docs[0].events == [] and docs[0].unmapped["incident_type:SABOTAGE"] == 1
    assert docs[1].unmapped["message_without_key"] == 1


def _event(event_type: EventType, sources: list[str], targets: list[str]) -> GroundedEvent:
    return GroundedEvent(
        event_type=event_type, sources=sources, targets=targets, summary="s", evidence="e"
    )


def test_role_filler_scoring(synthetic: list[ExternalDocument]) -> None:
    docs = synthetic[:1]
    gold = score_benchmark("muc4", docs, [gold_as_prediction(d) for d in docs])
    assert gold.counts["role_fillers"].f1 == 1.0
    empty = score_benchmark("muc4", docs, [None])
    assert empty.counts["role_fillers"].recall == 0.0 and empty.failed_extractions == 1
    # One right source by head noun, the optional one (not counted), one wrong target, one
    # target right through a fuzzy match; the optional THREATEN template is not missed.
    pred = GroundedExtraction(
        events=[
            _event(EventType.ASSAULT, ["two men", "Harbour Front"], ["Jane Rowe", "the mayor"]),
            _event(EventType.ACCUSE, ["police"], ["men"]),  # a type MUC-4 does not key
        ]
    )
    report = score_benchmark("muc4", docs, [pred])
    fillers = report.counts["role_fillers"]
    assert (fillers.tp, fillers.fp, fillers.fn) == (2, 1, 2)
    strict = report.counts["role_fillers_strict"]
    assert (strict.tp, strict.fp, strict.fn) == (1, 2, 3)  # "two men" needs the head noun
    assert (report.counts["events"].tp, report.counts["events"].fn) == (1, 0)


SAMPLE = BENCHMARKS / "muc4"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="no MUC-4 sample in ../shared/benchmarks")
def test_real_sample() -> None:
    docs = muc4.load(SAMPLE)
    stats = gold_stats(docs)
    assert stats["documents"] == len({d.doc_id for d in docs}) > 0
    assert all(d.published_at is not None and d.dateline for d in docs)
    assert all("\n" not in d.text.replace("\n\n", "") for d in docs)  # lines unwrapped
    assert stats["native_templates"] >= len(docs)  # a message without incident has one too
    assert 0 < stats["events"] <= stats["native_templates"]
    assert not [k for k in stats if k.startswith("unmapped_")]  # every incident type maps
    assert all(e.sources or e.targets for d in docs for e in d.events)
    gold = score_benchmark("muc4", docs, [gold_as_prediction(d) for d in docs])
    assert gold.counts["role_fillers"].f1 == 1.0 and gold.counts["events"].f1 == 1.0
    empty = score_benchmark("muc4", docs, [None] * len(docs))
    assert empty.counts["role_fillers"].recall == 0.0
    assert empty.counts["role_fillers"].fn == gold.counts["role_fillers"].tp
