"""Versioned prompt files: `prompts/{id}_{version}.jinja`, frozen once released.

A released prompt has its sha256 in `prompts/prompts.lock`; loading one whose bytes differ from
the lock is refused, so a stored extraction's prompt ref always names the text that produced it.
A file not in the lock is a draft: it loads (for iteration) and a test fails until it is locked.

A prompt file declares the pipeline it drives (`{% block pipeline %}staged{% endblock %}`; none
declared: the single-call pipeline) and holds the Jinja blocks that pipeline renders
(api.llm.pipelines).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel

import prompts as _prompts_package
from schemas.contract import PromptRef

PROMPTS_DIR = Path(_prompts_package.__file__).resolve().parent
LOCK_FILE_NAME = "prompts.lock"
PROMPT_SUFFIX = ".jinja"
MESSAGE_BLOCKS = ("system", "user")


class PromptIntegrityError(RuntimeError):
    """A released prompt file differs from its locked sha256, or a prompt is missing."""


def prompt_file_name(prompt_id: str, version: str) -> str:
    return f"{prompt_id}_{version}{PROMPT_SUFFIX}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock(prompts_dir: Path = PROMPTS_DIR) -> dict[str, str]:
    """The lock: released file name -> sha256 of its bytes."""
    lock_path = prompts_dir / LOCK_FILE_NAME
    if not lock_path.exists():
        return {}
    lock = json.loads(lock_path.read_text(encoding="utf-8"))
    if not isinstance(lock, dict):
        raise PromptIntegrityError(f"{lock_path} must be a JSON object of file name -> sha256")
    return {str(name): str(digest) for name, digest in lock.items()}


def prompt_files(prompts_dir: Path = PROMPTS_DIR) -> list[Path]:
    return sorted(prompts_dir.glob(f"*{PROMPT_SUFFIX}"))


@dataclass(frozen=True)
class Prompt:
    ref: PromptRef
    template: jinja2.Template

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """Chat messages (system, user) for these template variables."""
        context = self.template.new_context(variables)
        messages = []
        for role in MESSAGE_BLOCKS:
            block = self.template.blocks.get(role)
            if block is None:
                raise PromptIntegrityError(f"prompt {self.ref.label} has no {role!r} block")
            content = "".join(block(context)).strip()
            messages.append({"role": role, "content": content})
        return messages

    def render_block(self, name: str, **variables: Any) -> str:
        """One named block of the template, rendered (a stage's message in a staged prompt)."""
        block = self.template.blocks.get(name)
        if block is None:
            raise PromptIntegrityError(f"prompt {self.ref.label} has no {name!r} block")
        return "".join(block(self.template.new_context(variables))).strip()

    @property
    def pipeline(self) -> str:
        """Which extraction pipeline the prompt drives: its `pipeline` block ("staged"), else
        "single" (one call for the whole article, as v1)."""
        if "pipeline" not in self.template.blocks:
            return "single"
        return self.render_block("pipeline")


def load_prompt(prompt_id: str, version: str, *, prompts_dir: Path = PROMPTS_DIR) -> Prompt:
    """Load `{id}_{version}.jinja`, refusing a released file whose bytes differ from the lock."""
    name = prompt_file_name(prompt_id, version)
    path = prompts_dir / name
    if not path.is_file():
        available = ", ".join(p.name for p in prompt_files(prompts_dir)) or "none"
        raise PromptIntegrityError(f"no prompt {name} in {prompts_dir} (available: {available})")
    data = path.read_bytes()
    digest = sha256_bytes(data)
    locked = read_lock(prompts_dir).get(name)
    if locked is not None and locked != digest:
        raise PromptIntegrityError(
            f"prompt {name} was released with sha256 {locked} but the file now hashes to "
            f"{digest}: released prompts are frozen; put changes in a new version"
        )
    env = jinja2.Environment(
        autoescape=False,  # plain-text chat messages, not HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    template = env.from_string(data.decode("utf-8"))
    return Prompt(ref=PromptRef(id=prompt_id, version=version, sha256=digest), template=template)


def canonical_json(value: Any) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def schemas_sha256(models: Sequence[type[BaseModel]]) -> str:
    """sha256 over the function schemas of several calls (a pipeline that asks in stages).
    It depends only on code, so it is computed once per process."""
    return _schemas_sha256(tuple(models))


@lru_cache(maxsize=64)
def _schemas_sha256(models: tuple[type[BaseModel], ...]) -> str:
    from instructor import generate_openai_schema  # heavy import, only when asked

    return sha256_bytes(canonical_json([generate_openai_schema(m) for m in models]).encode())


@lru_cache(maxsize=64)
def schema_sha256(model: type[BaseModel]) -> str:
    """sha256 of the function schema the model is given (instructor's TOOLS-mode schema:
    name, description and JSON-schema parameters, with every field description); computed
    once per process."""
    from instructor import generate_openai_schema  # heavy import, only when asked

    return sha256_bytes(canonical_json(generate_openai_schema(model)).encode("utf-8"))
