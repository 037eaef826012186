"""Chat completions over the OpenAI wire format: OpenAI itself and compatible servers
(vLLM, SGLang, llama.cpp, ...). Async, bounded retries that honour Retry-After."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from medjudge.errors import ConfigError
from medjudge.records import ChatRequest, Completion

__all__ = ["OpenAIChatClient", "retry_after_seconds", "should_retry"]

#: Never wait longer than this for one retry, whatever Retry-After says.
MAX_RETRY_WAIT_S = 60.0


def should_retry(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds or retry-after-ms), if the error carries one."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            return None
    return None


class _WaitRetryAfter:
    """Wait what the server asked for; otherwise exponential back-off with jitter."""

    def __init__(self, base_s: float) -> None:
        self._fallback = wait_random_exponential(multiplier=base_s, max=MAX_RETRY_WAIT_S)

    def __call__(self, state: RetryCallState) -> float:
        asked = retry_after_seconds(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return min(asked, MAX_RETRY_WAIT_S)
        return self._fallback(state)


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
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._max_attempts),
                wait=_WaitRetryAfter(self._retry_base_s),
                retry=retry_if_exception(should_retry),
                reraise=True,
            ):
                with attempt:
                    response = await self._sdk().chat.completions.create(**self._params(request))
        except Exception as exc:  # every failure becomes data on the answer
            return Completion(error=self._describe(exc), latency_s=time.perf_counter() - started)
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

    def _describe(self, exc: Exception) -> str:
        """A one-line reason for the store, with the API key scrubbed out."""
        status = getattr(exc, "status_code", None)
        text = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if detail:
            text += f": {detail[:300]}"
        if self._api_key and self._api_key != "EMPTY":
            text = text.replace(self._api_key, "[redacted]")
        return text
