"""Retry waits and bounds (models/retry.py): what a user sees when a provider throttles."""

from __future__ import annotations

import asyncio

import pytest

from medjudge.models.retry import MAX_RETRY_WAIT_S, call_with_retries, wait_before_retry_s


class _Throttled(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("429")
        self.headers = headers


def test_retry_after_is_waited_exactly_and_capped() -> None:
    assert wait_before_retry_s(_Throttled({"retry-after": "7"}), 1, 0.5) == 7.0
    assert wait_before_retry_s(_Throttled({"retry-after-ms": "250"}), 3, 0.5) == 0.25
    assert wait_before_retry_s(_Throttled({"retry-after": "3600"}), 1, 0.5) == MAX_RETRY_WAIT_S


def test_back_off_without_retry_after_stays_inside_its_doubling_window() -> None:
    # Full jitter: retry k waits uniformly in [0, base · 2^(k-1)], never above the cap.
    for retry, high in ((1, 0.5), (2, 1.0), (3, 2.0), (12, MAX_RETRY_WAIT_S)):
        waits = [wait_before_retry_s(RuntimeError("boom"), retry, 0.5) for _ in range(200)]
        assert all(0.0 <= w <= high for w in waits)
        assert max(waits) > high / 2  # spread over the window, not pinned to its floor


def test_calls_stop_at_max_attempts_and_a_fatal_error_is_not_retried() -> None:
    calls: list[str] = []

    async def flaky() -> str:
        calls.append("x")
        raise _Throttled({"retry-after": "0"})

    with pytest.raises(_Throttled):
        asyncio.run(call_with_retries(flaky, should_retry=lambda e: True, max_attempts=3,
                                      base_wait_s=0.0))
    assert len(calls) == 3

    calls.clear()
    with pytest.raises(_Throttled):
        asyncio.run(call_with_retries(flaky, should_retry=lambda e: False, max_attempts=3,
                                      base_wait_s=0.0))
    assert len(calls) == 1


def test_a_call_that_recovers_returns_its_result() -> None:
    replies = iter([_Throttled({"retry-after": "0"}), "verdict"])

    async def recovering() -> str:
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    result = asyncio.run(call_with_retries(recovering, should_retry=lambda e: True,
                                           max_attempts=2, base_wait_s=0.0))
    assert result == "verdict"
