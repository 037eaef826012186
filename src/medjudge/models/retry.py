"""Bounded retries for API clients: the backend says what is retryable; Retry-After is honoured."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = [
    "MAX_RETRY_WAIT_S",
    "call_with_retries",
    "describe_error",
    "retry_after_seconds",
    "wait_before_retry_s",
]

#: Never wait longer than this for one retry, whatever Retry-After says.
MAX_RETRY_WAIT_S = 60.0

T = TypeVar("T")


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds) or retry-after-ms, if the error carries one: on
    `exc.response.headers` (the SDKs' errors) or `exc.headers` (`openai_compatible.HTTPStatusError`)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        headers = getattr(exc, "headers", None)
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


def wait_before_retry_s(exc: BaseException, retry: int, base_wait_s: float) -> float:
    """Seconds to wait before retry number `retry` (1, 2, ...) after `exc`: what the server
    asked for, else exponential back-off with full jitter, never above MAX_RETRY_WAIT_S."""
    asked = retry_after_seconds(exc)
    if asked is not None:
        return min(asked, MAX_RETRY_WAIT_S)
    return random.uniform(0.0, min(MAX_RETRY_WAIT_S, base_wait_s * 2 ** (retry - 1)))


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    should_retry: Callable[[BaseException], bool],
    max_attempts: int,
    base_wait_s: float,
) -> T:
    """Await `call` until it succeeds, a non-retryable error, or `max_attempts` (then re-raise).

    A plain loop rather than tenacity: the first attempt, which nearly every request is, costs
    nothing beyond the call itself (a judge at C = 128 makes hundreds of calls a second)."""
    for attempt in range(1, max_attempts + 1):
        try:
            return await call()
        except Exception as exc:
            if attempt >= max_attempts or not should_retry(exc):
                raise
            await asyncio.sleep(wait_before_retry_s(exc, attempt, base_wait_s))
    raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")


def describe_error(exc: BaseException, secret: str | None) -> str:
    """A one-line reason for the store, with the API key scrubbed out."""
    status = getattr(exc, "status_code", None)
    text = type(exc).__name__ + (f" (HTTP {status})" if status else "")
    lines = str(exc).strip().splitlines()
    if lines:
        text += f": {lines[0][:300]}"
    if secret:
        text = text.replace(secret, "[redacted]")
    return text
