"""`medjudge runs`: the store's runs (model, benchmark, sampling, counts, judges, rubric
versions, tokens, cost, when); `medjudge runs show RUN`: one run with its grading passes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.api import runs as list_runs
from medjudge.api import show_run
from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.report.run_list import (
    details_to_json,
    render_run_details,
    render_runs,
    runs_to_csv,
    runs_to_json,
)

__all__ = ["runs_app"]

runs_app = typer.Typer(
    help="The store's runs: `medjudge runs` lists them, `medjudge runs show RUN` gives one.",
    invoke_without_command=True,
)

StoreArg = Annotated[Path, typer.Option(help="SQLite store file.")]
FormatArg = Annotated[Literal["table", "json", "csv"], typer.Option(help="Output format.")]


@runs_app.callback()
@friendly_errors
def runs(
    ctx: typer.Context,
    store: StoreArg = Path("medjudge.sqlite"),
    format: FormatArg = "table",
) -> None:
    """List every run: model, benchmark, sampling, answered/failed, MCQ scored, judges,
    rubric versions, tokens and cost, and when it was made."""
    if ctx.invoked_subcommand is not None:
        return
    overviews = list_runs(store)
    if not overviews:
        raise StoreError(f"{store}: no runs yet; run `medjudge answer --store {store}` first")
    if format == "json":
        typer.echo(runs_to_json(overviews))
    elif format == "csv":
        typer.echo(runs_to_csv(overviews).rstrip("\n"))
    else:
        console.print(render_runs(overviews))


@runs_app.command("show")
@friendly_errors
def show(
    run: Annotated[str, typer.Argument(help="The run id (see `medjudge runs`).")],
    store: StoreArg = Path("medjudge.sqlite"),
    format: Annotated[Literal["table", "json"], typer.Option(help="Output format.")] = "table",
) -> None:
    """One run with its exact settings and every grading pass (judge, base URL without
    secrets, output mode, temperature, max_tokens, re-asks, runs, rubric versions)."""
    details = show_run(run, store=store)
    if format == "json":
        typer.echo(details_to_json(details))
    else:
        console.print(render_run_details(details))
