"""The OpenAI-wire client against a loopback server: retries, Retry-After, failures as data."""

from __future__ import annotations

import asyncio

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge.models.openai import OpenAIChatClient
from medjudge.records import ChatRequest, Message, SamplingConfig

REQUEST = ChatRequest(
    messages=(Message(role="user", content="Which drug reverses rocuronium?"),),
    sampling=SamplingConfig(max_tokens=16),
    seed=3,
)


def complete(server: FakeOpenAI, **kwargs) -> object:
    client = OpenAIChatClient("m", base_url=server.base_url, retry_base_s=0.01, **kwargs)
    return asyncio.run(client.complete(REQUEST))


def test_success_sends_the_messages_and_settings_and_reads_usage():
    with FakeOpenAI([Reply(text="Sugammadex")]) as server:
        out = complete(server)
    assert out.text == "Sugammadex" and out.error is None
    assert (out.prompt_tokens, out.completion_tokens) == (7, 3)
    body = server.seen[0].body
    assert body["messages"] == [{"role": "user", "content": "Which drug reverses rocuronium?"}]
    assert (body["max_tokens"], body["seed"], body["temperature"]) == (16, 3, 0.0)


def test_429_waits_what_retry_after_asks_then_succeeds():
    script = [Reply(status=429, headers={"retry-after": "1"}), Reply(text="ok")]
    with FakeOpenAI(script) as server:
        out = complete(server)
    assert out.text == "ok"
    assert len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at >= 0.95


def test_server_errors_are_retried_a_bounded_number_of_times():
    with FakeOpenAI([Reply(status=500)]) as server:
        out = complete(server, max_attempts=3)
    assert len(server.seen) == 3
    assert out.text is None and "HTTP 500" in out.error


def test_client_errors_are_not_retried():
    with FakeOpenAI([Reply(status=400)]) as server:
        out = complete(server)
    assert len(server.seen) == 1
    assert "HTTP 400" in out.error


def test_timeout_becomes_a_recorded_failure():
    with FakeOpenAI([Reply(text="late", delay_s=1.5)]) as server:
        out = complete(server, timeout_s=0.3, max_attempts=2)
    assert len(server.seen) == 2
    assert out.text is None and "Timeout" in out.error


def test_broken_json_is_a_failure_not_text():
    with FakeOpenAI([Reply(raw="{not json")]) as server:
        out = complete(server, max_attempts=1)
    assert out.text is None and out.error


def test_api_key_is_sent_but_never_in_the_error(monkeypatch: pytest.MonkeyPatch):
    secret = "sk-test-SECRET-123456"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with FakeOpenAI([Reply(status=401, raw=f'{{"error": {{"message": "bad key {secret}"}}}}')]) \
            as server:
        out = complete(server)
    assert server.seen[0].headers.get("authorization") == f"Bearer {secret}"
    assert secret not in out.error and "[redacted]" in out.error
