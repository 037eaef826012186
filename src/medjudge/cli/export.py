"""`medjudge export`: a store's answers, verdicts or MCQ scores as JSONL or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.interchange.exports import ExportKind, export_records

__all__ = ["export"]


@friendly_errors
def export(
    what: Annotated[ExportKind, typer.Argument(help="Records.")],
    out: Annotated[Path, typer.Argument(help="Output file: .jsonl or .csv.")],
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    run: Annotated[list[str] | None, typer.Option(help="Run id(s); default: every run.")] = None,
) -> None:
    """Export answers, verdicts or MCQ scores to JSONL or CSV."""
    if not store.exists():
        raise StoreError(f"{store}: no such store")
    count = export_records(store, what, out, run_ids=run)
    console.print(f"wrote {count} {what} to {out}")
