"""The staged pipeline's per-article answer models are built once per shape (schemas.stages)."""

from __future__ import annotations

from instructor import generate_openai_schema

from schemas.stages import (
    _event_answer_model,
    _speaker_answer_model,
    event_answer_model,
    speaker_answer_model,
)

NAMES = ["Free Army", "Abu Khaled"]


def test_an_article_shape_gets_one_class_whose_schema_equals_a_fresh_build() -> None:
    cached = event_answer_model([2, 3], NAMES)
    assert event_answer_model((2, 3), tuple(NAMES)) is cached
    fresh = _event_answer_model.__wrapped__((2, 3), tuple(NAMES))
    assert fresh is not cached
    assert generate_openai_schema(cached) == generate_openai_schema(fresh)
    speakers = speaker_answer_model([1], NAMES)
    assert speaker_answer_model([1], NAMES) is speakers
    assert generate_openai_schema(speakers) == generate_openai_schema(
        _speaker_answer_model.__wrapped__((1,), tuple(NAMES))
    )


def test_a_new_enum_set_gives_a_new_model() -> None:
    first = event_answer_model([2, 3], NAMES)
    other = event_answer_model([2, 3], [*NAMES, "Rebel fighters"])
    assert other is not first
    params = generate_openai_schema(other)["parameters"]
    assert "Rebel fighters" in params["$defs"]["ActorName"]["enum"]
    assert params["$defs"]["Event"]["properties"]["sentence"]["enum"] == [2, 3]
    assert speaker_answer_model([1, 2], NAMES) is not speaker_answer_model([1], NAMES)
