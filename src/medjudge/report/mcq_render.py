"""MCQ accuracy tables, formatted: a rich terminal table, JSON, CSV, markdown grids.

Each renderer only formats an `AccuracyTable` (`report.mcq.build_accuracy_table`); no
number is computed here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from medjudge.report.mcq import AccuracyCell, AccuracyTable
from medjudge.scoring.stats import Interval

__all__ = ["render_rich", "to_csv", "to_json", "to_markdown"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _pct_ci(value: float | None, ci: Interval | None) -> str:
    if value is None or ci is None:
        return "—"
    return f"{100 * value:.1f}% [{100 * ci.low:.1f}–{100 * ci.high:.1f}]"


def _note(table: AccuracyTable) -> str:
    level = round(100 * table.confidence)
    text = (
        f"Accuracy of the first sample, {level}% percentile-bootstrap CI over items "
        f"({table.n_resamples} resamples, seed {table.seed}). "
        "Failed answers count as wrong and unanswered. "
        "Strict: explicit answer markers only, over the items scored with it."
    )
    if table.samples > 1:
        text += (
            f" Vote: majority of up to {table.samples} samples, a tie counts as wrong and "
            "unanswered; mean: mean per-sample accuracy."
        )
    return text


def _rich_cell(cell: AccuracyCell) -> Text:
    if cell.n == 0:
        return Text("—", style="dim")
    text = Text(_pct_ci(cell.accuracy, cell.ci), style="bold")
    text.append(f"\nn={cell.n} · unanswered {_pct(cell.unanswered_rate)}")
    if cell.strict_scored:
        text.append(f"\nstrict {_pct_ci(cell.strict_accuracy, cell.strict_ci)}")
        if cell.strict_scored < cell.n:
            text.append(f" (of {cell.strict_scored})")
    if cell.failed_samples:
        text.append(f"\nfailed answers {cell.failed_samples}", style="red")
    if cell.vote is not None:
        text.append(f"\nvote {_pct_ci(cell.vote.accuracy, cell.vote.ci)}")
        text.append(f"\nmean {_pct_ci(cell.vote.mean_sample_accuracy, cell.vote.mean_sample_ci)}")
    return text


def render_rich(table: AccuracyTable) -> Table:
    """A terminal table: languages down, levels across; print it with a rich Console."""
    title = "MCQ accuracy" + (f" · {', '.join(table.benchmarks)}" if table.benchmarks else "")
    out = Table(title=Text(title), caption=Text(_note(table)), show_lines=True)
    out.add_column("Language", style="bold")
    for level in table.levels:
        out.add_column(Text(level), justify="right")
    for language in table.languages:
        row = [_rich_cell(table.cell(language, level)) for level in table.levels]
        out.add_row(Text(language), *row)
    return out


def to_json(table: AccuracyTable) -> str:
    """The whole table as JSON (cells with no items have nulls, never NaN)."""
    return table.model_dump_json(indent=2)


_CSV_COLUMNS = (
    "language",
    "level",
    "n",
    "correct",
    "accuracy",
    "ci_low",
    "ci_high",
    "strict_scored",
    "strict_correct",
    "strict_accuracy",
    "strict_ci_low",
    "strict_ci_high",
    "unanswered",
    "unanswered_rate",
    "failed",
    "failed_samples",
    "vote_samples",
    "vote_correct",
    "vote_accuracy",
    "vote_ci_low",
    "vote_ci_high",
    "vote_unanswered",
    "vote_unanswered_rate",
    "mean_sample_accuracy",
    "mean_sample_ci_low",
    "mean_sample_ci_high",
)


def _csv_row(cell: AccuracyCell) -> dict[str, object]:
    row: dict[str, object] = {
        "language": cell.language,
        "level": cell.level,
        "n": cell.n,
        "correct": cell.correct,
        "accuracy": cell.accuracy,
        "ci_low": cell.ci.low if cell.ci else None,
        "ci_high": cell.ci.high if cell.ci else None,
        "strict_scored": cell.strict_scored,
        "strict_correct": cell.strict_correct,
        "strict_accuracy": cell.strict_accuracy,
        "strict_ci_low": cell.strict_ci.low if cell.strict_ci else None,
        "strict_ci_high": cell.strict_ci.high if cell.strict_ci else None,
        "unanswered": cell.unanswered,
        "unanswered_rate": cell.unanswered_rate,
        "failed": cell.failed,
        "failed_samples": cell.failed_samples,
    }
    vote = cell.vote
    if vote is not None:
        row |= {
            "vote_samples": vote.samples,
            "vote_correct": vote.correct,
            "vote_accuracy": vote.accuracy,
            "vote_ci_low": vote.ci.low,
            "vote_ci_high": vote.ci.high,
            "vote_unanswered": vote.unanswered,
            "vote_unanswered_rate": vote.unanswered_rate,
            "mean_sample_accuracy": vote.mean_sample_accuracy,
            "mean_sample_ci_low": vote.mean_sample_ci.low,
            "mean_sample_ci_high": vote.mean_sample_ci.high,
        }
    return row


def to_csv(table: AccuracyTable) -> str:
    """One row per language × level, every number unrounded; empty field = no value."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for cell in table.cells:
        writer.writerow(_csv_row(cell))
    return buffer.getvalue()


def _markdown_grid(
    table: AccuracyTable, title: str, text: Callable[[AccuracyCell], str]
) -> list[str]:
    lines = [
        f"**{title}**",
        "",
        "| Language | " + " | ".join(table.levels) + " |",
        "|---|" + "---:|" * len(table.levels),
    ]
    for language in table.languages:
        cells = [table.cell(language, level) for level in table.levels]
        lines.append(f"| {language} | " + " | ".join(text(c) for c in cells) + " |")
    return [*lines, ""]


def _markdown_counts(cell: AccuracyCell) -> str:
    if cell.n == 0:
        return "—"
    return f"{cell.n} · {_pct(cell.unanswered_rate)} · {cell.failed_samples}"


def _markdown_strict(cell: AccuracyCell) -> str:
    if not cell.strict_scored:
        return "—"
    text = _pct_ci(cell.strict_accuracy, cell.strict_ci)
    return text if cell.strict_scored == cell.n else f"{text} (of {cell.strict_scored})"


def _markdown_vote(cell: AccuracyCell) -> str:
    if cell.vote is None:
        return "—"
    return _pct_ci(cell.vote.accuracy, cell.vote.ci)


def _markdown_mean(cell: AccuracyCell) -> str:
    if cell.vote is None:
        return "—"
    return _pct_ci(cell.vote.mean_sample_accuracy, cell.vote.mean_sample_ci)


def to_markdown(table: AccuracyTable) -> str:
    """Markdown grids (languages down, levels across): accuracy, then counts, then votes."""
    level = round(100 * table.confidence)
    lines = _markdown_grid(
        table, f"Accuracy, first sample [{level}% CI]", lambda c: _pct_ci(c.accuracy, c.ci)
    )
    if any(c.strict_scored for c in table.cells):
        lines += _markdown_grid(
            table, f"Strict accuracy, explicit markers only [{level}% CI]", _markdown_strict
        )
    lines += _markdown_grid(table, "Items · unanswered · failed answers", _markdown_counts)
    if table.samples > 1:
        lines += _markdown_grid(table, "Majority-vote accuracy [CI]", _markdown_vote)
        lines += _markdown_grid(table, "Mean per-sample accuracy [CI]", _markdown_mean)
    lines.append(f"_{_note(table)}_")
    return "\n".join(lines) + "\n"
