"""The client, batch and budget settings are one definition: answering and grading take the
same keywords with the same bounds, and hand the same options to the clients they make; the
run file's model and judges sections take those of them they have with the same bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from medjudge.answering import AnswerConfig
from medjudge.judging.grade import GradeConfig
from medjudge.models import ClientOptions
from medjudge.models.engine_options import EngineOptions
from medjudge.models.pricing import ModelPrice, Price
from medjudge.run_config import RunConfigError, parse_run_config

RUN_FILE = "store: s.sqlite\nbenchmark:\n  path: sample:anesbench\n"


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


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("model", "concurrency", 0),
        ("model", "concurrency", 1025),
        ("model", "timeout_s", 0),
        ("model", "timeout_s", 3601),
        ("model", "max_cost_usd", 0),
        ("judges", "max_cost_usd", 0),
    ],
)
def test_the_run_file_refuses_what_the_stage_refuses_in_the_same_words(section, field, value):
    stage = answer_config if section == "model" else grade_config
    with pytest.raises(ValidationError) as refused:
        stage(**{field: value})
    extra = "  models: [gpt-4o]\n" if section == "judges" else ""
    text = f"{RUN_FILE}{section}:\n{extra}  {field}: {value}\n"
    with pytest.raises(RunConfigError) as caught:
        parse_run_config(text, source="eval.yaml")
    assert caught.value.field == f"{section}.{field}"
    assert caught.value.problem == refused.value.errors()[0]["msg"]


def test_the_run_file_answers_and_grades_with_the_stages_defaults():
    config = parse_run_config(RUN_FILE + "judges:\n  models: [gpt-4o]\n")
    answer, grade = answer_config(), grade_config()
    assert (config.model.concurrency, config.model.timeout_s, config.model.dtype) == (
        answer.concurrency, answer.timeout_s, answer.dtype
    ) == (8, 120.0, None)
    assert config.judges is not None
    assert config.model.max_cost_usd is answer.max_cost_usd is None
    assert config.judges.max_cost_usd is grade.max_cost_usd is None
