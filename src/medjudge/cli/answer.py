"""`medjudge answer`: run a model over a benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.answering.prompts import (
    TEMPLATES,
    make_prompt,
    parse_chat_template_kwargs,
    read_system_prompt,
)
from medjudge.cli.batch_flags import BatchAwareProgress, BatchFlag, PollInterval
from medjudge.cli.common import (
    EXIT_CODES,
    EXIT_INCOMPLETE,
    console,
    friendly_errors,
)
from medjudge.cli.engine_flags import (
    ApiAttempts,
    ApiTimeout,
    DataParallel,
    DtypeOption,
    EnforceEager,
    EngineArg,
    ExecutorBackend,
    GpuMemory,
    MaxModelLen,
    PipelineParallel,
    Probe,
    Quantization,
    TensorParallel,
    engine_options,
)
from medjudge.cli.price_flags import MaxCost, PriceFileOption, PriceOption
from medjudge.records import SamplingConfig

__all__ = ["answer"]


@friendly_errors
def answer(
    benchmark: Annotated[
        str,
        typer.Argument(
            help="Benchmark file (LLMEval-Med JSON, AnesBench JSON/JSONL/parquet, medjudge "
            "JSONL), a bundled sample (sample:anesbench, sample:llmeval-med, sample:generic) "
            "or a Hugging Face dataset: hf:MiliLab/AnesBench, hf:OWNER/NAME/FILE ([hub] extra)."
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option(
            help="vllm/<path-or-hf-id>, openai-compatible/<name> (with --base-url) or "
            "openai/<model>. Default: the embedded SmolLM2-135M (shows the machinery only)."
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Server URL for openai-compatible/<name>.")
    ] = None,
    samples: Annotated[int, typer.Option(min=1, help="Answers drawn per item.")] = 1,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
    top_p: Annotated[float, typer.Option(min=0.0, max=1.0)] = 1.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens per answer.")] = 512,
    seed: Annotated[int, typer.Option(help="Sample i uses seed + i.")] = 0,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first L conversations.")
    ] = None,
    lang: Annotated[
        Literal["en", "zh", "both"], typer.Option(help="AnesBench language(s).")
    ] = "en",
    mode: Annotated[
        Literal["mcq", "open"],
        typer.Option(help="AnesBench: mcq shows options; open asks the stem only."),
    ] = "mcq",
    system_prompt: Annotated[
        str | None,
        typer.Option(help="System message sent first in every conversation (replaces the "
                     "template's own); @FILE reads it from a UTF-8 file."),
    ] = None,
    prompt_template: Annotated[
        str,
        typer.Option(help="How items are worded: " + "; ".join(
            f"{t.name} = {t.description}" for t in TEMPLATES.values())),
    ] = "default",
    chat_template_kwargs: Annotated[
        str | None,
        typer.Option(help="JSON object for the model's chat template, e.g. "
                     """'{"enable_thinking": false}' (vLLM and OpenAI-compatible servers)."""),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight for API models.")
    ] = 8,
    timeout: ApiTimeout = 120.0,
    max_attempts: ApiAttempts = 4,
    dtype: DtypeOption = None,
    probe: Probe = True,
    max_model_len: MaxModelLen = 4096,
    tensor_parallel_size: TensorParallel = 1,
    pipeline_parallel_size: PipelineParallel = 1,
    data_parallel_size: DataParallel = 1,
    gpu_memory_utilization: GpuMemory = None,
    quantization: Quantization = None,
    enforce_eager: EnforceEager = None,
    distributed_executor_backend: ExecutorBackend = None,
    engine_arg: EngineArg = None,
    wait: Annotated[
        bool,
        typer.Option(help="If another process is answering this run, wait for it to finish "
                     "instead of exiting with code 2."),
    ] = False,
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    batch: BatchFlag = False,
    poll_interval: PollInterval = 30.0,
    max_cost: MaxCost = None,
    price: PriceOption = None,
    price_file: PriceFileOption = None,
) -> None:
    """Answer every item of BENCHMARK; a rerun of the same command only asks what is missing.

    API keys: OPENAI_API_KEY (openai/), ANTHROPIC_API_KEY (anthropic/), and for
    openai-compatible/ servers only MEDJUDGE_COMPATIBLE_API_KEY (if the server wants one).
    --max-cost is the total for answering this run across reruns (the store's spend ledger);
    a turn it cannot fit is left unasked, so the same command with more budget asks it.
    """
    from medjudge.prices import user_prices

    prices = user_prices(price or (), price_file)
    engine = engine_options(
        tensor_parallel_size=tensor_parallel_size,
        pipeline_parallel_size=pipeline_parallel_size,
        data_parallel_size=data_parallel_size,
        gpu_memory_utilization=gpu_memory_utilization,
        quantization=quantization,
        enforce_eager=enforce_eager,
        distributed_executor_backend=distributed_executor_backend,
        engine_arg=engine_arg,
    )
    prompt = make_prompt(
        template=prompt_template,
        system_prompt=read_system_prompt(system_prompt),
        chat_template_kwargs=parse_chat_template_kwargs(chat_template_kwargs),
    )
    config = AnswerConfig(
        benchmark=benchmark,
        store=store,
        model=model,
        base_url=base_url,
        lang=lang,
        mode=mode,
        samples=samples,
        sampling=SamplingConfig(
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
        ),
        prompt=prompt,
        limit=limit,
        concurrency=concurrency,
        timeout_s=timeout,
        max_attempts=max_attempts,
        wait_for_lease=wait,
        dtype=dtype,
        probe=probe,
        max_model_len=max_model_len,
        engine=engine,
        batch=batch,
        poll_interval_s=poll_interval,
        max_cost_usd=max_cost,
        prices=prices,
    )
    with BatchAwareProgress("answering", show_spend=batch) as progress:
        summary = answer_benchmark(config, progress=progress)
    before = f" (+${summary.cost_before_usd:.4f} earlier)" if summary.cost_before_usd else ""
    console.print(
        f"run [bold]{summary.run_id}[/]: {summary.ok} answered, {summary.failed} failed, "
        f"{summary.already_done} already in {store}; spent ${summary.cost_usd:.4f}{before}"
    )
    if summary.not_sent_budget:
        console.print(
            f"[yellow]stopped at the budget[/]: {summary.not_sent_budget} turns were not asked; "
            "rerun with a higher --max-cost to finish."
        )
    if summary.failed:
        console.print(
            "[yellow]some answers failed[/]: their reasons are stored; "
            "run the same command again to retry them."
        )
    if summary.failed or summary.not_sent_budget:
        raise typer.Exit(EXIT_INCOMPLETE)


answer.__doc__ = f"{answer.__doc__}\n    {EXIT_CODES}\n"
