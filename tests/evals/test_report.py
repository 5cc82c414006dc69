"""The eval report's type confusion: one row per gold type, what it was taken for, what was
predicted where gold has no event."""

from __future__ import annotations

from rich.console import Console

from evals.report import print_type_confusion


def test_type_confusion_rows_say_same_other_and_missed() -> None:
    console = Console(record=True, width=100)
    print_type_confusion(
        {"ASSAULT>ASSAULT": 3, "ASSAULT>AID": 1, "ASSAULT>—": 2, "—>REJECT": 4}, console
    )
    lines = [" ".join(line.split()) for line in console.export_text().splitlines()]
    assert any(line.startswith("│ ASSAULT │ 3 │ AID 1 │ 2 │") for line in lines), lines
    assert any(line.startswith("│ — │ │ REJECT 4 │ │") for line in lines), lines
