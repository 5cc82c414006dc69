"""The `wirecoder` group imports a sub-command's module only when that command is asked for."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from api.cli import LAZY_COMMANDS, app


def test_importing_the_cli_imports_no_sub_command() -> None:
    modules = {module for module, _ in LAZY_COMMANDS.values()}
    probe = "import sys, api.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                check=True).stdout.split())  # fmt: skip
    assert not modules & loaded
    assert "sqlmodel" not in loaded and "openai" not in loaded


def test_help_lists_every_command_and_each_runs() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0, listed.output
    for name in LAZY_COMMANDS:
        assert f" {name} " in listed.output
        assert runner.invoke(app, [name, "--help"]).exit_code == 0, name
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2
