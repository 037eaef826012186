"""Grading passes and per-run tallies (`medjudge runs`): the methods `Store` has through
`TallyQueries`, one aggregate SQL statement each (rows in `store.tallies`)."""

from __future__ import annotations

import json
import sqlite3

from medjudge.store.tallies import (
    AnswerTally,
    GradingPassRow,
    McqTally,
    RubricUse,
    VerdictTally,
)
from medjudge.store.transaction import Transaction

__all__ = ["TallyQueries"]


class TallyQueries:
    """`Store`'s grading-pass and tally methods (over the store's connection)."""

    _db: sqlite3.Connection

    # -- grading passes and per-run tallies (`medjudge runs`) -----------------------------------
    def add_grading_pass(self, run_id: str, judge: str, settings: str, started_at: str) -> int:
        """Record the settings (a JSON object, no secrets) one grading pass starts with."""
        with Transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO grading_passes (run_id, judge, settings, started_at)"
                " VALUES (?, ?, ?, ?)",
                (run_id, judge, settings, started_at),
            )
        return int(cursor.lastrowid or 0)

    def grading_passes(self, run_id: str | None = None) -> list[GradingPassRow]:
        rows = self._db.execute(
            "SELECT * FROM grading_passes WHERE ? IS NULL OR run_id = ? ORDER BY pass_id",
            (run_id, run_id),
        )
        return [
            GradingPassRow(**{**dict(row), "settings": json.loads(row["settings"])})
            for row in rows
        ]

    def answer_tallies(self, run_id: str | None = None) -> list[AnswerTally]:
        rows = self._db.execute(
            "SELECT run_id, SUM(status = 'ok') AS ok, SUM(status = 'failed') AS failed,"
            " SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens"
            " FROM answers WHERE ? IS NULL OR run_id = ? GROUP BY run_id",
            (run_id, run_id),
        )
        return [AnswerTally(**dict(row)) for row in rows]

    def mcq_tallies(self, run_id: str | None = None) -> list[McqTally]:
        rows = self._db.execute(
            "SELECT run_id, COUNT(*) AS scored, SUM(correct) AS correct FROM mcq_scores"
            " WHERE ? IS NULL OR run_id = ? GROUP BY run_id",
            (run_id, run_id),
        )
        return [McqTally(**dict(row)) for row in rows]

    def verdict_tallies(self, run_id: str | None = None) -> list[VerdictTally]:
        rows = self._db.execute(
            "SELECT run_id, judge, SUM(status = 'scored') AS scored,"
            " SUM(status = 'unscored') AS unscored,"
            " SUM(json_extract(record, '$.prompt_tokens')) AS prompt_tokens,"
            " SUM(json_extract(record, '$.completion_tokens')) AS completion_tokens,"
            " COALESCE(SUM(json_extract(record, '$.cost_usd')), 0.0) AS cost_usd,"
            " SUM(json_extract(record, '$.cost_usd') IS NULL) AS unpriced"
            " FROM verdicts WHERE ? IS NULL OR run_id = ? GROUP BY run_id, judge"
            " ORDER BY run_id, MIN(rowid)",
            (run_id, run_id),
        )
        return [VerdictTally(**dict(row)) for row in rows]

    def rubric_uses(self, run_id: str | None = None) -> list[RubricUse]:
        rows = self._db.execute(
            "SELECT run_id, rubric_id, rubric_version, COUNT(*) AS verdicts FROM verdicts"
            " WHERE ? IS NULL OR run_id = ? GROUP BY run_id, rubric_id, rubric_version"
            " ORDER BY run_id, rubric_id, rubric_version",
            (run_id, run_id),
        )
        return [RubricUse(**dict(row)) for row in rows]
