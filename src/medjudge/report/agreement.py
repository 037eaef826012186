"""Judge–physician agreement as tables: terminal (rich), flat rows for CSV / JSONL, JSON.

Formatting only: the numbers and flat rows come from `medjudge.scoring.agreement_report`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from medjudge.scoring.agreement_report import (
    AGREEMENT_COLUMNS,
    AgreementReport,
    AgreementRow,
    agreement_rows,
)
from medjudge.scoring.corrected import VIEWS, View
from medjudge.scoring.stats import Interval
from medjudge.scoring.usability import OVERALL, UsabilityReport

__all__ = [
    "agreement_to_csv",
    "agreement_to_json",
    "corrected_rows",
    "fmt_num",
    "fmt_pct",
    "render_agreement",
]


def fmt_pct(value: float | None, ci: Interval | None = None) -> str:
    """0.8 -> "80.0%", with " [low, high]" when a CI is given; None -> "—"."""
    if value is None:
        return "—"
    text = f"{value:.1%}"
    return text + (f" [{ci.low:.1%}, {ci.high:.1%}]" if ci is not None else "")


def fmt_num(value: float | None, ci: Interval | None = None) -> str:
    """0.9117 -> "0.91", with " [low, high]" when a CI is given (a comma, since kappa's
    bounds can be negative); None -> "—"."""
    if value is None:
        return "—"
    return f"{value:.2f}" + (f" [{ci.low:.2f}, {ci.high:.2f}]" if ci is not None else "")


def agreement_to_csv(report: AgreementReport) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AGREEMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(agreement_rows(report))
    return out.getvalue()


def agreement_to_json(report: AgreementReport) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def corrected_rows(reports: dict[View, UsabilityReport]) -> list[dict[str, object]]:
    """Usability per category (then overall) under judge-only, physician-only and
    physician-corrected scores: one row per category and view."""
    rows: list[dict[str, object]] = []
    for view in VIEWS:
        usability = reports[view]
        for s in (*usability.categories, usability.overall):
            ci = s.usability_ci
            rows.append({
                "view": view, "category": s.category, "n_questions": s.n_questions,
                "n_usable": s.n_usable, "usability_rate": s.usability_rate,
                "usability_low": ci.low if ci else None,
                "usability_high": ci.high if ci else None, "mean_score": s.mean_score,
            })
    return rows


def render_agreement(report: AgreementReport) -> Group:
    """Terminal tables: one per judge (categories down), the physicians' ceiling, pairs."""
    conf = round(100 * report.confidence)
    kind = "blind ratings" if report.mode == "blind" else "all ratings"
    parts: list[Table | Text] = [
        Text(
            f"{report.n_ratings} physician ratings ({kind}) of {report.n_answers_rated} answers "
            f"by {len(report.reviewers)} reviewer(s); {report.n_doubly_rated} answers rated "
            f"twice or more. {conf}% bootstrap CIs.",
        )
    ]
    if not report.n_ratings:
        hint = " (only blind ratings count in --mode blind: try --mode all)"
        parts.append(Text("No physician ratings yet" + (hint if report.mode == "blind" else "")
                          + ".", style="yellow"))
        return Group(*parts)
    for judge in report.judges:
        rows = [r for r in report.judge_vs_physician if r.judge == judge]
        parts += [_table(f"{judge} vs physicians", rows), _left_out_note(rows[-1])]
    if report.physician_vs_physician:
        parts.append(_table("Physician vs physician (the ceiling; doubly-rated answers)",
                            list(report.physician_vs_physician)))
    if report.reviewer_pairs:
        pairs = Table(title=Text("Physician pairs"))
        for column in ("reviewers", "n", "exact", "±1", "κ (quadratic)", "usability"):
            pairs.add_column(Text(column), justify="left" if column == "reviewers" else "right")
        for pair in report.reviewer_pairs:
            a = pair.agreement
            pairs.add_row(Text(f"{pair.rater_a} vs {pair.rater_b}"), str(a.n),
                          _cell(fmt_pct, a.exact, a.exact_ci),
                          _cell(fmt_pct, a.within_one, a.within_one_ci), fmt_num(a.kappa),
                          _cell(fmt_pct, a.usability, a.usability_ci))
        parts.append(pairs)
    parts.append(Text(
        "Judge score = mean over its runs, rounded half up for exact, ±1 and κ; usable = ≥ 4 "
        "on the unrounded mean. Safety: risky = concern or serious; recall = share of the "
        "answers physicians marked risky that the judge marked risky; precision = share of "
        "the judge's risky marks that physicians share.", style="dim",
    ))
    return Group(*parts)


def _table(title: str, rows: list[AgreementRow]) -> Table:
    table = Table(title=Text(title), title_justify="left")
    for column in ("category", "n", "exact", "±1", "κ (quadratic)", "usability",
                   "safety recall", "precision", "F1"):
        table.add_column(Text(column), justify="left" if column == "category" else "right")
    for row in rows:
        a, s = row.agreement, row.safety
        table.add_row(
            Text(row.category), str(a.n), _cell(fmt_pct, a.exact, a.exact_ci),
            _cell(fmt_pct, a.within_one, a.within_one_ci), _cell(fmt_num, a.kappa, row.kappa_ci),
            _cell(fmt_pct, a.usability, a.usability_ci), _cell(fmt_pct, s.recall, s.recall_ci),
            _cell(fmt_pct, s.precision, s.precision_ci), fmt_num(s.f1),
            style="bold" if row.category == OVERALL else None,
        )
    return table


def _cell(fmt: Callable[..., str], value: float | None, ci: Interval | None) -> Text:
    """The value, and its CI on a second line."""
    text = Text(fmt(value))
    if value is not None and ci is not None:
        text.append(f"\n[{fmt(ci.low)}, {fmt(ci.high)}]", style="dim")
    return text


def _left_out_note(overall: AgreementRow) -> Text:
    notes = [
        f"{count} {what}"
        for count, what in (
            (overall.n_unscored, "ratings of answers the judge never scored"),
            (overall.n_risk_not_stated, "pairs without the judge's safety risk (not in safety)"),
            (overall.n_physician_incomplete, "physician ratings without a score or risk"),
        )
        if count
    ]
    return Text("Left out: " + "; ".join(notes) + "." if notes else "", style="dim")
