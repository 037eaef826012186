"""Anthropic Message Batches: the request params a batch carries, every result type read
back by custom id, and a results URL on another host refused (the key goes to its provider
only)."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.fake_batches import FakeBatches, Script

from medjudge.errors import ModelError
from medjudge.models.batch import BatchLine
from medjudge.models.batch.anthropic import (
    AnthropicBatchProvider,
    batch_params,
    read_result_line,
)
from medjudge.records import ChatRequest, Message, SamplingConfig

SCHEMA = {"type": "object", "properties": {"score": {"type": "integer"}}}


def request(schema: dict | None = None) -> ChatRequest:
    return ChatRequest(
        messages=(
            Message(role="system", content="Be brief."),
            Message(role="system", content="Answer in English."),
            Message(role="user", content="Which organ makes insulin?"),
        ),
        sampling=SamplingConfig(temperature=0.7, max_tokens=64),
        json_schema=schema,
    )


def test_batch_params_carry_sampling_in_the_body_and_force_the_tool():
    params = batch_params("claude-haiku-4-5", request(SCHEMA))
    assert params["temperature"] == 0.7 and "extra_body" not in params
    assert params["system"] == "Be brief.\n\nAnswer in English."
    assert params["messages"] == [{"role": "user", "content": "Which organ makes insulin?"}]
    assert params["tools"][0]["input_schema"] == SCHEMA
    assert params["tool_choice"] == {"type": "tool", "name": params["tools"][0]["name"]}
    assert "tools" not in batch_params("claude-haiku-4-5", request())


def message(content: list[dict], stop: str = "end_turn") -> dict:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 4},
    }


def result(custom_id: str, body: dict) -> str:
    return json.dumps({"custom_id": custom_id, "result": body})


def test_a_succeeded_tool_call_is_the_reply_in_json():
    tool = {"type": "tool_use", "id": "t", "name": "submit_reply", "input": {"score": 4}}
    outcome = read_result_line(
        result("a", {"type": "succeeded", "message": message([tool], "tool_use")}), structured=True
    )
    assert json.loads(outcome.completion.text) == {"score": 4}
    assert (outcome.completion.prompt_tokens, outcome.completion.completion_tokens) == (20, 4)


def test_a_structured_request_answered_in_text_did_not_call_the_tool():
    text = {"type": "text", "text": "Score: 4"}
    outcome = read_result_line(
        result("a", {"type": "succeeded", "message": message([text])}), structured=True
    )
    assert "did not call" in outcome.completion.error
    plain = read_result_line(
        result("a", {"type": "succeeded", "message": message([text])}), structured=False
    )
    assert plain.completion.text == "Score: 4" and plain.completion.error is None


@pytest.mark.parametrize(
    ("body", "reason", "retryable"),
    [
        (
            {
                "type": "errored",
                "error": {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": "max_tokens: too large"},
                },
            },
            "invalid_request_error",
            False,
        ),
        (
            {
                "type": "errored",
                "error": {
                    "type": "error",
                    "error": {"type": "overloaded_error", "message": "Overloaded"},
                },
            },
            "overloaded_error",
            True,
        ),
        ({"type": "expired"}, "expired", True),
        ({"type": "canceled"}, "canceled", True),
        ({"type": "succeeded", "message": {"content": "not a message"}}, "not a Message", True),
    ],
)
def test_failed_results_keep_their_reason(body: dict, reason: str, retryable: bool):
    outcome = read_result_line(result("a", body), structured=True)
    assert outcome.completion is None and reason in outcome.failure.reason
    assert outcome.failure.retryable is retryable


def test_lines_that_name_no_custom_id_cannot_be_mapped():
    assert read_result_line('{"custom_id": "a", "result": {"ty', structured=True) is None
    assert read_result_line('{"result": {"type": "expired"}}', structured=True) is None


def test_a_results_url_on_another_host_is_never_sent_the_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    line = BatchLine(custom_id="mj-a-0-1", request=request())

    async def go(provider: AnthropicBatchProvider):
        try:
            state = await provider.poll(await provider.submit([line], "t"))
            return await provider.results(state, structured=False)
        finally:
            await provider.aclose()

    with FakeBatches(Script()) as server:
        shown = server._anthropic_batch
        monkeypatch.setattr(
            server,
            "_anthropic_batch",
            lambda b: {
                **shown(b),
                "results_url": "http://198.51.100.7/v1/results" if b.ended else None,
            },
        )
        with pytest.raises(ModelError, match="198.51.100.7"):
            asyncio.run(go(AnthropicBatchProvider("claude-haiku-4-5", base_url=server.root)))
        assert all(s.path.startswith("/v1/messages/batches") for s in server.seen)
