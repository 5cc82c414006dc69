"""Released prompt files are frozen: the lock names each one's sha256 and loading checks it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from api.config import Settings
from api.llm.prompts import (
    LOCK_FILE_NAME,
    PROMPTS_DIR,
    PromptIntegrityError,
    load_prompt,
    prompt_files,
    read_lock,
    schema_sha256,
)
from schemas.extraction import ArticleExtraction


def test_every_prompt_file_is_released_in_the_lock() -> None:
    lock = read_lock()
    files = {p.name for p in prompt_files()}
    assert files, "no prompt files found"
    assert files == set(lock), f"unlocked: {files - set(lock)}; stale: {set(lock) - files}"


@pytest.mark.parametrize("path", prompt_files(), ids=lambda p: p.name)
def test_lock_matches_file_bytes(path: Path) -> None:
    assert read_lock()[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_settings_prompt_is_released() -> None:
    settings = Settings()
    prompt = load_prompt(settings.prompt_id, settings.prompt_version)
    assert prompt.ref.sha256 == read_lock()[f"{settings.prompt_id}_{settings.prompt_version}.jinja"]


def test_single_call_prompt_v1_renders_both_messages() -> None:
    prompt = load_prompt("extract", "v1")
    messages = prompt.render(
        title="Title here",
        dateline="AIN ISSA, Syria",
        article_date="2017-10-17",
        text="Body of the article.",
        chunk_number=1,
        chunk_count=1,
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "not instructions" in messages[0]["content"]
    assert "<article>\nBody of the article.\n</article>" in messages[1]["content"]
    assert "Title here" in messages[1]["content"]
    assert "2017-10-17" in messages[1]["content"]
    assert "part 1 of" not in messages[1]["content"]


def test_missing_variable_is_an_error_not_an_empty_string() -> None:
    prompt = load_prompt("extract", "v1")
    with pytest.raises(Exception, match="chunk_count"):
        prompt.render(title=None, dateline=None, article_date=None, text="x")


def _copy_prompts(tmp_path: Path) -> Path:
    for path in [*prompt_files(), PROMPTS_DIR / LOCK_FILE_NAME]:
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_tampered_released_prompt_is_refused(tmp_path: Path) -> None:
    prompts_dir = _copy_prompts(tmp_path)
    target = prompts_dir / "extract_v1.jinja"
    assert load_prompt("extract", "v1", prompts_dir=prompts_dir).ref.sha256
    target.write_text(target.read_text(encoding="utf-8") + " ", encoding="utf-8")
    with pytest.raises(PromptIntegrityError, match="frozen"):
        load_prompt("extract", "v1", prompts_dir=prompts_dir)


def test_unknown_prompt_names_the_available_ones(tmp_path: Path) -> None:
    prompts_dir = _copy_prompts(tmp_path)
    with pytest.raises(PromptIntegrityError, match=r"extract_v1\.jinja"):
        load_prompt("extract", "v999", prompts_dir=prompts_dir)


def test_schema_sha_is_stable_and_changes_with_the_schema() -> None:
    from pydantic import BaseModel, Field

    class Other(BaseModel):
        x: int = Field(description="a number")

    digest = schema_sha256(ArticleExtraction)
    assert digest == schema_sha256(ArticleExtraction)
    assert len(digest) == 64
    assert digest != schema_sha256(Other)
