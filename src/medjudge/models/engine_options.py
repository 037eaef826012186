"""vLLM engine options as users give them: `EngineOptions`, `KEY=VALUE` engine args, and the
pure `engine_kwargs` that turns them into the keyword arguments of `vllm.LLM`.

Nothing here starts an engine; only `check_engine_args` imports vLLM (to read the fields of
its `EngineArgs`), and only when engine args are given.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medjudge.errors import ConfigError, MissingDependency

__all__ = [
    "EngineArgValue",
    "EngineOptions",
    "check_engine_args",
    "check_engine_options",
    "engine_kwargs",
    "parse_engine_args",
]

#: A value of `--engine-arg KEY=VALUE`: JSON when it parses as a scalar, else the string.
EngineArgValue = str | int | float | bool

#: The `vllm.LLM` keywords medjudge sets from its own options, and the option that sets each.
NAMED_OPTIONS: dict[str, str] = {
    "model": "--model",
    "max_model_len": "--max-model-len",
    "dtype": "--dtype",
    "tensor_parallel_size": "--tensor-parallel-size",
    "pipeline_parallel_size": "--pipeline-parallel-size",
    "data_parallel_size": "--data-parallel-size",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "quantization": "--quantization",
    "enforce_eager": "--enforce-eager/--no-enforce-eager",
    "distributed_executor_backend": "--distributed-executor-backend",
    "structured_outputs_config": "medjudge's xgrammar structured outputs (not settable)",
}

_GIB = 1 << 30


class EngineOptions(BaseModel):
    """How a vLLM engine is started, beyond the model, max_model_len and dtype.

    `enforce_eager` None: eager on a CPU (starts ~4x faster), compiled with CUDA graphs on a
    GPU; decided when the engine starts. `engine_args` go to `vllm.LLM` as they are, after a
    check against the fields of vLLM's `EngineArgs`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tensor_parallel_size: int = Field(1, ge=1)
    pipeline_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    #: Fraction of each GPU's memory vLLM may take; None: vLLM's default (0.9).
    gpu_memory_utilization: float | None = Field(None, gt=0, le=1)
    quantization: str | None = None
    enforce_eager: bool | None = None
    #: "ray" for a model spanning nodes (start a Ray cluster first); None: vLLM's choice.
    distributed_executor_backend: Literal["ray", "mp", "uni", "external_launcher"] | None = None
    engine_args: dict[str, EngineArgValue] = Field(default_factory=dict)

    @field_validator("engine_args")
    @classmethod
    def _keys_are_free_identifiers(
        cls, value: dict[str, EngineArgValue]
    ) -> dict[str, EngineArgValue]:
        for key in value:
            problem = _key_problem(key)
            if problem:
                raise ValueError(problem)
        return value


def _key_problem(key: str) -> str | None:
    """Why `key` cannot be an engine arg, or None."""
    if not key.isidentifier():
        return (
            f"--engine-arg {key!r}: the key must be a Python identifier, as vLLM's "
            "EngineArgs fields are (e.g. max_num_seqs, not max-num-seqs)"
        )
    if key in NAMED_OPTIONS:
        return (
            f"--engine-arg {key}=... duplicates {NAMED_OPTIONS[key]}; "
            "give it only through that option"
        )
    return None


def _parse_value(text: str) -> EngineArgValue:
    """JSON scalars (1, 0.5, true) as such; anything else, JSON objects included, as text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def parse_engine_args(entries: Sequence[str]) -> dict[str, EngineArgValue]:
    """`["max_num_seqs=64", "seed=7"]` → `{"max_num_seqs": 64, "seed": 7}`; ConfigError on a bad
    entry."""
    parsed: dict[str, EngineArgValue] = {}
    for entry in entries:
        key, equals, text = entry.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ConfigError(
                f"--engine-arg {entry!r} is not KEY=VALUE; write e.g. --engine-arg max_num_seqs=64"
            )
        problem = _key_problem(key)
        if problem:
            raise ConfigError(problem)
        if key in parsed:
            raise ConfigError(f"--engine-arg {key} is given twice; give it once")
        parsed[key] = _parse_value(text.strip())
    return parsed


def vllm_engine_fields() -> frozenset[str]:
    """The field names of vLLM's `EngineArgs` (what `vllm.LLM(**kwargs)` accepts)."""
    try:
        from vllm.engine.arg_utils import EngineArgs
    except ImportError as error:
        raise MissingDependency("vllm", "cpu") from error
    return frozenset(field.name for field in dataclasses.fields(EngineArgs))


def check_engine_args(keys: Sequence[str], known: frozenset[str] | None = None) -> None:
    """ConfigError for the first key vLLM's `EngineArgs` lacks, with the closest names."""
    if not keys:
        return
    known = vllm_engine_fields() if known is None else known
    for key in keys:
        if key in known:
            continue
        close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "see `vllm serve --help`"
        raise ConfigError(f"--engine-arg {key}: vLLM has no engine argument {key!r}; {hint}")


def check_engine_options(options: EngineOptions) -> None:
    """What vLLM would refuse deep in its start, refused now: unknown engine args, an unknown
    quantization method, and data parallel in one offline engine."""
    check_engine_args(list(options.engine_args))
    if options.data_parallel_size > 1 and options.distributed_executor_backend != (
        "external_launcher"
    ):
        raise ConfigError(
            f"--data-parallel-size {options.data_parallel_size}: vLLM's offline engine (vllm/ "
            "models) runs data parallel only under torchrun with --distributed-executor-backend "
            "external_launcher; for throughput, serve the model with `vllm serve MODEL "
            "--data-parallel-size N` and answer with --model openai-compatible/<name> --base-url"
        )
    if options.quantization is not None:
        _check_quantization(options.quantization)


def _check_quantization(method: str) -> None:
    try:
        from vllm.model_executor.layers.quantization import QUANTIZATION_METHODS
    except ImportError:  # a vLLM without the list: let vLLM judge the name
        return
    if method in QUANTIZATION_METHODS:
        return
    close = difflib.get_close_matches(method, list(QUANTIZATION_METHODS), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "see `vllm serve --help`"
    raise ConfigError(f"--quantization {method}: vLLM has no such quantization method; {hint}")


def engine_kwargs(
    options: EngineOptions,
    model_path: str,
    *,
    on_cpu: bool,
    max_model_len: int,
    dtype: str,
    kv_cache_gib: float,
    structured_outputs: Mapping[str, Any],
) -> dict[str, Any]:
    """The keyword arguments of `vllm.LLM` for these options; pure, starts nothing."""
    eager = options.enforce_eager if options.enforce_eager is not None else on_cpu
    kwargs: dict[str, Any] = {
        "model": model_path,
        "max_model_len": max_model_len,
        "enforce_eager": eager,
        "dtype": dtype,
        "tensor_parallel_size": options.tensor_parallel_size,
        "pipeline_parallel_size": options.pipeline_parallel_size,
        "data_parallel_size": options.data_parallel_size,
        "structured_outputs_config": dict(structured_outputs),
    }
    if options.gpu_memory_utilization is not None:
        kwargs["gpu_memory_utilization"] = options.gpu_memory_utilization
    if options.quantization is not None:
        kwargs["quantization"] = options.quantization
    if options.distributed_executor_backend is not None:
        kwargs["distributed_executor_backend"] = options.distributed_executor_backend
    if on_cpu:
        kwargs["kv_cache_memory_bytes"] = int(kv_cache_gib * _GIB)
    kwargs.update(options.engine_args)
    return kwargs
