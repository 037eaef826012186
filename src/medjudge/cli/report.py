"""`medjudge report`: the numbers, as tables or JSON / CSV / markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.report.mcq import build_accuracy_table, render_rich, to_csv, to_json, to_markdown
from medjudge.report.runs import mcq_results
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
) -> None:
    """Accuracy per language × level with bootstrap 95% CIs and the unanswered rate."""
    if not store.exists():
        raise StoreError(f"{store}: no such store; run `medjudge answer` first")
    with Store(store) as db:
        runs = [db.run(run_id) for run_id in run] if run else db.runs()
        tables = [
            (r, build_accuracy_table(results, seed=seed))
            for r in runs
            if (results := mcq_results(db, r.run_id))
        ]
    if not tables:
        raise StoreError(
            f"{store}: no scored MCQ answers; run `medjudge score --store {store}` first"
        )
    if format == "json":
        payload = [
            {"run": r.model_dump(mode="json"), "accuracy": json.loads(to_json(t))}
            for r, t in tables
        ]
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for r, table in tables:
        heading = f"{r.benchmark} · {r.model} · run {r.run_id}"
        if format == "csv":
            typer.echo(f"# {heading}")
            typer.echo(to_csv(table).rstrip("\n"))
        elif format == "markdown":
            typer.echo(f"## {heading}\n")
            typer.echo(to_markdown(table))
        else:
            console.print(f"[bold]{heading}[/]")
            console.print(render_rich(table))
