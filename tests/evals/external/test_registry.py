"""The adapter registry: one CLI command per adapter, and the scorer scores what each declares."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from evals.external.cli import external_app
from evals.external.common import ExternalDocument
from evals.external.registry import ADAPTERS, adapter_named
from evals.external.scoring import score_benchmark


def test_every_adapter_has_a_command_with_its_path_help() -> None:
    runner = CliRunner()
    for name, adapter in ADAPTERS.items():
        result = runner.invoke(external_app, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert adapter.path_help.split()[0] in result.output
        assert adapter.event_types or adapter.scores_quotes  # it scores something


def test_a_report_has_the_rows_its_adapter_declares() -> None:
    doc = [ExternalDocument(doc_id="d", text="Nothing happened.")]
    events = set(score_benchmark("muc4", doc, [None]).counts)
    quotes = set(score_benchmark("polnear", doc, [None]).counts)
    assert "role_fillers" in events and not any(row.startswith("quotes") for row in events)
    assert "quotes_all" in quotes and "events" not in quotes
    with pytest.raises(ValueError, match="no benchmark 'acled'"):
        adapter_named("acled")
