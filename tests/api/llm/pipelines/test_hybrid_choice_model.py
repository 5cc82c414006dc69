"""The hybrid pipeline's answer model is built once per set of candidates' readings."""

from __future__ import annotations

from instructor import generate_openai_schema

from api.llm.pipelines.hybrid import HybridPipeline, choice_model
from api.llm.prompts import schemas_sha256
from schemas.decisions import EventChoices, event_choice_model


def test_equal_readings_get_one_class_whose_schema_equals_a_fresh_build() -> None:
    options = {1: ["COERCE", "ASSAULT"], 2: ["ASSAULT"]}
    cached = choice_model(options)
    assert choice_model({1: ["COERCE", "ASSAULT"], 2: ["ASSAULT"]}) is cached
    assert generate_openai_schema(cached) == generate_openai_schema(event_choice_model(options))


def test_other_readings_give_another_model() -> None:
    one = choice_model({1: ["COERCE", "ASSAULT"]})
    assert choice_model({1: ["ASSAULT", "COERCE"]}) is not one  # the order is the prompt's
    assert choice_model({2: ["COERCE", "ASSAULT"]}) is not one


def test_the_schema_hash_is_computed_once_and_equals_a_fresh_one() -> None:
    from api.llm import prompts

    assert HybridPipeline.schema_sha256() == HybridPipeline.schema_sha256()
    assert HybridPipeline.schema_sha256() == prompts._schemas_sha256.__wrapped__((EventChoices,))
    assert schemas_sha256([EventChoices]) == HybridPipeline.schema_sha256()
