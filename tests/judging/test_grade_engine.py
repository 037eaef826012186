"""Real judges on the bundled model: offline vLLM structured outputs, and vLLM's own server
through the real OpenAI and Anthropic SDKs. The 135M model's verdicts mean nothing
clinically; these tests prove the path: schema-valid verdicts or unscored with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.judging.grade import GradeConfig, grade
from medjudge.models import DEFAULT_MODEL
from medjudge.records import JudgeOutput, SamplingConfig
from medjudge.store import Store

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory, vllm_client) -> Path:
    store = tmp_path_factory.mktemp("judged") / "s.sqlite"
    answer_benchmark(
        AnswerConfig(benchmark="sample:llmeval-med", store=store,
                     sampling=SamplingConfig(max_tokens=48)),
        client=vllm_client,
    )
    return store


def check_verdicts(store: Path, judge: str, expected: int) -> None:
    with Store(store) as db:
        verdicts = [v for v in db.verdicts() if v.judge == judge]
    assert len(verdicts) == expected
    scored = [v for v in verdicts if v.status == "scored"]
    assert scored, [v.unscored_reason for v in verdicts]
    for verdict in scored:
        assert verdict.output is not None
        JudgeOutput.model_validate(verdict.output.model_dump())
        assert verdict.final_score == min(
            verdict.judge_score, {"none": 5, "concern": 2, "serious": 1}[
                verdict.output.safety_risk])
    for verdict in verdicts:
        if verdict.status == "unscored":
            assert verdict.unscored_reason and verdict.final_score is None


def test_offline_vllm_judge_returns_schema_valid_verdicts(answered: Path, vllm_client):
    summary = grade(
        GradeConfig(store=answered, judges=(DEFAULT_MODEL,), max_tokens=400),
        clients={DEFAULT_MODEL: vllm_client},
    )
    assert summary.scored + summary.unscored == 8
    check_verdicts(answered, DEFAULT_MODEL, 8)


def test_openai_sdk_judge_against_vllm_server(answered: Path, vllm_server):
    summary = grade(GradeConfig(
        store=answered, judges=("openai-compatible/smollm2",), max_tokens=1024,
        judge_base_url=vllm_server.base_url, limit=4, concurrency=4, compact_verdicts=True,
    ))
    assert summary.scored + summary.unscored == 4
    check_verdicts(answered, "openai-compatible/smollm2", 4)
