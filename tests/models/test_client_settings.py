"""The client, batch and budget settings are one definition: answering and grading take the
same keywords with the same bounds, and hand the same options to the clients they make."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from medjudge.answering import AnswerConfig
from medjudge.judging.grade import GradeConfig
from medjudge.models import ClientOptions
from medjudge.models.engine_options import EngineOptions
from medjudge.models.pricing import ModelPrice, Price


def answer_config(**fields: object) -> AnswerConfig:
    return AnswerConfig(benchmark="sample:anesbench", store=Path("s.sqlite"), **fields)


def grade_config(**fields: object) -> GradeConfig:
    return GradeConfig(store=Path("s.sqlite"), **fields)


@pytest.mark.parametrize("make", [answer_config, grade_config], ids=["answer", "grade"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("concurrency", 0),
        ("concurrency", 1025),
        ("timeout_s", 0),
        ("timeout_s", 3601),
        ("max_attempts", 21),
        ("max_model_len", 255),
        ("dtype", "int3"),
        ("poll_interval_s", 0),
        ("max_cost_usd", 0),
    ],
)
def test_both_stages_refuse_the_same_out_of_bounds_settings(make, field: str, value: object):
    with pytest.raises(ValidationError) as caught:
        make(**{field: value})
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize("make", [answer_config, grade_config], ids=["answer", "grade"])
def test_both_stages_keep_the_defaults_users_rely_on(make):
    config = make()
    assert (config.concurrency, config.timeout_s, config.max_attempts) == (8, 120.0, 4)
    assert (config.max_model_len, config.dtype, config.probe) == (4096, None, True)
    assert (config.batch, config.poll_interval_s, config.max_cost_usd, config.prices) == (
        False, 30.0, None, ()
    )
    assert config.engine == EngineOptions()


@pytest.mark.parametrize("make", [answer_config, grade_config], ids=["answer", "grade"])
def test_the_client_is_given_every_client_setting_and_the_base_url(make):
    engine = EngineOptions(tensor_parallel_size=2, enforce_eager=True)
    price = ModelPrice(model="openai/gpt-4o", price=Price(input_per_mtok=1, output_per_mtok=2))
    config = make(concurrency=3, timeout_s=9.5, max_attempts=2, max_model_len=512,
                  dtype="float16", probe=False, engine=engine, batch=True, max_cost_usd=1.5,
                  prices=(price,))
    assert config.client_options("http://127.0.0.1:9/v1") == ClientOptions(
        base_url="http://127.0.0.1:9/v1", concurrency=3, timeout_s=9.5, max_attempts=2,
        max_model_len=512, dtype="float16", probe=False, engine=engine,
    )
    assert config.client_options(None).base_url is None
