"""Reports: MCQ accuracy tables (terminal, JSON, CSV, markdown) and what feeds them."""

from medjudge.report.mcq import (
    ALL_LANGUAGES,
    FAILED_ANSWER_RULE,
    NO_LEVEL,
    TOTAL,
    AccuracyCell,
    AccuracyTable,
    McqResult,
    VoteStats,
    build_accuracy_table,
    level_name,
)
from medjudge.report.mcq_render import render_rich, to_csv, to_json, to_markdown
from medjudge.report.mcq_store import accuracy_table_from_store
from medjudge.report.runs import mcq_results

__all__ = [
    "ALL_LANGUAGES",
    "FAILED_ANSWER_RULE",
    "NO_LEVEL",
    "TOTAL",
    "AccuracyCell",
    "AccuracyTable",
    "McqResult",
    "VoteStats",
    "accuracy_table_from_store",
    "build_accuracy_table",
    "level_name",
    "mcq_results",
    "render_rich",
    "to_csv",
    "to_json",
    "to_markdown",
]
