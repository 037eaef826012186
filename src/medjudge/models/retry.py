"""Bounded retries for API clients: the backend says what is retryable; Retry-After is honoured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

__all__ = ["MAX_RETRY_WAIT_S", "call_with_retries", "describe_error", "retry_after_seconds"]

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


class _WaitRetryAfter:
    """Wait what the server asked for; otherwise exponential back-off with jitter."""

    def __init__(self, base_s: float) -> None:
        self._fallback = wait_random_exponential(multiplier=base_s, max=MAX_RETRY_WAIT_S)

    def __call__(self, state: RetryCallState) -> float:
        asked = retry_after_seconds(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return min(asked, MAX_RETRY_WAIT_S)
        return self._fallback(state)


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    should_retry: Callable[[BaseException], bool],
    max_attempts: int,
    base_wait_s: float,
) -> T:
    """Await `call` until it succeeds, a non-retryable error, or `max_attempts` (then re-raise)."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(max_attempts),
        wait=_WaitRetryAfter(base_wait_s),
        retry=retry_if_exception(should_retry),
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


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
