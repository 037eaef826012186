"""The real OpenAI and Anthropic SDK clients (the code `openai/…` and `anthropic/…` judges run)
against vLLM's own server, which speaks both wire formats: the real peer for those clients.
The 135M model's verdicts mean nothing clinically; these tests prove the path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.judging.grade import GradeConfig, grade
from medjudge.records import SAFETY_CAPS, SamplingConfig
from medjudge.store import Store

pytestmark = pytest.mark.engine

SERVED = "smollm2"  # support.vllm_server.SERVED_NAME


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory, vllm_client) -> Path:
    store = tmp_path_factory.mktemp("sdk-judged") / "s.sqlite"
    answer_benchmark(
        AnswerConfig(
            benchmark="sample:llmeval-med", store=store, sampling=SamplingConfig(max_tokens=48)
        ),
        client=vllm_client,
    )
    return store


def _verdicts(store: Path, judge: str):
    with Store(store) as db:
        return [v for v in db.verdicts() if v.judge == judge]


def test_openai_sdk_judge_against_vllm_server(answered: Path, vllm_server, monkeypatch):
    from medjudge.models.openai import OpenAIChatClient

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    judge = f"openai/{SERVED}"
    client = OpenAIChatClient(
        SERVED, name=judge, base_url=vllm_server.base_url, require_key=True, concurrency=4
    )

    summary = grade(
        GradeConfig(store=answered, judges=(judge,), max_tokens=256, limit=4, concurrency=4,
                    reasks=0),
        clients={judge: client},
    )

    verdicts = _verdicts(answered, judge)
    assert summary.scored + summary.unscored == len(verdicts) == 4
    for verdict in verdicts:
        # The request went over the SDK with OpenAI's strict json_schema and the server
        # enforced it: the reply is the schema's object, fields in the schema's order.
        assert re.match(r'\s*\{\s*"rationale"\s*:', verdict.raw_reply), verdict.raw_reply[:80]
        assert verdict.prompt_tokens and verdict.completion_tokens
        assert verdict.judge_model_version == SERVED
        if verdict.status == "scored":
            said = json.loads(verdict.raw_reply)
            assert verdict.judge_score == said["score"]
            assert verdict.output.safety_risk == said["safety_risk"]
            assert verdict.final_score == min(said["score"], SAFETY_CAPS[said["safety_risk"]])
        else:
            # OpenAI's strict mode takes no string bounds, so the 135M model can run on
            # inside one string: cut off, recognised, never scored.
            assert verdict.unscored_reason == "reply cut off at max_tokens"
            assert verdict.completion_tokens == 256 and verdict.final_score is None


def test_anthropic_sdk_judge_against_vllm_server_in_text_mode(
    answered: Path, vllm_server, monkeypatch
):
    from medjudge.models.anthropic import AnthropicChatClient

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    judge = f"anthropic/{SERVED}"
    root = vllm_server.base_url.removesuffix("/v1")  # the Anthropic SDK adds /v1/messages
    client = AnthropicChatClient(SERVED, name=judge, base_url=root, require_key=True)

    summary = grade(
        GradeConfig(
            store=answered, judges=(judge,), judge_output="text", max_tokens=200, limit=3,
            reasks=0,
        ),
        clients={judge: client},
    )

    verdicts = _verdicts(answered, judge)
    assert summary.scored + summary.unscored == len(verdicts) == 3
    for verdict in verdicts:
        # Each request reached the server and its reply was read over the Messages wire
        # format: text and token counts came back; a reply the parser cannot read is an
        # invalid verdict, never a transport error.
        assert verdict.raw_reply, verdict.unscored_reason
        assert verdict.prompt_tokens and verdict.completion_tokens
        if verdict.status == "unscored":
            assert verdict.final_score is None
            assert "invalid verdict" in verdict.unscored_reason or "cut off" in (
                verdict.unscored_reason
            ), verdict.unscored_reason
