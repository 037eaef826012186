"""`medjudge report`: the numbers, as tables or JSON / CSV / markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.report.document import build_report
from medjudge.scoring.versions import parse_version_choice
from medjudge.store import Store

__all__ = ["report"]


@friendly_errors
def report(
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    run: Annotated[list[str] | None, typer.Option(help="Run id(s); default: every run.")] = None,
    format: Annotated[
        Literal["table", "json", "csv", "markdown"], typer.Option(help="Output format.")
    ] = "table",
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap CIs.")] = 0,
    html: Annotated[
        Path | None,
        typer.Option(help="Write one self-contained HTML report (plots, physicians' agreement) "
                          "to this file instead of printing tables."),
    ] = None,
    rubric_version: Annotated[
        list[str] | None,
        typer.Option("--rubric-version", help="Rubric version whose verdicts to report: "
                     "RUBRIC_ID=VERSION (repeatable), or VERSION for every rubric. Default: "
                     "the latest version of each rubric; versions are never mixed."),
    ] = None,
) -> None:
    """MCQ accuracy per language × level, and judged usability per category, with 95% CIs."""
    if not store.exists():
        raise StoreError(f"{store}: no such store; run `medjudge answer` first")
    pick = parse_version_choice(rubric_version) if rubric_version else None
    if html is not None:
        from medjudge.report.html import write_html_report  # matplotlib, only when asked

        written = write_html_report(store, html, run_ids=run, seed=seed, pick=pick)
        console.print(f"wrote {written}")
        return
    with Store(store) as db:
        built = build_report(db, run, seed=seed, pick=pick)
    if built.is_empty:
        raise StoreError(
            f"{store}: nothing to report yet; run `medjudge score --store {store}` for MCQs "
            f"or `medjudge grade --store {store}` for open answers"
        )
    if format == "json":
        typer.echo(built.to_json())
    elif format == "csv":
        typer.echo(built.to_csv())
    elif format == "markdown":
        typer.echo(built.to_markdown())
    else:
        for heading, renderable in built.rich_sections():
            console.print(f"[bold]{heading}[/]")
            console.print(renderable)
