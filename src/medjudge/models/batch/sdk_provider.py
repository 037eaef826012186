"""What the OpenAI and Anthropic batch providers are both made of: the model and its medjudge
name, the base URL and limits, the SDK client made through `SdkCalls` (with the online
client's key, timeout and retry rules), and reading a results file line by line."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from medjudge.models.batch.base import BatchLimits, BatchOutcome, BatchResults
from medjudge.models.batch.sdk_calls import SdkCalls

__all__ = ["CLOCK_SLACK_S", "SdkBatchProvider", "read_results", "result_line"]

#: How far back (s) before an intent's time a batch list is searched for its orphan (the
#: provider's clock and ours may differ).
CLOCK_SLACK_S = 600.0


class SdkBatchProvider:
    """A `BatchProvider` through its provider's SDK; a subclass names the provider, its
    limits, its key variable, its SDK's async client and the online client's module."""

    provider: ClassVar[str]
    limits: BatchLimits
    #: The environment variable the API key is read from (as the online client reads it).
    api_key_env: ClassVar[str]
    #: The SDK's async client, as (module, class): imported when the first call is made.
    sdk_client: ClassVar[tuple[str, str]]
    #: The online client's module: its `should_retry` says which SDK errors to try again.
    online_module: ClassVar[str]

    def __init__(
        self,
        model: str,
        *,
        name: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        max_attempts: int = 4,
        retry_base_s: float = 1.0,
        limits: BatchLimits | None = None,
    ) -> None:
        self.model = model
        self.name = name or f"{self.provider}/{model}"
        self.base_url = base_url
        if limits is not None:
            self.limits = limits

        def make(api_key: str) -> Any:
            module, name = self.sdk_client
            client = getattr(importlib.import_module(module), name)
            # The SDK's own retries are off: `SdkCalls` retries, as the online clients do.
            return client(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)

        self._calls = SdkCalls(
            make,
            api_key_env=self.api_key_env,
            should_retry=importlib.import_module(self.online_module).should_retry,
            max_attempts=max_attempts,
            retry_base_s=retry_base_s,
        )

    async def aclose(self) -> None:
        await self._calls.aclose()


def read_results(
    texts: Iterable[str], read: Callable[[str], BatchOutcome | None]
) -> BatchResults:
    """Every non-blank line of the results files `texts`, through `read`; a line it maps to
    no custom id (None) is counted as malformed."""
    outcomes: list[BatchOutcome] = []
    malformed = 0
    for text in texts:
        for raw in text.splitlines():
            if not raw.strip():
                continue
            outcome = read(raw)
            if outcome is None:
                malformed += 1
            else:
                outcomes.append(outcome)
    return BatchResults(outcomes=tuple(outcomes), malformed=malformed)


def result_line(raw: str) -> tuple[str, dict[str, Any]] | None:
    """A results file's line as its custom id and JSON object; None when it is no JSON
    object or names no custom id (it cannot be mapped to a request)."""
    try:
        line = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(line, dict) or not isinstance(line.get("custom_id"), str):
        return None
    return line["custom_id"], line
