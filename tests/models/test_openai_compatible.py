"""The aiohttp OpenAI-wire client against a loopback server: the same faults as the SDK client
(retries, Retry-After, failures as data), and no Authorization without a key."""

from __future__ import annotations

import asyncio
import json

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge.errors import ConfigError
from medjudge.models import ClientOptions, create_client
from medjudge.models.openai import OpenAIChatClient
from medjudge.models.openai_compatible import OpenAICompatibleClient
from medjudge.records import ChatRequest, Completion, Message, SamplingConfig

REQUEST = ChatRequest(
    messages=(Message(role="user", content="Which drug reverses rocuronium?"),),
    sampling=SamplingConfig(max_tokens=16),
    seed=3,
    json_schema={"type": "object", "properties": {"drug": {"type": "string"}}},
)


def complete(server: FakeOpenAI, **kwargs) -> Completion:
    client = OpenAICompatibleClient("m", base_url=server.base_url, retry_base_s=0.01, **kwargs)

    async def once() -> Completion:
        try:
            return await client.complete(REQUEST)
        finally:
            await client.aclose()

    return asyncio.run(once())


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MEDJUDGE_COMPATIBLE_API_KEY", raising=False)


def test_success_sends_the_same_body_as_the_sdk_client_and_reads_usage():
    with FakeOpenAI([Reply(text="Sugammadex")]) as server:
        out = complete(server)
    assert out.text == "Sugammadex" and out.error is None
    assert (out.prompt_tokens, out.completion_tokens) == (7, 3)
    assert out.finish_reason == "stop" and out.model_version == "m"
    seen = server.seen[0]
    sdk = OpenAIChatClient("m", base_url=server.base_url)
    assert seen.body == json.loads(json.dumps(sdk._params(REQUEST)))
    assert seen.body["response_format"]["json_schema"]["strict"] is True
    assert "authorization" not in seen.headers  # a local server without a key gets none


def test_429_waits_what_retry_after_asks_then_succeeds():
    script = [Reply(status=429, headers={"retry-after": "1"}), Reply(text="ok")]
    with FakeOpenAI(script) as server:
        out = complete(server)
    assert out.text == "ok"
    assert len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at >= 0.95


def test_retry_after_ms_is_honoured():
    script = [Reply(status=503, headers={"retry-after-ms": "600"}), Reply(text="ok")]
    with FakeOpenAI(script) as server:
        out = complete(server)
    assert out.text == "ok"
    assert server.seen[1].at - server.seen[0].at >= 0.55


def test_server_errors_are_retried_a_bounded_number_of_times():
    with FakeOpenAI([Reply(status=500)]) as server:
        out = complete(server, max_attempts=3)
    assert len(server.seen) == 3
    assert out.text is None and "HTTP 500" in out.error and "scripted 500" in out.error


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


def test_refused_connection_is_retried_then_recorded():
    with FakeOpenAI() as server:
        base_url = server.base_url  # closed once the block ends: nothing listens there
    client = OpenAICompatibleClient("m", base_url=base_url, retry_base_s=0.01, max_attempts=2)
    out = client.generate([REQUEST])[0]
    assert out.text is None and "Connect" in out.error


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '{"choices": [{"message": 3}]}'])
def test_broken_json_is_a_failure_not_text(raw: str):
    with FakeOpenAI([Reply(raw=raw)]) as server:
        out = complete(server, max_attempts=1)
    assert out.text is None and out.error


def test_no_choices_is_a_failure():
    with FakeOpenAI([Reply(raw='{"choices": [], "model": "m"}')]) as server:
        out = complete(server)
    assert out.text is None and "no choices" in out.error
    assert len(server.seen) == 1


def test_refusal_is_recorded_as_refused():
    with FakeOpenAI([Reply(text=None, refusal="I can't help with that")]) as server:
        out = complete(server)
    assert out.text is None and out.error == "refused: I can't help with that"


def test_openai_key_is_never_sent_to_a_compatible_server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-PRIVATE")
    with FakeOpenAI([Reply(text="ok")]) as server:
        out = complete(server)
    assert out.text == "ok"
    assert "authorization" not in server.seen[0].headers


def test_empty_and_blank_replies_are_failures_not_answers():
    for blank in ("", "  \n\t "):
        with FakeOpenAI([Reply(text=blank)]) as server:
            out = complete(server)
        assert out.error is not None and "empty reply" in out.error
        assert len(server.seen) == 1  # a well-formed 200: not retried by the client


def test_compatible_key_is_sent_but_never_in_the_error(monkeypatch: pytest.MonkeyPatch):
    secret = "sk-test-SECRET-123456"
    monkeypatch.setenv("MEDJUDGE_COMPATIBLE_API_KEY", secret)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-PRIVATE")
    with FakeOpenAI(
        [Reply(status=401, raw=f'{{"error": {{"message": "bad key {secret}"}}}}')]
    ) as server:
        out = complete(server)
    assert server.seen[0].headers.get("authorization") == f"Bearer {secret}"
    assert secret not in out.error and "[redacted]" in out.error


def test_generate_runs_in_order_and_closes_its_session():
    with FakeOpenAI() as server:
        client = OpenAICompatibleClient("m", base_url=server.base_url, concurrency=2)
        requests = [
            REQUEST.model_copy(update={"messages": (Message(role="user", content=f"q{i}"),)})
            for i in range(5)
        ]
        outs = client.generate(requests)
        again = client.generate(requests[:1])  # a new loop gets a new session
    assert [o.text for o in outs] == [f"echo: q{i}" for i in range(5)]
    assert again[0].text == "echo: q0"
    assert client._client is None  # closed and dropped before each loop ended


def test_registry_uses_this_client_for_openai_compatible_only(monkeypatch: pytest.MonkeyPatch):
    options = ClientOptions(base_url="http://127.0.0.1:9/v1")
    assert isinstance(create_client("openai-compatible/x", options), OpenAICompatibleClient)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert isinstance(create_client("openai/gpt-4o", options), OpenAIChatClient)
    with pytest.raises(ConfigError, match="base URL"):
        OpenAICompatibleClient("x")
