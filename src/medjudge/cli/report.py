"""`medjudge report`: the numbers, as tables or JSON / CSV / markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.report.judged import (
    judged_reports,
    judged_to_csv,
    judged_to_json,
    judged_to_markdown,
    render_judged,
)
from medjudge.report.mcq import build_accuracy_table, render_rich, to_csv, to_json, to_markdown
from medjudge.report.runs import mcq_results
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
        runs = [db.run(run_id) for run_id in run] if run else db.runs()
        tables = [
            (r, build_accuracy_table(results, seed=seed))
            for r in runs
            if (results := mcq_results(db, r.run_id))
        ]
        judged = judged_reports(db, [r.run_id for r in runs], seed=seed, pick=pick)
    if not tables and not judged:
        raise StoreError(
            f"{store}: nothing to report yet; run `medjudge score --store {store}` for MCQs "
            f"or `medjudge grade --store {store}` for open answers"
        )
    if format == "json":
        payload = {
            "mcq": [
                {"run": r.model_dump(mode="json"), "accuracy": json.loads(to_json(t))}
                for r, t in tables
            ],
            "judged": [json.loads(judged_to_json(j)) for j in judged],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for r, table in tables:
        _print(format, f"{r.benchmark} · {r.model} · run {r.run_id} · MCQ accuracy",
               table, to_csv, to_markdown, render_rich)
    for j in judged:
        _print(format, f"{j.run.benchmark} · {j.run.model} · run {j.run.run_id} · judged",
               j, judged_to_csv, judged_to_markdown, render_judged)


def _print(format: str, heading: str, table, csv_of, markdown_of, rich_of) -> None:
    if format == "csv":
        typer.echo(f"# {heading}")
        typer.echo(csv_of(table).rstrip("\n"))
    elif format == "markdown":
        typer.echo(f"## {heading}\n")
        typer.echo(markdown_of(table))
    else:
        console.print(f"[bold]{heading}[/]")
        console.print(rich_of(table))
