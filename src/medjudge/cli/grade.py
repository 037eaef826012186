"""`medjudge grade`: LLM judges grade the stored open answers against checklist rubrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

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
from medjudge.errors import StoreError
from medjudge.judging.grade import GradeConfig
from medjudge.judging.grade import grade as run_grading

__all__ = ["grade"]


@friendly_errors
def grade(
    judge: Annotated[
        list[str],
        typer.Option(
            help="Judge model; repeat for a jury. gpt-4o / openai/<m>, claude-… / "
            "anthropic/<m>, openai-compatible/<m> (with --judge-base-url), vllm/<path-or-id>."
        ),
    ] = ["gpt-4o"],  # noqa: B006 (typer reads the default; it is never mutated)
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    run: Annotated[
        list[str] | None, typer.Option(help="Answer run id(s) to grade; default: every run.")
    ] = None,
    judge_base_url: Annotated[
        list[str] | None,
        typer.Option(
            help="A judge's own server: JUDGE=URL, repeatable (e.g. "
            "openai-compatible/qwen=http://127.0.0.1:8000/v1). A bare URL belongs to the only "
            "judge, or in a jury to its only openai-compatible judge; never to the others."
        ),
    ] = None,
    judge_output: Annotated[
        Literal["json", "text"],
        typer.Option(help="json: schema-constrained replies; text: servers without it."),
    ] = "json",
    runs: Annotated[int, typer.Option(min=1, help="Times each judge grades each answer.")] = 1,
    rubric: Annotated[
        Path | None, typer.Option(help="Your rubric YAML; wins where it applies.")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Judge requests in flight.")] = 8,
    reasks: Annotated[
        int, typer.Option(min=0, help="Re-asks after an invalid reply before 'unscored'.")
    ] = 2,
    max_cost: MaxCost = None,
    price: PriceOption = None,
    price_file: PriceFileOption = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=2.0,
            help="Judge temperature. Default: 0 for one run; with --runs > 1, 1.0 (the "
            "judges' API default, as LLMEval-Med used), since runs at 0 agree by construction.",
        ),
    ] = None,
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
        typer.Option(help="If another process is grading these runs with these judges, wait "
                     "for it instead of exiting with code 2."),
    ] = False,
    max_tokens: Annotated[int, typer.Option(min=64, help="Most tokens per verdict.")] = 1024,
    retry_unscored: Annotated[
        bool, typer.Option(help="Ask again for verdicts stored as unscored.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N answers per run.")]
    = None,
    compact_verdicts: Annotated[
        bool | None,
        typer.Option(
            "--compact-verdicts/--full-verdicts",
            help="Tight string bounds for small local judges (default: on for vllm/ only).",
        ),
    ] = None,
    batch: BatchFlag = False,
    poll_interval: PollInterval = 30.0,
) -> None:
    """Grade open answers; a rerun sends no request for a verdict already stored.

    Keys: OPENAI_API_KEY goes to openai/ judges only, ANTHROPIC_API_KEY to anthropic/ ones;
    an openai-compatible/ judge gets MEDJUDGE_COMPATIBLE_API_KEY (if set) and nothing else.
    --max-cost is the total for this grading across reruns: what the spend ledger says these
    judges spent on these runs counts, re-asked requests included.
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
    if not store.exists():
        raise StoreError(f"{store}: no such store; run `medjudge answer` first")
    config = GradeConfig(
        store=store,
        judges=tuple(judge),
        judge_base_urls=tuple(judge_base_url or ()),
        judge_output=judge_output,
        runs=runs,
        answer_runs=tuple(run) if run else None,
        rubric=rubric,
        concurrency=concurrency,
        reasks=reasks,
        max_cost_usd=max_cost,
        prices=prices,
        temperature=temperature,
        timeout_s=timeout,
        max_attempts=max_attempts,
        wait_for_lease=wait,
        dtype=dtype,
        probe=probe,
        max_model_len=max_model_len,
        engine=engine,
        max_tokens=max_tokens,
        retry_unscored=retry_unscored,
        limit=limit,
        compact_verdicts=compact_verdicts,
        batch=batch,
        poll_interval_s=poll_interval,
    )
    with BatchAwareProgress("grading", show_spend=True) as progress:
        summary = run_grading(config, progress=progress)
    if runs > 1 and config.temperature == 0:
        console.print(
            "[yellow]note[/]: --runs > 1 at temperature 0 measures little judge instability; "
            "LLMEval-Med used the judge's default temperature (omit --temperature for 1.0)."
        )
    before = f" (+${summary.cost_before_usd:.4f} earlier)" if summary.cost_before_usd else ""
    console.print(
        f"{summary.scored} scored, {summary.unscored} unscored, {summary.already_done} already "
        f"stored, {summary.failed_answers} failed answers not graded; spent "
        f"${summary.cost_usd:.4f}{before}"
    )
    if summary.not_sent_budget:
        console.print(
            f"[yellow]stopped at the budget[/]: {summary.not_sent_budget} verdict requests were "
            "not sent; rerun with a higher --max-cost to finish."
        )
    if summary.unscored_stored:
        console.print(
            f"[yellow]{summary.unscored_stored} unscored verdicts[/] keep their reason and the "
            "raw reply; `medjudge report` counts them; --retry-unscored asks again."
            + (" With --batch, a rerun resubmits the entries that expired or failed at the "
               "provider." if batch else "")
        )
    if not summary.complete:
        raise typer.Exit(EXIT_INCOMPLETE)


grade.__doc__ = f"{grade.__doc__}\n    {EXIT_CODES}\n"
