"""The vLLM engine options shared by `medjudge answer` and `medjudge grade` (vllm/ models only),
and `engine_options`, which turns them into an `EngineOptions` (ConfigError on a bad one)."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from medjudge.models.engine_options import EngineOptions, parse_engine_args
from medjudge.models.registry import Dtype

__all__ = [
    "ApiAttempts",
    "ApiTimeout",
    "DataParallel",
    "DtypeOption",
    "EnforceEager",
    "EngineArg",
    "ExecutorBackend",
    "GpuMemory",
    "MaxModelLen",
    "PipelineParallel",
    "Probe",
    "Quantization",
    "TensorParallel",
    "engine_options",
]

ApiTimeout = Annotated[
    float,
    typer.Option("--timeout", min=0.1, max=3600,
                 help="Seconds one API request may take per attempt."),
]
ApiAttempts = Annotated[
    int,
    typer.Option("--max-attempts", min=1, max=20,
                 help="Tries per API request (timeouts, 429, 5xx)."),
]
DtypeOption = Annotated[
    Dtype | None,
    typer.Option("--dtype", help="vLLM weights dtype. Default: float32 for the embedded model "
                 "on a CPU (vLLM's bfloat16 path computed garbage on some CPUs), else auto."),
]
Probe = Annotated[
    bool,
    typer.Option(help="vLLM: after the engine starts, ask a known-answer question and "
                 "stop with an error if the reply is wrong (--no-probe for base models)."),
]
MaxModelLen = Annotated[
    int, typer.Option(min=256, help="vLLM: the longest prompt + reply, in tokens.")
]
TensorParallel = Annotated[
    int, typer.Option(min=1, help="vLLM: GPUs one model is split across (tensor parallel).")
]
PipelineParallel = Annotated[
    int,
    typer.Option(min=1, help="vLLM: pipeline stages (split the layers, e.g. one per node)."),
]
DataParallel = Annotated[
    int, typer.Option(min=1, help="vLLM: engine replicas, for throughput (data parallel).")
]
GpuMemory = Annotated[
    float | None,
    typer.Option(min=0.01, max=1.0,
                 help="vLLM: fraction of each GPU's memory to use. Default: vLLM's (0.9)."),
]
Quantization = Annotated[
    str | None,
    typer.Option(help="vLLM: quantization method (awq, gptq, fp8, ...). Default: the model's."),
]
EnforceEager = Annotated[
    bool | None,
    typer.Option("--enforce-eager/--no-enforce-eager",
                 help="vLLM: skip CUDA graphs / torch.compile. Default: eager on a CPU (starts "
                 "~4x faster), compiled on a GPU (where CUDA graphs matter)."),
]
ExecutorBackend = Annotated[
    Literal["ray", "mp", "uni", "external_launcher"] | None,
    typer.Option(help="vLLM: how workers are run; ray for a model spanning nodes "
                 "(start a Ray cluster first). Default: vLLM's choice."),
]
EngineArg = Annotated[
    list[str] | None,
    typer.Option(help="vLLM: any other engine argument as KEY=VALUE (repeatable; values "
                 "parsed as JSON when they parse), e.g. --engine-arg max_num_seqs=64."),
]


def engine_options(
    *,
    tensor_parallel_size: int,
    pipeline_parallel_size: int,
    data_parallel_size: int,
    gpu_memory_utilization: float | None,
    quantization: str | None,
    enforce_eager: bool | None,
    distributed_executor_backend: Literal["ray", "mp", "uni", "external_launcher"] | None,
    engine_arg: list[str] | None,
) -> EngineOptions:
    """The options as given; a bad `--engine-arg` raises ConfigError naming it."""
    return EngineOptions(
        tensor_parallel_size=tensor_parallel_size,
        pipeline_parallel_size=pipeline_parallel_size,
        data_parallel_size=data_parallel_size,
        gpu_memory_utilization=gpu_memory_utilization,
        quantization=quantization,
        enforce_eager=enforce_eager,
        distributed_executor_backend=distributed_executor_backend,
        engine_args=parse_engine_args(engine_arg or ()),
    )
