"""The spend section of a report: per run, stage (answering, judging) and model, the
requests billed, tokens in and out, and the cost, from the store's spend ledger.

One aggregate SQL statement (`Store.spend_tallies`) gives every row, so a store with many
requests is reported without reading them. Requests recorded without a price are counted
(`unpriced`), not folded into the cost.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from rich.table import Table

from medjudge.store import Store
from medjudge.store.spend_rows import SpendTally

__all__ = [
    "SpendReport",
    "build_spend_report",
    "render_spend",
    "spend_to_csv",
    "spend_to_json",
    "spend_to_markdown",
]

_STAGES = {"answer": "answering", "grade": "judging"}
_NOTE = (
    "Tokens the providers reported and their cost at the price recorded with each "
    "request (re-asked and failed requests included); unpriced requests are counted, "
    "not costed."
)


class SpendReport(BaseModel):
    """The ledger of some runs, one row per run, stage and model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: tuple[SpendTally, ...] = ()

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rows)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.rows)

    @property
    def unpriced(self) -> int:
        return sum(r.unpriced for r in self.rows)


def build_spend_report(store: Store, run_ids: Sequence[str] | None = None) -> SpendReport:
    return SpendReport(rows=tuple(store.spend_tallies(None if not run_ids else list(run_ids))))


def _tokens(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _cells(row: SpendTally) -> list[str]:
    return [
        row.run_id,
        _STAGES[row.stage],
        row.model,
        str(row.requests),
        _tokens(row.prompt_tokens),
        _tokens(row.completion_tokens),
        f"${row.cost_usd:.4f}",
        str(row.unpriced),
        str(row.batch),
    ]


_HEADER = [
    "run",
    "stage",
    "model",
    "requests",
    "tokens in",
    "tokens out",
    "cost (USD)",
    "unpriced",
    "batch",
]


def _total(report: SpendReport) -> list[str]:
    return [
        "total",
        "",
        "",
        str(report.requests),
        "",
        "",
        f"${report.cost_usd:.4f}",
        str(report.unpriced),
        "",
    ]


def spend_to_markdown(report: SpendReport) -> str:
    lines = ["| " + " | ".join(_HEADER) + " |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in report.rows]
    lines.append("| " + " | ".join(_total(report)) + " |")
    return "\n".join(lines) + f"\n\n{_NOTE}\n"


def spend_to_csv(report: SpendReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "run_id",
            "stage",
            "model",
            "requests",
            "prompt_tokens",
            "completion_tokens",
            "cost_usd",
            "unpriced",
            "batch",
        ]
    )
    for r in report.rows:
        writer.writerow(
            [
                r.run_id,
                r.stage,
                r.model,
                r.requests,
                r.prompt_tokens,
                r.completion_tokens,
                r.cost_usd,
                r.unpriced,
                r.batch,
            ]
        )
    return buffer.getvalue()


def spend_to_json(report: SpendReport) -> str:
    payload = {
        "rows": [r.model_dump(mode="json") for r in report.rows],
        "requests": report.requests,
        "cost_usd": report.cost_usd,
        "unpriced": report.unpriced,
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def render_spend(report: SpendReport) -> Table:
    table = Table(caption=_NOTE)
    for n, column in enumerate(_HEADER):
        table.add_column(column, justify="right" if n >= 3 else "left")
    for row in report.rows:
        table.add_row(*_cells(row))
    table.add_row(*_total(report), style="bold")
    return table
