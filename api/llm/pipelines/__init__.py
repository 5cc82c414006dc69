"""Extraction pipelines: how a prompt version turns one chunk of an article into an answer.

A prompt file declares its pipeline (`{% block pipeline %}staged{% endblock %}`; a prompt that
declares none is the single-call pipeline of v1). Every pipeline implements `Pipeline`; the
extractor chunks the article, calls the pipeline on each chunk, enriches the answers and builds
the outcome, whatever the pipeline. A new pipeline is a module here and a line in `pipelines()`.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from api.llm.prompts import Prompt, PromptIntegrityError

if TYPE_CHECKING:
    from api.llm.actors import AliasTable
    from api.llm.calls import CallLog, ModelCaller
    from api.llm.gazetteer import Gazetteer
    from schemas.extraction import ArticleExtraction


@dataclass(frozen=True)
class Resources:
    """What the extractor loads once and a pipeline may use: the curated actor table and the
    gazetteer."""

    aliases: AliasTable | None = None
    gazetteer: Gazetteer | None = None


@dataclass(frozen=True)
class ArticleChunk:
    """One chunk of an article as a pipeline sees it (the whole article when it is short)."""

    text: str
    title: str | None = None
    dateline: str | None = None
    article_date: dt.date | None = None  # what relative dates resolve against
    number: int = 1
    count: int = 1


class Pipeline(ABC):
    """Turns a chunk into a validated ArticleExtraction, asking the model through `caller`;
    raises what the model client raises (the extractor makes that an outcome). A class
    declares its name in prompt files and the prompt blocks it renders."""

    name: ClassVar[str]
    required_blocks: ClassVar[tuple[str, ...]]

    def __init__(
        self, prompt: Prompt, caller: ModelCaller, resources: Resources | None = None
    ) -> None:
        self.prompt = prompt
        self.caller = caller
        self.resources = resources or Resources()

    @classmethod
    @abstractmethod
    def schema_sha256(cls) -> str:
        """sha256 of every schema the model may be given (part of the extraction key)."""

    @abstractmethod
    def extract(self, chunk: ArticleChunk, calls: CallLog) -> ArticleExtraction: ...


def pipelines() -> dict[str, type[Pipeline]]:
    """Every pipeline by the name prompt files declare (imported on first use)."""
    from api.llm.pipelines.hybrid import HybridPipeline
    from api.llm.pipelines.single_call import SingleCallPipeline
    from api.llm.pipelines.staged import StagedPipeline

    return {p.name: p for p in (SingleCallPipeline, StagedPipeline, HybridPipeline)}


def pipeline_for(prompt: Prompt) -> type[Pipeline]:
    """The pipeline `prompt` declares; refuses a prompt that lacks a block it needs."""
    known = pipelines()
    factory = known.get(prompt.pipeline)
    if factory is None:
        raise PromptIntegrityError(
            f"prompt {prompt.ref.label} declares pipeline {prompt.pipeline!r}; known: "
            + ", ".join(sorted(known))
        )
    missing = [b for b in factory.required_blocks if b not in prompt.template.blocks]
    if missing:
        raise PromptIntegrityError(
            f"prompt {prompt.ref.label} (pipeline {factory.name}) has no block "
            + ", ".join(repr(b) for b in missing)
        )
    return factory


def build_pipeline(
    prompt: Prompt, caller: ModelCaller, resources: Resources | None = None
) -> Pipeline:
    return pipeline_for(prompt)(prompt, caller, resources)
