"""`wirecoder prompt release` writes the lock only for a prompt its pipeline can run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.llm.prompt_cli import release_prompt
from api.llm.prompts import LOCK_FILE_NAME, PROMPTS_DIR, PromptIntegrityError, load_prompt

STAGED = (PROMPTS_DIR / "extract_v2.jinja").read_text(encoding="utf-8")


def _draft(tmp_path: Path, text: str, version: str = "v9") -> Path:
    (tmp_path / LOCK_FILE_NAME).write_text("{}\n", encoding="utf-8")
    path = tmp_path / f"extract_{version}.jinja"
    path.write_text(text, encoding="utf-8")
    return path


def test_release_writes_the_sha_and_the_released_file_is_then_frozen(tmp_path: Path) -> None:
    path = _draft(tmp_path, STAGED)
    assert release_prompt("extract", "v9", tmp_path).startswith("released extract_v9.jinja")
    lock = json.loads((tmp_path / LOCK_FILE_NAME).read_text(encoding="utf-8"))
    assert lock == {
        "extract_v9.jinja": load_prompt("extract", "v9", prompts_dir=tmp_path).ref.sha256
    }
    assert "already released" in release_prompt("extract", "v9", tmp_path)
    path.write_text(STAGED + "\n", encoding="utf-8")
    with pytest.raises(PromptIntegrityError, match="frozen"):
        release_prompt("extract", "v9", tmp_path)


def test_release_refuses_a_prompt_missing_a_block_of_its_pipeline(tmp_path: Path) -> None:
    start = STAGED.index("{% block speakers -%}")
    _draft(tmp_path, STAGED[:start])
    with pytest.raises(PromptIntegrityError, match="'speakers'"):
        release_prompt("extract", "v9", tmp_path)
    assert json.loads((tmp_path / LOCK_FILE_NAME).read_text(encoding="utf-8")) == {}


def test_release_refuses_an_unknown_pipeline(tmp_path: Path) -> None:
    _draft(tmp_path, STAGED.replace("{% block pipeline %}staged", "{% block pipeline %}magic"))
    with pytest.raises(PromptIntegrityError, match="pipeline 'magic'"):
        release_prompt("extract", "v9", tmp_path)
