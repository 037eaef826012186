"""Chat completions over the OpenAI wire format, spoken directly over aiohttp: the client for
OpenAI-compatible servers (vLLM, SGLang, llama.cpp, ...). The OpenAI SDK and httpx cost ~5 ms
of CPU per request, which caps a single-threaded grader far below C/L at high concurrency
(bench/README.md, "Judging throughput"); this sends the same body for well under 1 ms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from medjudge.errors import ConfigError
from medjudge.models.api_client import ApiChatClient
from medjudge.models.openai_wire import chat_params, read_chat_completion
from medjudge.records import ChatRequest, Completion

__all__ = [
    "COMPATIBLE_KEY_ENV",
    "HTTPStatusError",
    "OpenAICompatibleClient",
    "RequestTimeoutError",
    "should_retry",
]

#: The only key an OpenAI-compatible server is ever sent (as its bearer token).
COMPATIBLE_KEY_ENV = "MEDJUDGE_COMPATIBLE_API_KEY"


class HTTPStatusError(Exception):
    """The server answered with an error status. Carries the status and the response headers,
    so `retry.retry_after_seconds` honours Retry-After and retry-after-ms."""

    def __init__(self, status_code: int, headers: Mapping[str, str], message: str) -> None:
        super().__init__(f"Error code: {status_code} - {message}")
        self.status_code = status_code
        self.headers = headers


class RequestTimeoutError(TimeoutError):
    """No complete reply within the client's `timeout_s`."""


def should_retry(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    import aiohttp

    if isinstance(exc, HTTPStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(
        exc, TimeoutError | aiohttp.ClientConnectionError | aiohttp.ClientPayloadError
    )


def _error_message(raw: bytes) -> str:
    """The server's `error.message` when the body is OpenAI-shaped, else the start of the body."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return text[:300] or "(empty body)"
    return str(message)[:300]


class OpenAICompatibleClient(ApiChatClient):
    """An `AsyncModelClient` for any server that speaks OpenAI chat completions, over aiohttp:
    one session per event loop, as many connections as `concurrency`, Authorization sent only
    when MEDJUDGE_COMPATIBLE_API_KEY is set. OPENAI_API_KEY is never read here: OpenAI's key
    goes to OpenAI only, never to a server someone else runs."""

    api_key_env = COMPATIBLE_KEY_ENV

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        if not self.base_url:
            raise ConfigError(
                f"{self.name} needs a base URL, e.g. http://127.0.0.1:8000/v1 (--base-url)"
            )
        self._url = self.base_url.rstrip("/") + "/chat/completions"

    def _make_sdk(self, api_key: str):
        import aiohttp

        # `api_key` is "EMPTY" when none is set; a local server is then sent no Authorization.
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            timeout=aiohttp.ClientTimeout(total=self._timeout_s),
            headers=headers,
        )

    async def _send(self, sdk, request: ChatRequest) -> Any:
        try:
            async with sdk.post(self._url, json=chat_params(self.model, request)) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise HTTPStatusError(response.status, response.headers, _error_message(raw))
        except TimeoutError as exc:
            raise RequestTimeoutError(
                f"no complete reply within {self._timeout_s:g} s from {self._url}"
            ) from exc
        return json.loads(raw)  # broken JSON raises here: not retried, recorded as a failure

    def _should_retry(self, exc: BaseException) -> bool:
        return should_retry(exc)

    def _completion(self, response, request: ChatRequest, latency_s: float) -> Completion:
        return read_chat_completion(response, latency_s)
