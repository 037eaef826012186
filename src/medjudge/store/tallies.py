"""Rows of the store's per-run tallies (`Store.answer_tallies` …): what `medjudge runs` lists.

Each row is what one SQL statement returns per run (and per judge or rubric), so listing a
store with many runs reads aggregates, never every answer or verdict.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["AnswerTally", "GradingPassRow", "McqTally", "RubricUse", "VerdictTally"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerTally(_Row):
    """A run's stored answers: how many ok and failed, and the tokens they took (None when
    no answer reported its tokens)."""

    run_id: str
    ok: int
    failed: int
    prompt_tokens: int | None
    completion_tokens: int | None


class McqTally(_Row):
    """A run's MCQ scores: how many scored, how many correct (lenient extraction)."""

    run_id: str
    scored: int
    correct: int


class VerdictTally(_Row):
    """One judge's verdicts on a run: scored and unscored, tokens, and the known cost (the sum
    of verdicts whose cost is known; `unpriced` counts the others)."""

    run_id: str
    judge: str
    scored: int
    unscored: int
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float
    unpriced: int


class RubricUse(_Row):
    """A rubric version the verdicts of a run were graded with, and how many."""

    run_id: str
    rubric_id: str
    rubric_version: str
    verdicts: int


class GradingPassRow(_Row):
    """One grading pass (a `grade` call's start for one run and one judge) and its settings,
    as recorded: no secrets (base URLs without user info or query)."""

    pass_id: int
    run_id: str
    judge: str
    settings: dict[str, Any]
    started_at: str
