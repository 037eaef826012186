"""`medjudge score`: exact-match scoring of stored MCQ answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from medjudge.cli.common import console, friendly_errors
from medjudge.errors import StoreError
from medjudge.mcq_scoring import score_mcq_run
from medjudge.store import Store

__all__ = ["score"]


@friendly_errors
def score(
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
    run: Annotated[list[str] | None, typer.Option(help="Run id(s); default: every run.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Processes that extract the letters (the scores are the same for any number); "
             "default: the usable CPUs, at most 8.")] = None,
) -> None:
    """Extract each MCQ answer's letter and score it by exact match."""
    if not store.exists():
        raise StoreError(f"{store}: no such store; run `medjudge answer` first")
    with Store(store) as db:
        run_ids = run or [r.run_id for r in db.runs()]
        summaries = [score_mcq_run(db, run_id, workers=workers) for run_id in run_ids]
    table = Table(title="MCQ scoring (strict: explicit answer markers only)")
    columns = (
        "run", "scored", "correct", "accuracy", "strict accuracy", "unanswered",
        "strict unanswered", "failed answers",
    )
    for column in columns:
        table.add_column(column, justify="right" if column != "run" else "left")
    for s in (s for s in summaries if s.scored):  # runs with no MCQ (open items) stay out
        table.add_row(
            s.run_id, str(s.scored), str(s.correct), f"{s.correct / s.scored:.1%}",
            f"{s.strict_correct / s.scored:.1%}", str(s.unanswered), str(s.strict_unanswered),
            str(s.failed_answers),
        )
    console.print(table)
