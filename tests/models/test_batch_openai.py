"""The OpenAI Batch API wire format: our input lines checked against vLLM's own model of a
batch input line (`run_batch`, a real peer for the format), vLLM's and OpenAI's result lines
read back by custom id, chunking within the limits, and the provider against a loopback
server."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.fake_batches import FakeBatches, Script

from medjudge.errors import ConfigError
from medjudge.models.batch import BatchLimits, BatchLine
from medjudge.models.batch.chunks import chunk_lines
from medjudge.models.batch.openai import OpenAIBatchProvider, read_output_line
from medjudge.records import ChatRequest, Message, SamplingConfig

SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "integer"}},
    "required": ["score"],
    "additionalProperties": False,
}


def line(custom_id: str, text: str = "Which organ makes insulin?", schema: dict | None = None):
    request = ChatRequest(
        messages=(Message(role="system", content="Be brief."), Message(role="user", content=text)),
        sampling=SamplingConfig(temperature=0.0, max_tokens=32),
        seed=7,
        json_schema=schema,
    )
    return BatchLine(custom_id=custom_id, request=request)


def test_input_lines_validate_against_vllms_batch_request_input():
    run_batch = pytest.importorskip(
        "vllm.entrypoints.launchers.run_batch", reason="the [cpu] extra (vLLM) is not installed"
    )
    provider = OpenAIBatchProvider("smollm2")
    for sent in (line("mj-a-0-1"), line("mj-b-0-1", "胰岛素由哪个器官分泌？", SCHEMA)):
        raw = provider.encode(sent)
        assert raw.endswith(b"\n") and raw.count(b"\n") == 1  # one JSONL line
        parsed = run_batch.BatchRequestInput.model_validate_json(raw)
        assert (parsed.custom_id, parsed.method, parsed.url) == (
            sent.custom_id,
            "POST",
            "/v1/chat/completions",
        )
        assert parsed.body.model == "smollm2" and parsed.body.seed == 7
        assert parsed.body.messages[-1]["content"] == sent.request.messages[-1].content
        assert parsed.body.max_tokens == 32 and parsed.body.temperature == 0.0
    assert parsed.body.response_format.json_schema.json_schema == SCHEMA


def test_vllms_result_lines_map_back_by_custom_id():
    run_batch = pytest.importorskip(
        "vllm.entrypoints.launchers.run_batch", reason="the [cpu] extra (vLLM) is not installed"
    )
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionResponse

    body = ChatCompletionResponse.model_validate(
        {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": "smollm2",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "The pancreas."},
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
        }
    )
    ok = run_batch.BatchRequestOutput(
        id="vllm-1",
        custom_id="mj-a-0-1",
        error=None,
        response=run_batch.BatchResponseData(body=body, request_id="r1"),
    )
    bad = run_batch.make_error_request_output(
        run_batch.BatchRequestInput.model_validate_json(
            OpenAIBatchProvider("smollm2").encode(line("mj-b-0-1"))
        ),
        error_msg="Model does not support endpoint",
    )
    first = read_output_line(ok.model_dump_json())
    second = read_output_line(bad.model_dump_json())
    assert first.custom_id == "mj-a-0-1" and first.completion.text == "The pancreas."
    assert (first.completion.prompt_tokens, first.completion.completion_tokens) == (12, 3)
    assert second.custom_id == "mj-b-0-1" and second.completion is None
    assert "HTTP 400" in second.failure.reason and not second.failure.retryable


@pytest.mark.parametrize(
    ("raw", "reason", "retryable"),
    [
        (
            {
                "custom_id": "c",
                "response": None,
                "error": {
                    "code": "batch_expired",
                    "message": "This request could not be executed before the "
                    "completion window expired.",
                },
            },
            "expired",
            True,
        ),
        (
            {
                "custom_id": "c",
                "response": {
                    "status_code": 400,
                    "request_id": "r",
                    "body": {
                        "error": {
                            "message": "max_tokens is too large",
                            "type": "invalid_request_error",
                            "code": "context_length_exceeded",
                        }
                    },
                },
                "error": None,
            },
            "HTTP 400",
            False,
        ),
        (
            {
                "custom_id": "c",
                "response": {
                    "status_code": 500,
                    "request_id": "r",
                    "body": {"error": {"message": "boom", "type": "server_error"}},
                },
                "error": None,
            },
            "HTTP 500",
            True,
        ),
        (
            {
                "custom_id": "c",
                "response": {"status_code": 429, "request_id": "r", "body": {}},
                "error": None,
            },
            "HTTP 429",
            True,
        ),
        (
            {
                "custom_id": "c",
                "response": None,
                "error": {"code": "batch_cancelled", "message": "cancelled"},
            },
            "cancelled",
            True,
        ),
    ],
)
def test_failed_result_lines_keep_their_reason(raw: dict, reason: str, retryable: bool):
    outcome = read_output_line(json.dumps(raw))
    assert outcome.completion is None and outcome.custom_id == "c"
    assert reason in outcome.failure.reason and outcome.failure.retryable is retryable


def test_lines_that_name_no_custom_id_cannot_be_mapped():
    assert read_output_line('{"custom_id": "c", "response": {"status_') is None
    assert read_output_line('{"id": "x", "response": null}') is None
    assert read_output_line("[1, 2]") is None


def test_a_reply_without_choices_is_a_failed_completion_not_text():
    raw = {
        "custom_id": "c",
        "response": {"status_code": 200, "request_id": "r", "body": {"id": "x", "choices": []}},
        "error": None,
    }
    outcome = read_output_line(json.dumps(raw))
    assert outcome.completion.text is None and "no choices" in outcome.completion.error


def test_chunks_hold_at_most_the_limits_in_requests_and_bytes():
    lines = [line(f"mj-{n}-0-1") for n in range(5)]
    size = len(OpenAIBatchProvider("m").encode(lines[0]))  # all five are the same size
    by_count = chunk_lines(
        lines,
        BatchLimits(max_requests=2, max_bytes=10**9),
        lambda x: len(OpenAIBatchProvider("m").encode(x)),
    )
    assert [len(c) for c in by_count] == [2, 2, 1]
    by_bytes = chunk_lines(
        lines,
        BatchLimits(max_requests=100, max_bytes=3 * size),
        lambda x: len(OpenAIBatchProvider("m").encode(x)),
    )
    assert [len(c) for c in by_bytes] == [3, 2]
    assert [x.custom_id for c in by_bytes for x in c] == [x.custom_id for x in lines]
    with pytest.raises(ConfigError, match="more than one batch may hold"):
        chunk_lines(lines, BatchLimits(max_requests=100, max_bytes=size - 1), lambda x: size)


def test_the_provider_uploads_submits_polls_and_reads_back(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    lines = [line("mj-a-0-1"), line("mj-b-0-1")]

    async def go(provider: OpenAIBatchProvider):
        try:
            batch_id = await provider.submit(lines, "tag-1")
            polls = [await provider.poll(batch_id) for _ in range(3)]
            return batch_id, polls, await provider.results(polls[-1], structured=False)
        finally:
            await provider.aclose()

    with FakeBatches(Script(polls_to_end=3, reply=lambda body: "The pancreas.")) as server:
        batch_id, polls, results = asyncio.run(
            go(OpenAIBatchProvider("gpt-4o-mini", base_url=server.base_url))
        )
        uploaded = server.files["file-in-0000"]
        (batch,) = server.created()
    assert uploaded == b"".join(OpenAIBatchProvider("gpt-4o-mini").encode(x) for x in lines)
    assert batch.metadata["medjudge_tag"] == "tag-1" and batch_id == batch.id
    assert [p.ended for p in polls] == [False, False, True]
    assert polls[-1].counts == {"total": 2, "completed": 2, "failed": 0}
    assert {o.custom_id: o.completion.text for o in results.outcomes} == {
        "mj-a-0-1": "The pancreas.",
        "mj-b-0-1": "The pancreas.",
    }


def test_a_failed_batch_reports_why(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    async def go(provider: OpenAIBatchProvider):
        try:
            state = await provider.poll(await provider.submit([line("mj-a-0-1")], "t"))
            return state, await provider.results(state, structured=False)
        finally:
            await provider.aclose()

    with FakeBatches(Script(fate=lambda n: "failed")) as server:
        state, results = asyncio.run(go(OpenAIBatchProvider("m", base_url=server.base_url)))
    assert state.ended and state.status == "failed"
    assert "did not validate" in state.failed_reason and results.outcomes == ()
