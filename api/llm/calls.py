"""Model calls: one instructor call with re-asks (`ModelCaller.ask`), and the log that instructor
hooks fill during it (`CallLog`: every attempt, its tokens and raw answer, the last validation
error). Every pipeline asks through a ModelCaller, so transport retries, recording and replay
(below the client) and the accounting (here) are the same for all of them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
from instructor.core.hooks import HookName, Hooks
from pydantic import BaseModel

from api import metrics
from api.llm.transport import current_stats
from schemas.contract import Usage

_A = TypeVar("_A", bound=BaseModel)


@dataclass
class CallLog:
    """Filled by instructor hooks during the calls of one chunk: every attempt, answer and
    error (also of attempts that failed)."""

    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    raw_outputs: list[str] = field(default_factory=list)
    last_parse_error: str | None = None

    def hooks(self) -> Hooks:
        hooks = Hooks()
        hooks.on(HookName.COMPLETION_KWARGS, self._on_call)
        hooks.on(HookName.COMPLETION_RESPONSE, self._on_response)
        hooks.on(HookName.PARSE_ERROR, self._on_parse_error)
        return hooks

    def _on_call(self, *_args: Any, **_kwargs: Any) -> None:
        self.attempts += 1

    def _on_response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage.add(usage.prompt_tokens or 0, usage.completion_tokens or 0)
        self.raw_outputs.append(raw_answer(response))

    def _on_parse_error(self, error: Exception, **_kwargs: Any) -> None:
        self.last_parse_error = str(error)


@dataclass(frozen=True)
class ModelCaller:
    """The client and the call settings every request of an extractor uses."""

    client: instructor.Instructor
    model: str
    max_reasks: int
    temperature: float
    max_tokens: int

    def ask(
        self,
        messages: list[dict[str, str]],
        response_model: type[_A],
        context: dict[str, Any],
        calls: CallLog,
    ) -> _A:
        """One answer of `response_model`, validated with `context` and re-asked on a
        validation error; raises what the client raises."""
        # what this call adds to the chunk's log and stats is what the metrics count
        attempts, usage = calls.attempts, calls.usage.model_copy()
        stats = current_stats()
        retries = stats.transport_retries if stats is not None else 0
        ok = False
        try:
            answer: _A = self.client.create(
                model=self.model,
                response_model=response_model,
                messages=messages,  # type: ignore[arg-type]
                context=context,
                max_retries=self.max_reasks,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                hooks=calls.hooks(),
            )
            ok = True
            return answer
        finally:
            metrics.count_model_call(
                model=self.model,
                stage=stage_of(response_model),
                ok=ok,
                attempts=calls.attempts - attempts,
                transport_retries=(stats.transport_retries - retries) if stats else 0,
                prompt_tokens=calls.usage.prompt_tokens - usage.prompt_tokens,
                completion_tokens=calls.usage.completion_tokens - usage.completion_tokens,
            )


def stage_of(response_model: type[BaseModel]) -> str:
    """The pipeline stage a call answers, named as the model sees it: the tool it calls
    (ArticleExtraction; ActorsAnswer, Events, Speakers; EventChoices). A few fixed names per
    pipeline, so a metrics label."""
    return str(response_model.model_config.get("title") or response_model.__name__)


def raw_answer(response: Any) -> str:
    """What the model generated: the tool call's arguments, else the message text."""
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError):
        return str(response)
    tool_calls = getattr(message, "tool_calls", None) or []
    arguments = [c.function.arguments for c in tool_calls if getattr(c, "function", None)]
    if arguments:
        return arguments[0] if len(arguments) == 1 else json.dumps(arguments)
    return str(getattr(message, "content", "") or "")
