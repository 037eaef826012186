"""Provider batch APIs (OpenAI Batch API, Anthropic Message Batches): submit in chunks within
the providers' limits, keep every batch in the store before polling it, resume after a crash,
map results back by custom id. Imports no SDK until a provider is made."""

from medjudge.models.batch.base import (
    BatchFailure,
    BatchLimits,
    BatchLine,
    BatchOutcome,
    BatchProgressSink,
    BatchProvider,
    BatchResults,
    BatchState,
)
from medjudge.models.batch.providers import (
    BATCH_DISCOUNT,
    batch_api_of,
    batch_provider,
    check_batchable,
)
from medjudge.models.batch.session import BatchCounter, BatchSession, Submission

__all__ = [
    "BATCH_DISCOUNT",
    "BatchCounter",
    "BatchFailure",
    "BatchLimits",
    "BatchLine",
    "BatchOutcome",
    "BatchProgressSink",
    "BatchProvider",
    "BatchResults",
    "BatchSession",
    "BatchState",
    "Submission",
    "batch_api_of",
    "batch_provider",
    "check_batchable",
]
