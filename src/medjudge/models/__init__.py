"""Model clients: one abstraction for every LLM call (answering and judging)."""

from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.registry import (
    DEFAULT_MODEL,
    ENTRY_POINT_GROUP,
    ClientOptions,
    ProviderFactory,
    canonical_name,
    create_client,
    register_provider,
    registered_prefixes,
)

__all__ = [
    "DEFAULT_MODEL",
    "ENTRY_POINT_GROUP",
    "AsyncModelClient",
    "ClientOptions",
    "ModelClient",
    "ProviderFactory",
    "canonical_name",
    "create_client",
    "register_provider",
    "registered_prefixes",
]
