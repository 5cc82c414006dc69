"""The model-call fast path (api.llm.calls): the same requests as instructor's own `create`,
re-asks included, with the response model wrapped once per class and messages templated
without a Jinja compile."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
from hypothesis import given, settings
from instructor.v2.core.templating import apply_template

from api.config import Settings
from api.llm.calls import CallLog, ModelCaller, prepared_model, templated
from api.llm.client import build_client
from api.llm.recording import RecordingMeta
from schemas.extraction import ArticleAnswer
from tests.api.llm.scripted_server import (
    ARTICLE_TEXT,
    FAKE_MODEL,
    ScriptedServer,
    good_answer,
    invented_quote_answer,
)

CONTEXT = {"article_text": ARTICLE_TEXT, "article_date": dt.date(2019, 3, 10)}
MESSAGES = [
    {"role": "system", "content": "Code the article.\n  [1] KAFR NABL\n\t\n"},
    {"role": "user", "content": ARTICLE_TEXT + "\r\nEnd.\n"},
]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab {}%#-\n\r\t x\u201c")), max_size=40))
def test_templated_equals_instructors_jinja_render(text: str) -> None:
    try:
        expected = apply_template(text, CONTEXT)
    except Exception as error:  # a text instructor cannot render fails the same way here
        try:
            templated(text, CONTEXT)
        except Exception as ours:
            assert type(ours) is type(error)
            return
        raise AssertionError(f"instructor raised {error!r}, templated did not") from None
    assert templated(text, CONTEXT) == expected


def test_templated_renders_a_jinja_tag_as_instructor_does() -> None:
    assert templated("x {{ article_date }} y\n", CONTEXT) == "x 2019-03-10 y"
    assert templated("as is\n", None) == "as is\n"  # no context: instructor leaves it


def _caller(settings: Settings, server: ScriptedServer) -> ModelCaller:
    meta = RecordingMeta(model=FAKE_MODEL, backend="openai", base_url="http://model.test/v1")
    client = build_client(settings, meta=meta, network=server.transport())
    return ModelCaller(
        client=client, model=FAKE_MODEL, max_reasks=2, temperature=0.0, max_tokens=99
    )


def test_requests_equal_instructors_create_through_a_reask(
    make_settings: Callable[..., Settings],
) -> None:
    """The first answer invents a quote (a validation error, re-asked with it), the second is
    valid: both calls send the same two requests, byte for byte, and log the same."""
    sent: list[list[dict[str, Any]]] = []
    answers = []
    logs = []
    for fast in (True, False):
        server = ScriptedServer().answer(invented_quote_answer()).answer(good_answer())
        caller = _caller(make_settings(), server)
        calls = CallLog()
        if fast:
            answer = caller.ask([dict(m) for m in MESSAGES], ArticleAnswer, CONTEXT, calls)
        else:
            answer = caller.client.create(
                model=caller.model,
                response_model=ArticleAnswer,
                messages=[dict(m) for m in MESSAGES],  # type: ignore[misc]
                context=CONTEXT,
                max_retries=caller.max_reasks,
                temperature=caller.temperature,
                max_tokens=caller.max_tokens,
                hooks=calls.hooks(),
            )
        sent.append(server.requests)
        answers.append(answer.model_dump())
        logs.append((calls.attempts, calls.raw_outputs, calls.last_parse_error))
    assert len(sent[0]) == 2 and sent[0] == sent[1]
    assert sent[0][0]["messages"][1]["content"].endswith("\nEnd.")  # templated as instructor
    assert answers[0] == answers[1] and logs[0] == logs[1]
    assert logs[0][0] == 2 and logs[0][2] is not None


def test_a_model_class_is_wrapped_once() -> None:
    assert prepared_model(ArticleAnswer) is prepared_model(ArticleAnswer)
    assert issubclass(prepared_model(ArticleAnswer), ArticleAnswer)
