"""What every API client shares: the key from the environment, one SDK client per event
loop, bounded retries, failures as data, and `generate` over `complete`."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from typing import Any

from medjudge.errors import ConfigError
from medjudge.models.retry import call_with_retries, describe_error
from medjudge.records import ChatRequest, Completion

__all__ = ["ApiChatClient"]


class ApiChatClient:
    """Base of the `AsyncModelClient`s that call a provider's SDK.

    Subclasses say how to make the SDK client (`_make_sdk`), send one request (`_send`),
    what is retryable (`_should_retry`) and how to read a response (`_completion`).
    Whoever runs an event loop over `complete` awaits `aclose()` before that loop ends.
    """

    api_key_env: str = ""

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        base_url: str | None = None,
        require_key: bool = False,
        concurrency: int = 8,
        timeout_s: float = 120.0,
        max_attempts: int = 4,
        retry_base_s: float = 1.0,
    ) -> None:
        api_key = os.environ.get(self.api_key_env)
        if require_key and not api_key:
            raise ConfigError(f"{self.api_key_env} is not set; export it to use {name or model}")
        self.name = name or model
        self.model = model
        self.base_url = base_url
        self.concurrency = concurrency
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._client: tuple[asyncio.AbstractEventLoop, Any] | None = None

    # -- for subclasses ----------------------------------------------------------------------
    def _make_sdk(self, api_key: str) -> Any:
        raise NotImplementedError

    async def _send(self, sdk: Any, request: ChatRequest) -> Any:
        raise NotImplementedError

    def _should_retry(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _completion(self, response: Any, request: ChatRequest, latency_s: float) -> Completion:
        raise NotImplementedError

    async def _close_sdk(self, sdk: Any) -> None:
        # The OpenAI and Anthropic SDK clients and aiohttp sessions all close this way.
        await sdk.close()

    # -- shared ----------------------------------------------------------------------------------
    def _sdk(self) -> Any:
        # One SDK client per event loop: httpx pools are bound to the loop that made them.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            self._client = (loop, self._make_sdk(self._api_key or "EMPTY"))
        return self._client[1]

    async def complete(self, request: ChatRequest) -> Completion:
        started = time.perf_counter()
        try:
            response = await call_with_retries(
                lambda: self._send(self._sdk(), request),
                should_retry=self._should_retry,
                max_attempts=self._max_attempts,
                base_wait_s=self._retry_base_s,
            )
        except Exception as exc:  # every failure becomes data
            return Completion(
                error=describe_error(exc, self._api_key),
                latency_s=time.perf_counter() - started,
            )
        return self._completion(response, request, time.perf_counter() - started)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        async def run_all() -> list[Completion]:
            limit = asyncio.Semaphore(self.concurrency)

            async def one(request: ChatRequest) -> Completion:
                async with limit:
                    return await self.complete(request)

            try:
                return list(await asyncio.gather(*(one(r) for r in requests)))
            finally:
                await self.aclose()

        return asyncio.run(run_all())

    async def aclose(self) -> None:
        """Close the running loop's SDK client and its connections, inside that loop.

        A client made in another (by now closed) loop can no longer be closed; it is dropped.
        """
        made, self._client = self._client, None
        if made is not None and made[0] is asyncio.get_running_loop():
            await self._close_sdk(made[1])

    def close(self) -> None:
        """Forget the SDK client. Its connections are closed only by `aclose()`, awaited in
        the loop that used them."""
        self._client = None
