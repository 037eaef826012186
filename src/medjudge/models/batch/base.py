"""What a provider's batch API is to medjudge: request lines with custom ids go in, in chunks
within the provider's limits; a batch is polled until it ends; its results come back per
custom id, each a `Completion` or a `BatchFailure` with its reason.

The providers (`openai`, `anthropic`) speak their own wire formats through their SDKs;
`session.BatchSession` keeps every batch in the store, so a rerun resumes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from medjudge.records import ChatRequest, Completion

__all__ = [
    "BatchFailure",
    "BatchLimits",
    "BatchLine",
    "BatchOutcome",
    "BatchProgressSink",
    "BatchProvider",
    "BatchResults",
    "BatchState",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BatchLimits(_Record):
    """How much one batch may hold (the provider's published limits)."""

    max_requests: int = Field(ge=1)
    max_bytes: int = Field(ge=1)


class BatchLine(_Record):
    """One request of a batch: its custom id (unique in the store) and the chat request."""

    custom_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    request: ChatRequest


class BatchFailure(_Record):
    """Why a request of a batch got no reply. `retryable`: a rerun submits it again (the
    batch expired or was cancelled, a server error, a result line that could not be read);
    otherwise the failure is final, as a refused request is on the online path."""

    reason: str
    retryable: bool


class BatchOutcome(_Record):
    """The result of one custom id: a completion (the model replied) or a failure."""

    custom_id: str
    completion: Completion | None = None
    failure: BatchFailure | None = None


class BatchState(_Record):
    """A batch as the provider reports it when polled."""

    batch_id: str
    ended: bool
    #: The provider's own status word: validating, in_progress, completed, expired, ended, ...
    status: str
    #: The provider's request counts (completed/failed/total, or succeeded/errored/...).
    counts: dict[str, int] = Field(default_factory=dict)
    #: A batch that failed as a whole (e.g. its input did not validate): why.
    failed_reason: str | None = None


class BatchResults(_Record):
    outcomes: tuple[BatchOutcome, ...]
    #: Result lines that could not be read at all (not JSON, or no custom id).
    malformed: int = 0


@runtime_checkable
class BatchProvider(Protocol):
    """A provider's batch API for one model."""

    #: The model, as medjudge names it ("openai/gpt-4o").
    name: str
    #: The provider ("openai", "anthropic").
    provider: str
    limits: BatchLimits

    def encode(self, line: BatchLine) -> bytes:
        """The line as the provider receives it (its size counts against `max_bytes`)."""
        ...

    async def submit(self, lines: Sequence[BatchLine], tag: str) -> str:
        """Create a batch of `lines` tagged `tag`; returns the provider's batch id."""
        ...

    async def find_orphan(
        self, tag: str, *, created_after: float, requests: int, known: frozenset[str]
    ) -> str | None:
        """The id of a batch submitted with `tag` whose id never reached the store (the
        process died between the provider accepting it and the store committing it)."""
        ...

    async def poll(self, batch_id: str) -> BatchState: ...

    async def results(self, state: BatchState, *, structured: bool) -> BatchResults:
        """Every result line of an ended batch, mapped by custom id."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class BatchProgressSink(Protocol):
    """A progress display that also shows batches submitted / ended."""

    def batches(self, submitted: int, ended: int) -> None: ...
