"""Anthropic Messages API (and servers that speak it, such as vLLM's). A JSON-schema request
becomes forced tool use: the judge must call one tool whose input is the schema."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence

from medjudge.errors import ConfigError
from medjudge.models.retry import call_with_retries, describe_error
from medjudge.records import ChatRequest, Completion

__all__ = ["AnthropicChatClient", "TOOL_NAME", "should_retry"]

#: The tool a JSON-schema request forces the model to call.
TOOL_NAME = "submit_reply"


def should_retry(exc: BaseException) -> bool:
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, anthropic.APITimeoutError | anthropic.APIConnectionError)


class AnthropicChatClient:
    """An `AsyncModelClient` for the Anthropic Messages API."""

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        base_url: str | None = None,
        api_key_env: str = "ANTHROPIC_API_KEY",
        require_key: bool = True,
        concurrency: int = 8,
        timeout_s: float = 120.0,
        max_attempts: int = 4,
        retry_base_s: float = 1.0,
    ) -> None:
        api_key = os.environ.get(api_key_env)
        if require_key and not api_key:
            raise ConfigError(f"{api_key_env} is not set; export it to use {name or model}")
        self.name = name or model
        self.model = model
        self.base_url = base_url
        self.concurrency = concurrency
        self._api_key = api_key or "EMPTY"
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._client = None

    def _sdk(self):
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            import anthropic

            sdk = anthropic.AsyncAnthropic(
                api_key=self._api_key,
                base_url=self.base_url,
                timeout=self._timeout_s,
                max_retries=0,
            )
            self._client = (loop, sdk)
        return self._client[1]

    async def complete(self, request: ChatRequest) -> Completion:
        started = time.perf_counter()
        params = self._params(request)
        try:
            response = await call_with_retries(
                lambda: self._sdk().messages.create(**params),
                should_retry=should_retry,
                max_attempts=self._max_attempts,
                base_wait_s=self._retry_base_s,
            )
        except Exception as exc:  # every failure becomes data
            secret = self._api_key if self._api_key != "EMPTY" else None
            return Completion(
                error=describe_error(exc, secret), latency_s=time.perf_counter() - started
            )
        return self._completion(response, request, time.perf_counter() - started)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        async def run_all() -> list[Completion]:
            limit = asyncio.Semaphore(self.concurrency)

            async def one(request: ChatRequest) -> Completion:
                async with limit:
                    return await self.complete(request)

            return list(await asyncio.gather(*(one(r) for r in requests)))

        return asyncio.run(run_all())

    def close(self) -> None:
        self._client = None

    def _params(self, request: ChatRequest) -> dict:
        system = [m.content for m in request.messages if m.role == "system"]
        params: dict = {
            "model": self.model,
            "max_tokens": request.sampling.max_tokens,
            "messages": [m.model_dump() for m in request.messages if m.role != "system"],
            # This SDK version takes sampling settings through the request body.
            "extra_body": {"temperature": request.sampling.temperature},
        }
        if system:
            params["system"] = "\n\n".join(system)
        if request.json_schema is not None:
            params["tools"] = [
                {
                    "name": TOOL_NAME,
                    "description": "Submit your reply. Call this exactly once.",
                    "input_schema": request.json_schema,
                }
            ]
            params["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
        return params

    def _completion(self, response, request: ChatRequest, latency_s: float) -> Completion:
        usage = response.usage
        common = {
            "finish_reason": response.stop_reason,
            "prompt_tokens": getattr(usage, "input_tokens", None),
            "completion_tokens": getattr(usage, "output_tokens", None),
            "latency_s": latency_s,
            "model_version": response.model,
        }
        if response.stop_reason == "refusal":
            return Completion(error="refused by the model", **common)
        if request.json_schema is not None:
            calls = [b for b in response.content if b.type == "tool_use" and b.name == TOOL_NAME]
            if not calls:
                texts = "".join(b.text for b in response.content if b.type == "text")
                return Completion(
                    text=texts or None,
                    error=f"the model did not call {TOOL_NAME}",
                    **common,
                )
            return Completion(text=json.dumps(calls[0].input, ensure_ascii=False), **common)
        text = "".join(b.text for b in response.content if b.type == "text")
        if not text:
            return Completion(error="the model returned no text", **common)
        return Completion(text=text, **common)
