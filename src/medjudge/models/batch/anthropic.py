"""Anthropic Message Batches: the requests sent inline (POST /v1/messages/batches, each
`{custom_id, params}`), polled (GET /v1/messages/batches/{id}) until `processing_status` is
`ended`, and the JSONL at its `results_url` read line by line: `succeeded` (a Message),
`errored`, `canceled` or `expired`.

Limits (Anthropic's batch processing guide): 100,000 requests or 256 MB per batch, whichever
comes first. A batch carries no metadata, so an orphan (accepted, id never stored) is found
by its creation time and request count, then checked by its custom ids when it ends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from contextlib import aclosing
from typing import Any
from urllib.parse import urlsplit

from medjudge.errors import ModelError
from medjudge.models.batch.base import (
    BatchFailure,
    BatchLimits,
    BatchLine,
    BatchOutcome,
    BatchResults,
    BatchState,
)
from medjudge.models.batch.sdk_provider import (
    CLOCK_SLACK_S,
    SdkBatchProvider,
    read_results,
    result_line,
)

__all__ = ["ANTHROPIC_LIMITS", "AnthropicBatchProvider", "batch_params", "read_result_line"]

ANTHROPIC_LIMITS = BatchLimits(max_requests=100_000, max_bytes=256 * 1000 * 1000)
#: Error types of an `errored` result worth submitting again on a rerun.
_RETRYABLE_ERRORS = {"api_error", "overloaded_error", "rate_limit_error", "timeout_error"}


def batch_params(model: str, request: Any) -> dict[str, Any]:
    """The `params` of one batch request: what the online client sends, with the sampling
    settings it passes through the SDK's `extra_body` placed in the body itself."""
    from medjudge.models.anthropic import message_params

    params = message_params(model, request)
    extra = params.pop("extra_body", {}) or {}
    return {**params, **extra}


class AnthropicBatchProvider(SdkBatchProvider):
    """`BatchProvider` for `anthropic/<model>`, through the Anthropic SDK (same base URL,
    key, timeout and retry rules as the online `AnthropicChatClient`)."""

    provider = "anthropic"
    limits = ANTHROPIC_LIMITS
    api_key_env = "ANTHROPIC_API_KEY"
    sdk_client = ("anthropic", "AsyncAnthropic")
    online_module = "medjudge.models.anthropic"

    def _request(self, line: BatchLine) -> dict[str, Any]:
        return {"custom_id": line.custom_id, "params": batch_params(self.model, line.request)}

    def encode(self, line: BatchLine) -> bytes:
        return json.dumps(self._request(line), ensure_ascii=False).encode() + b","

    async def submit(self, lines: Sequence[BatchLine], tag: str) -> str:
        requests = [self._request(line) for line in lines]

        async def create(sdk: Any) -> str:
            batch = await sdk.messages.batches.create(requests=requests)
            return batch.id

        async def find() -> str | None:
            # The try that failed may have made the batch: one of the right size, just now.
            return await self.find_orphan(
                tag, created_after=self._now() - 120.0, requests=len(lines), known=frozenset()
            )

        return await self._calls.create_once("creating the message batch", create, find)

    @staticmethod
    def _now() -> float:
        return time.time()

    async def find_orphan(
        self, tag: str, *, created_after: float, requests: int, known: frozenset[str]
    ) -> str | None:
        """The one unknown batch made since `created_after` (less clock slack) with
        `requests` requests; None when there is none, or more than one."""
        listed = self._calls.pages(
            "listing message batches", lambda sdk: sdk.messages.batches.list(limit=100)
        )
        found: list[str] = []
        async with aclosing(listed) as batches:
            async for batch in batches:
                if batch.created_at.timestamp() < created_after - CLOCK_SLACK_S:
                    break  # newest first: every later one is older still
                total = sum(batch.request_counts.model_dump().values())
                if total == requests and batch.id not in known:
                    found.append(batch.id)
        return found[0] if len(found) == 1 else None

    async def poll(self, batch_id: str) -> BatchState:
        batch = await self._calls.call(
            f"polling message batch {batch_id}",
            lambda sdk: sdk.messages.batches.retrieve(batch_id),
        )
        return BatchState(
            batch_id=batch.id,
            ended=batch.processing_status == "ended",
            status=batch.processing_status,
            counts=batch.request_counts.model_dump(),
        )

    async def results(self, state: BatchState, *, structured: bool) -> BatchResults:
        batch = await self._calls.call(
            f"reading message batch {state.batch_id}",
            lambda sdk: sdk.messages.batches.retrieve(state.batch_id),
        )
        if not batch.results_url:
            raise ModelError(f"message batch {state.batch_id} ended without a results_url")
        url = self._same_origin(batch.results_url)
        text = await self._calls.call(
            f"downloading the results of {state.batch_id}",
            lambda sdk: sdk.get(
                url, cast_to=str, options={"headers": {"Accept": "application/binary"}}
            ),
        )
        return read_results([text], lambda raw: read_result_line(raw, structured=structured))

    def _same_origin(self, url: str) -> str:
        """The key goes to its provider only: a results URL on another host is refused."""
        base = urlsplit(str(self._calls.sdk().base_url))
        target = urlsplit(url)
        if target.scheme and (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise ModelError(
                f"the batch's results_url is on {target.netloc}, not on the API server "
                f"{base.netloc}; medjudge sends the API key to its provider only"
            )
        return url


def read_result_line(raw: str, *, structured: bool) -> BatchOutcome | None:
    """One line of a results file → its outcome; None when it names no custom id."""
    from anthropic.types import Message
    from pydantic import ValidationError

    from medjudge.models.anthropic import read_message

    parsed = result_line(raw)
    if parsed is None:
        return None
    custom_id, line = parsed
    result = line.get("result") if isinstance(line.get("result"), dict) else {}
    kind = result.get("type")
    if kind == "succeeded":
        try:
            message = Message.model_validate(result.get("message"))
        except ValidationError as exc:
            reason = f"batch entry failed: a result message that is not a Message ({exc.error_count()} problems)"
            return BatchOutcome(
                custom_id=custom_id, failure=BatchFailure(reason=reason, retryable=True)
            )
        return BatchOutcome(
            custom_id=custom_id,
            completion=read_message(message, structured=structured, latency_s=None),
        )
    if kind == "errored":
        error = (result.get("error") or {}).get("error") or result.get("error") or {}
        error_type = str(error.get("type") or "error")
        message_text = (str(error.get("message") or "").strip().splitlines() or [""])[0][:300]
        reason = f"batch entry failed: {error_type}" + (f": {message_text}" if message_text else "")
        return BatchOutcome(
            custom_id=custom_id,
            failure=BatchFailure(reason=reason, retryable=error_type in _RETRYABLE_ERRORS),
        )
    if kind in ("expired", "canceled"):
        what = "expired (24h window)" if kind == "expired" else "was canceled"
        return BatchOutcome(
            custom_id=custom_id,
            failure=BatchFailure(
                reason=f"batch entry failed: the batch {what} before this request ran",
                retryable=True,
            ),
        )
    return BatchOutcome(
        custom_id=custom_id,
        failure=BatchFailure(
            reason=f"batch entry failed: a result of unknown type {kind!r}", retryable=True
        ),
    )
