"""Model calls: one instructor call with re-asks (`ModelCaller.ask`), and the log that instructor
hooks fill during it (`CallLog`: every attempt, its tokens and raw answer, the last validation
error). Every pipeline asks through a ModelCaller, so transport retries, recording and replay
(below the client) and the accounting (here) are the same for all of them."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, TypeVar, cast

import instructor
from instructor.core.hooks import HookName, Hooks
from instructor.v2.core.registry import ModeHandlers, mode_registry
from instructor.v2.core.response_model import prepare_response_model
from instructor.v2.core.retry import retry_sync_v2
from instructor.v2.core.templating import apply_template  # type: ignore[attr-defined]
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


# Response models instructor has wrapped (its ResponseSchema subclass), by the model class: a
# pipeline asks with one class per article shape (schemas.stages, api.llm.pipelines.hybrid
# cache those), so the function schema instructor caches for the wrapped class is built once.
PREPARED_MODELS_CACHED = 512
_JINJA_TAGS = ("{{", "{%", "{#")
_NEWLINES = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=PREPARED_MODELS_CACHED)
def prepared_model(response_model: type[BaseModel]) -> type[BaseModel]:
    """instructor's wrap of `response_model`, made once per class (instructor's own `create`
    wraps anew on every call, so its schema cache never hits and pydantic rebuilds the
    model and its JSON schema every time)."""
    prepared: type[BaseModel] = prepare_response_model(response_model)  # type: ignore[assignment]
    return prepared


def templated(text: str, context: dict[str, Any] | None) -> str:
    """What instructor's templating makes of a message given a validation `context` (it renders
    every message as a Jinja template, then dedents), without compiling a template for a
    text that holds no Jinja tag: such a text renders to itself with its newlines normalised
    and one trailing newline dropped (jinja2's lexer)."""
    if not context:
        return text
    if any(tag in text for tag in _JINJA_TAGS):
        return str(apply_template(text, context))
    lines = _NEWLINES.split(text)
    if lines[-1] == "":
        del lines[-1]
    return textwrap.dedent("\n".join(lines))


@dataclass(frozen=True)
class ModelCaller:
    """The client and the call settings every request of an extractor uses."""

    client: instructor.Instructor
    model: str
    max_reasks: int
    temperature: float
    max_tokens: int

    @cached_property
    def _handlers(self) -> ModeHandlers:
        return mode_registry.get_handlers(self.client.provider, self.client.mode)

    @cached_property
    def _create(self) -> Callable[..., Any]:
        """The openai function instructor patched (`Instructor.create_fn` wraps it)."""
        create: Callable[..., Any] = getattr(
            self.client.create_fn, "__wrapped__", self.client.create_fn
        )
        return create

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
            answer: _A = self._ask(messages, response_model, context, calls)
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

    def _ask(
        self,
        messages: list[dict[str, str]],
        response_model: type[_A],
        context: dict[str, Any],
        calls: CallLog,
    ) -> _A:
        """`Instructor.create` step by step (instructor 1.17's patched create, which the
        tests pin to the same requests), minus its per-call rebuilding: the response model
        is wrapped once per class and the messages are templated without a Jinja compile.
        Its re-asks (validation errors, max_retries) and hooks are instructor's own."""
        kwargs = self.client.handle_kwargs(
            {
                "messages": messages,
                "model": self.model,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
            }
        )
        handlers = self._handlers
        model, request = handlers.request_handler(
            response_model=prepared_model(response_model), kwargs=kwargs
        )
        if handlers.message_converter is not None:
            request["messages"] = handlers.message_converter(
                request["messages"], autodetect_images=False
            )
        request["messages"] = [
            {**m, "content": templated(m["content"], context)}
            if isinstance(m.get("content"), str)
            else m
            for m in request["messages"]
        ]
        answer = retry_sync_v2(
            func=self._create,
            response_model=model,
            provider=self.client.provider,
            mode=self.client.mode,
            context=context,
            max_retries=self.max_reasks,
            args=(),
            kwargs=request,
            strict=True,
            hooks=self.client.hooks + calls.hooks(),
        )
        return cast(_A, answer)  # instructor's wrap of response_model: a subclass of it


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
