"""Chat completions over the OpenAI wire format: OpenAI itself and compatible servers
(vLLM, SGLang, llama.cpp, ...). Async, bounded retries that honour Retry-After."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence

from medjudge.errors import ConfigError
from medjudge.models.retry import call_with_retries, describe_error
from medjudge.records import ChatRequest, Completion

__all__ = ["OpenAIChatClient", "should_retry"]


def should_retry(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


class OpenAIChatClient:
    """An `AsyncModelClient` for any server that speaks OpenAI chat completions."""

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        require_key: bool = False,
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
        # One SDK client per event loop: httpx pools are bound to the loop that made them.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            import openai

            sdk = openai.AsyncOpenAI(
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
                lambda: self._sdk().chat.completions.create(**params),
                should_retry=should_retry,
                max_attempts=self._max_attempts,
                base_wait_s=self._retry_base_s,
            )
        except Exception as exc:  # every failure becomes data on the answer
            secret = self._api_key if self._api_key != "EMPTY" else None
            return Completion(
                error=describe_error(exc, secret), latency_s=time.perf_counter() - started
            )
        return self._completion(response, time.perf_counter() - started)

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
        params: dict = {
            "model": self.model,
            "messages": [m.model_dump() for m in request.messages],
            "temperature": request.sampling.temperature,
            "top_p": request.sampling.top_p,
            "max_tokens": request.sampling.max_tokens,
        }
        if request.seed is not None:
            params["seed"] = request.seed
        if request.json_schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema, "strict": True},
            }
        return params

    def _completion(self, response, latency_s: float) -> Completion:
        if not response.choices:
            return Completion(error="the server returned no choices", latency_s=latency_s)
        choice = response.choices[0]
        usage = response.usage
        text = choice.message.content
        refusal = getattr(choice.message, "refusal", None)
        error = None
        if text is None:
            error = f"refused: {refusal}" if refusal else "the server returned no text"
        return Completion(
            text=text,
            error=error,
            finish_reason=choice.finish_reason,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            latency_s=latency_s,
            model_version=response.model,
        )
