"""What both providers' batch clients share: the SDK client made in the running loop, every
call with the online clients' bounded retries, and a create that is never sent twice."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from medjudge.errors import ModelError
from medjudge.models.retry import call_with_retries, describe_error

__all__ = ["SdkCalls"]

T = TypeVar("T")


class SdkCalls:
    """An SDK client per event loop, and `call` / `create_once` over it."""

    def __init__(
        self,
        make: Callable[[str], Any],
        *,
        api_key_env: str,
        should_retry: Callable[[BaseException], bool],
        max_attempts: int,
        retry_base_s: float = 1.0,
    ) -> None:
        self._make = make
        self._api_key = os.environ.get(api_key_env) or "EMPTY"
        self._should_retry = should_retry
        self._max_attempts = max_attempts
        self._retry_base_s = retry_base_s
        self._client: tuple[asyncio.AbstractEventLoop, Any] | None = None

    def sdk(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            self._client = (loop, self._make(self._api_key))
        return self._client[1]

    async def call(self, what: str, send: Callable[[Any], Awaitable[T]]) -> T:
        """`send(sdk)` with bounded retries; a final failure is a ModelError naming `what`."""
        try:
            return await call_with_retries(
                lambda: send(self.sdk()),
                should_retry=self._should_retry,
                max_attempts=self._max_attempts,
                base_wait_s=self._retry_base_s,
            )
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"{what} failed: {describe_error(exc, self._api_key)}") from exc

    async def pages(
        self, what: str, first: Callable[[Any], Awaitable[Any]]
    ) -> AsyncIterator[Any]:
        """Every item of a paginated list (newest first, as the providers list batches):
        `first(sdk)` for the first page, then each next page, every call with retries."""
        page = await self.call(what, first)
        while True:
            for item in page.data:
                yield item
            if not page.has_next_page():
                return
            page = await self.call(what, lambda _sdk, p=page: p.get_next_page())

    async def create_once(
        self,
        what: str,
        create: Callable[[Any], Awaitable[str]],
        find: Callable[[], Awaitable[str | None]],
    ) -> str:
        """Create a batch; before each retry, look for the batch the failed try may have
        made after all (a reply lost on the way back), so one request never becomes two."""
        for attempt in range(self._max_attempts):
            if attempt:
                found = await find()
                if found is not None:
                    return found
                await asyncio.sleep(min(self._retry_base_s * 2 ** (attempt - 1), 30.0))
            try:
                return await create(self.sdk())
            except Exception as exc:
                if not self._should_retry(exc) or attempt == self._max_attempts - 1:
                    raise ModelError(
                        f"{what} failed: {describe_error(exc, self._api_key)}"
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        made, self._client = self._client, None
        if made is not None and made[0] is asyncio.get_running_loop():
            await made[1].close()
