"""One report of a store's runs: MCQ accuracy tables and judged usability, in every format.

`build_report(store, run_ids)` gathers the figures; the `Report` it returns renders them as
markdown, JSON, CSV or rich tables (what `medjudge report` prints, and what
`medjudge.report(run)` returns to a Python user).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from medjudge.records import Run
from medjudge.report.judged import (
    JudgedReport,
    judged_reports,
    judged_to_csv,
    judged_to_json,
    judged_to_markdown,
    render_judged,
)
from medjudge.report.mcq import AccuracyTable
from medjudge.report.mcq_render import render_rich, to_csv, to_json, to_markdown
from medjudge.report.mcq_store import accuracy_table_from_store
from medjudge.report.spend import (
    SpendReport,
    build_spend_report,
    render_spend,
    spend_to_csv,
    spend_to_json,
    spend_to_markdown,
)
from medjudge.scoring.versions import VersionPick
from medjudge.store import Store

__all__ = ["McqSection", "Report", "build_report"]


class McqSection(BaseModel):
    """One run's MCQ accuracy table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    table: AccuracyTable

    @property
    def heading(self) -> str:
        return f"{self.run.benchmark} · {self.run.model} · run {self.run.run_id} · MCQ accuracy"


def _judged_heading(report: JudgedReport) -> str:
    return f"{report.run.benchmark} · {report.run.model} · run {report.run.run_id} · judged"


class Report(BaseModel):
    """The MCQ tables and judged reports of some runs, ready to print in any format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mcq: tuple[McqSection, ...] = ()
    judged: tuple[JudgedReport, ...] = ()
    #: Tokens and cost per run, stage and model (the spend ledger).
    spend: SpendReport = SpendReport()

    @property
    def is_empty(self) -> bool:
        """Nothing scored and nothing judged yet."""
        return not self.mcq and not self.judged

    def _parts(self) -> list[tuple[str, Any, Callable, Callable, Callable]]:
        """(heading, data, csv renderer, markdown renderer, rich renderer) per section."""
        return [
            *((s.heading, s.table, to_csv, to_markdown, render_rich) for s in self.mcq),
            *(
                (_judged_heading(j), j, judged_to_csv, judged_to_markdown, render_judged)
                for j in self.judged
            ),
            *(
                [("spend · tokens and cost", self.spend, spend_to_csv, spend_to_markdown,
                  render_spend)] if self.spend.rows else []
            ),
        ]

    def to_json(self) -> str:
        payload = {
            "mcq": [
                {"run": s.run.model_dump(mode="json"), "accuracy": json.loads(to_json(s.table))}
                for s in self.mcq
            ],
            "judged": [json.loads(judged_to_json(j)) for j in self.judged],
            "spend": json.loads(spend_to_json(self.spend)),
        }
        return json.dumps(payload, ensure_ascii=False, indent=2)

    def to_csv(self) -> str:
        """Each section's CSV under a `# heading` line."""
        return "\n".join(
            f"# {heading}\n{csv_of(data).rstrip(chr(10))}"
            for heading, data, csv_of, _, _ in self._parts()
        )

    def to_markdown(self) -> str:
        """Each section's tables under a `## heading`."""
        return "\n".join(
            f"## {heading}\n\n{markdown_of(data)}"
            for heading, data, _, markdown_of, _ in self._parts()
        )

    def rich_sections(self) -> list[tuple[str, Any]]:
        """(heading, rich renderable) per section, for a terminal."""
        return [(heading, rich_of(data)) for heading, data, _, _, rich_of in self._parts()]


def build_report(
    store: Store, run_ids: Sequence[str] | None = None, *, seed: int = 0,
    pick: VersionPick | None = None,
) -> Report:
    """The report of `run_ids` (default: every run): each run's MCQ table when it has scored
    MCQs, its judged report when it has verdicts (one version per rubric: the latest, or
    the one `pick` chooses). Bootstrap CIs use `seed`."""
    runs = [store.run(run_id) for run_id in run_ids] if run_ids else store.runs()
    mcq = tuple(
        McqSection(run=run, table=table)
        for run in runs
        if (table := accuracy_table_from_store(store, run.run_id, seed=seed)) is not None
    )
    judged = judged_reports(store, [run.run_id for run in runs], seed=seed, pick=pick)
    spend = build_spend_report(store, [run.run_id for run in runs])
    return Report(mcq=mcq, judged=tuple(judged), spend=spend)
