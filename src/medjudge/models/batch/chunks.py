"""Splitting request lines into batches within a provider's limits (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from medjudge.errors import ConfigError
from medjudge.models.batch.base import BatchLimits, BatchLine

__all__ = ["chunk_lines"]


def chunk_lines(
    lines: Sequence[BatchLine], limits: BatchLimits, size: Callable[[BatchLine], int]
) -> list[list[BatchLine]]:
    """`lines` in order, cut into chunks of at most `limits.max_requests` lines and
    `limits.max_bytes` encoded bytes each. A single line larger than a whole batch may be
    cannot be sent at all: ConfigError."""
    chunks: list[list[BatchLine]] = []
    current: list[BatchLine] = []
    used = 0
    for line in lines:
        n = size(line)
        if n > limits.max_bytes:
            raise ConfigError(
                f"request {line.custom_id} is {n} bytes, more than one batch may hold "
                f"({limits.max_bytes}); lower --max-tokens or grade it without --batch"
            )
        if current and (len(current) >= limits.max_requests or used + n > limits.max_bytes):
            chunks.append(current)
            current, used = [], 0
        current.append(line)
        used += n
    if current:
        chunks.append(current)
    return chunks
