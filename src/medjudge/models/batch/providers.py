"""Which judges and models have a batch API, the provider for one, and its price.

Both providers bill batches at half their list prices: OpenAI ("each model will be offered at
50% cost discount vs. the synchronous APIs", Batch API FAQ) and Anthropic ("reducing costs by
50%", Message Batches guide)."""

from __future__ import annotations

from medjudge.errors import ConfigError
from medjudge.models.base import ModelClient
from medjudge.models.batch.base import BatchProvider
from medjudge.models.pricing import BATCH_DISCOUNT

__all__ = [
    "BATCH_DISCOUNT",
    "BATCH_PREFIXES",
    "batch_api_of",
    "batch_provider",
    "check_batchable",
]

#: Model prefixes whose provider has a batch API medjudge speaks.
BATCH_PREFIXES = ("openai/", "anthropic/")


def check_batchable(name: str, client: ModelClient, what: str = "--batch") -> None:
    """ConfigError unless `name` is an openai/ or anthropic/ model with its API client."""
    from medjudge.models.anthropic import AnthropicChatClient
    from medjudge.models.openai import OpenAIChatClient

    if name.startswith(BATCH_PREFIXES) and isinstance(
        client, OpenAIChatClient | AnthropicChatClient
    ):
        return
    if name.startswith("vllm/"):
        raise ConfigError(
            f"{what}: {name} runs in vLLM's offline batches already (one wave per turn); "
            f"drop {what}"
        )
    raise ConfigError(
        f"{what}: {name} has no batch API medjudge can use (only openai/ and anthropic/ "
        f"models do); drop {what}, or use an openai/ or anthropic/ model"
    )


def batch_api_of(name: str, client: ModelClient) -> str:
    """The provider whose batch API `name` goes through ("openai", "anthropic");
    ConfigError as `check_batchable` when it has none."""
    from medjudge.models.anthropic import AnthropicChatClient

    check_batchable(name, client)
    return "anthropic" if isinstance(client, AnthropicChatClient) else "openai"


def batch_provider(
    name: str, client: ModelClient, *, timeout_s: float, max_attempts: int
) -> BatchProvider:
    """The batch API of `name`'s provider, at the same base URL (and with the same key from
    the environment) as its online client."""
    from medjudge.models.batch.anthropic import AnthropicBatchProvider
    from medjudge.models.batch.openai import OpenAIBatchProvider

    api = batch_api_of(name, client)
    cls = AnthropicBatchProvider if api == "anthropic" else OpenAIBatchProvider
    return cls(
        client.model,
        name=name,
        base_url=client.base_url,  # type: ignore[attr-defined]
        timeout_s=timeout_s,
        max_attempts=max_attempts,
    )
