"""The Anthropic client against the loopback server: a blank message is an empty-reply
failure, never an answer."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge.models.anthropic import AnthropicChatClient
from medjudge.records import ChatRequest, Completion, Message, SamplingConfig

REQUEST = ChatRequest(messages=(Message(role="user", content="Dose of dantrolene?"),),
                      sampling=SamplingConfig(max_tokens=16))


def complete(server: FakeOpenAI) -> Completion:
    client = AnthropicChatClient("claude-haiku-4-5", base_url=server.base_url.removesuffix("/v1"),
                                 require_key=True, retry_base_s=0.01)

    async def once() -> Completion:
        try:
            return await client.complete(REQUEST)
        finally:
            await client.aclose()

    return asyncio.run(once())


def test_a_blank_message_is_an_empty_reply_failure(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with FakeOpenAI([Reply(text=" \n ")]) as server:
        out = complete(server)
    assert out.text is None and out.error is not None and "empty reply" in out.error
    headers = server.seen[0].headers
    assert "sk-ant-test" in headers.get("x-api-key", headers.get("authorization", ""))


def test_text_is_read(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with FakeOpenAI([Reply(text="2.5 mg/kg")]) as server:
        out = complete(server)
    assert out.text == "2.5 mg/kg" and out.error is None
