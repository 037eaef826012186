"""`medjudge run FILE`: answer → score → grade → report, as one YAML file says."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from medjudge.cli.common import (
    EXIT_CODES,
    EXIT_INCOMPLETE,
    RichProgress,
    console,
    err_console,
    friendly_errors,
)
from medjudge.pipeline import StageCrashed, StageResult, run_pipeline
from medjudge.report.document import Report
from medjudge.run_config import load_run_config

__all__ = ["run"]


def stage_progress(description: str) -> RichProgress:
    """A stage's progress bar (module-level: a child-process stage builds its own)."""
    return RichProgress(description, show_spend=description.startswith("grading"))


def _print_stage(result: StageResult) -> None:
    where = " [dim](own process)[/]" if result.own_process else ""
    mark = "[green]done[/]" if result.complete else "[yellow]incomplete[/]"
    # On stderr, as the progress bars: stdout carries the report alone (json, csv, …).
    err_console.print(
        f"[bold]{escape(result.stage)}[/]{where}: {mark}: {escape(result.summary)}",
        highlight=False, soft_wrap=True,
    )


def _print_report(report: Report, format: str) -> None:
    if report.is_empty:
        return
    if format == "json":
        typer.echo(report.to_json())
    elif format == "csv":
        typer.echo(report.to_csv())
    elif format == "markdown":
        typer.echo(report.to_markdown())
    else:
        for heading, renderable in report.rich_sections():
            console.print(f"[bold]{heading}[/]")
            console.print(renderable)


@friendly_errors
def run(
    file: Annotated[
        Path,
        typer.Argument(help="Run file (YAML): store, benchmark, model, judges, report."),
    ],
) -> None:
    """Answer, score, grade and report as FILE says; a rerun only does what is missing.

    Each stage with a local engine (a vllm/ model or judge) runs in its own process, so its
    memory is freed before the next model loads. A stage that ends incomplete stops the run.
    """
    config = load_run_config(file)
    try:
        result = run_pipeline(config, progress=stage_progress, on_stage=_print_stage)
    except StageCrashed as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(1) from None
    if result.stopped_at is not None:
        err_console.print(
            f"[yellow]stopped after stage '{escape(result.stopped_at)}'[/]: it is incomplete; "
            f"everything done is stored, and `medjudge run {escape(str(file))}` again retries "
            "the rest."
        )
        raise typer.Exit(EXIT_INCOMPLETE)
    if result.report is not None:
        _print_report(result.report, config.report.format)


run.__doc__ = f"{run.__doc__}\n    {EXIT_CODES}\n"
