"""`medjudge grade`: LLM judges grade the stored open answers against checklist rubrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import RichProgress, console, friendly_errors
from medjudge.errors import StoreError
from medjudge.judging.grade import GradeConfig, grade as run_grading

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
        str | None, typer.Option(help="Base URL for the judge's server.")
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
    max_cost: Annotated[
        float | None, typer.Option(help="Stop before the spend would pass this (USD).")
    ] = None,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
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
) -> None:
    """Grade open answers; a rerun sends no request for a verdict already stored."""
    if not store.exists():
        raise StoreError(f"{store}: no such store; run `medjudge answer` first")
    config = GradeConfig(
        store=store,
        judges=tuple(judge),
        judge_base_url=judge_base_url,
        judge_output=judge_output,
        runs=runs,
        answer_runs=tuple(run) if run else None,
        rubric=rubric,
        concurrency=concurrency,
        reasks=reasks,
        max_cost_usd=max_cost,
        temperature=temperature,
        max_tokens=max_tokens,
        retry_unscored=retry_unscored,
        limit=limit,
        compact_verdicts=compact_verdicts,
    )
    with RichProgress("grading", show_spend=True) as progress:
        summary = run_grading(config, progress=progress)
    console.print(
        f"{summary.scored} scored, {summary.unscored} unscored, {summary.already_done} already "
        f"stored, {summary.failed_answers} failed answers not graded; spent "
        f"${summary.cost_usd:.4f}"
    )
    if summary.not_sent_budget:
        console.print(
            f"[yellow]stopped at the budget[/]: {summary.not_sent_budget} verdict requests were "
            "not sent; rerun with a higher --max-cost to finish."
        )
    if summary.unscored:
        console.print(
            "[yellow]unscored verdicts[/] keep their reason and the raw reply; "
            "`medjudge report` counts them."
        )
