"""One client abstraction for every LLM call, answering and judging alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from medjudge.records import ChatRequest, Completion

__all__ = ["AsyncModelClient", "ModelClient"]


@runtime_checkable
class ModelClient(Protocol):
    """Sends chat requests, returns one Completion per request, in order.

    A request that fails comes back as a Completion with `error` set; `generate`
    raises only when the backend itself cannot run (ModelError).
    """

    name: str

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncModelClient(ModelClient, Protocol):
    """An API client: one request at a time under a concurrency limit.

    Answering chains each conversation's turns through `complete` instead of waves.
    """

    concurrency: int

    async def complete(self, request: ChatRequest) -> Completion: ...
