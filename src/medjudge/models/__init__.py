"""Model clients: one abstraction for every LLM call (answering and judging)."""

from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.registry import DEFAULT_MODEL, ClientOptions, canonical_name, create_client

__all__ = [
    "DEFAULT_MODEL",
    "AsyncModelClient",
    "ClientOptions",
    "ModelClient",
    "canonical_name",
    "create_client",
]
