"""The OpenAI Batch API: a JSONL file of `/v1/chat/completions` requests uploaded with
purpose `batch` (POST /v1/files), a batch made from it (POST /v1/batches, completion window
24h, tagged in its metadata), polled (GET /v1/batches/{id}), and its output and error files
read back (GET /v1/files/{id}/content), line by line, by custom id.

Limits (OpenAI's Batch API reference): 50,000 requests and 200 MB per input file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import aclosing
from typing import Any

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
from medjudge.models.openai_wire import chat_params, read_chat_completion

__all__ = ["ENDPOINT", "OPENAI_LIMITS", "TAG_KEY", "OpenAIBatchProvider", "read_output_line"]

OPENAI_LIMITS = BatchLimits(max_requests=50_000, max_bytes=200 * 1024 * 1024)
ENDPOINT = "/v1/chat/completions"
#: The metadata key that carries a batch's medjudge tag (found again after a crash).
TAG_KEY = "medjudge_tag"
_ENDED = {"completed", "failed", "expired", "cancelled"}
#: Line error codes worth submitting again on a rerun.
_RETRYABLE_CODES = {"batch_expired", "batch_cancelled", "server_error", "rate_limit_exceeded"}


class OpenAIBatchProvider(SdkBatchProvider):
    """`BatchProvider` for `openai/<model>`, through the OpenAI SDK (same base URL, key,
    timeout and retry rules as the online `OpenAIChatClient`)."""

    provider = "openai"
    limits = OPENAI_LIMITS
    api_key_env = "OPENAI_API_KEY"
    sdk_client = ("openai", "AsyncOpenAI")
    online_module = "medjudge.models.openai"

    def encode(self, line: BatchLine) -> bytes:
        body = {
            "custom_id": line.custom_id,
            "method": "POST",
            "url": ENDPOINT,
            "body": chat_params(self.model, line.request),
        }
        return (json.dumps(body, ensure_ascii=False) + "\n").encode()

    async def submit(self, lines: Sequence[BatchLine], tag: str) -> str:
        content = b"".join(self.encode(line) for line in lines)
        uploaded = await self._calls.call(
            "uploading the batch input file",
            lambda sdk: sdk.files.create(
                file=("medjudge-batch.jsonl", content, "application/jsonl"), purpose="batch"
            ),
        )

        async def create(sdk: Any) -> str:
            batch = await sdk.batches.create(
                input_file_id=uploaded.id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={TAG_KEY: tag},
            )
            return batch.id

        async def find() -> str | None:
            return await self.find_orphan(
                tag, created_after=0.0, requests=len(lines), known=frozenset()
            )

        return await self._calls.create_once("creating the batch", create, find)

    async def find_orphan(
        self, tag: str, *, created_after: float, requests: int, known: frozenset[str]
    ) -> str | None:
        # Newest first: stop at batches made well before the intent was written.
        listed = self._calls.pages("listing batches", lambda sdk: sdk.batches.list(limit=100))
        async with aclosing(listed) as batches:
            async for batch in batches:
                if created_after and batch.created_at < created_after - CLOCK_SLACK_S:
                    return None
                if (batch.metadata or {}).get(TAG_KEY) == tag and batch.id not in known:
                    return batch.id
        return None

    async def poll(self, batch_id: str) -> BatchState:
        batch = await self._calls.call(
            f"polling batch {batch_id}", lambda sdk: sdk.batches.retrieve(batch_id)
        )
        counts = batch.request_counts.model_dump() if batch.request_counts else {}
        failed = None
        if batch.status == "failed":
            errors = (batch.errors.data or []) if batch.errors else []
            messages = [e.message or e.code or "" for e in errors]
            failed = "; ".join(m for m in messages if m) or "the batch failed"
        return BatchState(
            batch_id=batch.id,
            ended=batch.status in _ENDED,
            status=batch.status,
            counts={k: v for k, v in counts.items() if isinstance(v, int)},
            failed_reason=failed,
        )

    async def results(self, state: BatchState, *, structured: bool) -> BatchResults:
        batch = await self._calls.call(
            f"reading batch {state.batch_id}", lambda sdk: sdk.batches.retrieve(state.batch_id)
        )
        texts: list[str] = []
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self._calls.call(
                f"downloading file {file_id}", lambda sdk, f=file_id: sdk.files.content(f)
            )
            texts.append(content.text)
        return read_results(texts, lambda raw: read_output_line(raw, status=state.status))


def read_output_line(raw: str, *, status: str = "completed") -> BatchOutcome | None:
    """One line of a batch's output or error file → its outcome; None when the line cannot
    be mapped to a custom id at all (not JSON, or no custom id)."""
    parsed = result_line(raw)
    if parsed is None:
        return None
    custom_id, line = parsed
    response = line.get("response") if isinstance(line.get("response"), dict) else None
    code = response.get("status_code") if response else None
    body = response.get("body") if response else None
    error = line.get("error")
    if code == 200 and isinstance(body, dict) and not error:
        return BatchOutcome(custom_id=custom_id, completion=read_chat_completion(body, None))
    return BatchOutcome(custom_id=custom_id, failure=_line_failure(code, body, error, status))


def _line_failure(code: Any, body: Any, error: Any, status: str) -> BatchFailure:
    detail = error if isinstance(error, dict) else None
    if detail is None and isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"]
    error_code = str((detail or {}).get("code") or "")
    message = str((detail or {}).get("message") or (error if isinstance(error, str) else ""))
    message = (message.strip().splitlines() or [""])[0][:300]
    if error_code == "batch_expired" or (status == "expired" and not error_code):
        reason, retryable = "the batch expired (24h window) before this request ran", True
    elif error_code == "batch_cancelled" or (status == "cancelled" and not error_code):
        reason, retryable = "the batch was cancelled before this request ran", True
    elif isinstance(code, int) and code != 200:
        reason = f"HTTP {code}" + (f" {error_code}" if error_code else "")
        retryable = code == 429 or code >= 500
    elif error_code:
        reason, retryable = f"error {error_code}", error_code in _RETRYABLE_CODES
    else:
        reason, retryable = "a result line without a reply", True
    text = f"batch entry failed: {reason}" + (f": {message}" if message else "")
    return BatchFailure(reason=text, retryable=retryable)
