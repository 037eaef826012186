"""Reads and writes that stay flat as a store grows: the methods `Store` has through
`StreamQueries`, used by the scoring stage (`mcq_scoring`) and the reports (`report.*`).

Scoring reads answers a page at a time by key (run, item, sample), skipping in SQL the ones
already scored by the current scorer, and writes each page in one transaction. Reports read
MCQ scores and verdicts as rows streamed in key order (`fetchmany`), or as aggregates
(GROUP BY), never as one list of records: verdict rows come from the covering index
`verdicts_for_reports` (migration 8), so the JSON records are read only where a field lives
nowhere else (the safety risk a verdict states, an unscored verdict's reason).

Rows are named tuples (`McqScoreRow`, `QuestionRow`, ...): one per streamed row, where a
pydantic record each would cost more than the work done on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from medjudge.store.transaction import Transaction

__all__ = [
    "ItemGroupRow",
    "McqAnswerRow",
    "McqScoreRow",
    "McqTotals",
    "QuestionGroupRow",
    "RubricCount",
    "StreamQueries",
    "VerdictScoreRow",
    "VerdictTotals",
]

#: Rows fetched from SQLite at a time when streaming.
_BATCH = 5000
#: Rules whose score is redone at every `score`: the answer may since have been retried.
_RETRIED_RULES = ("failed-answer", "empty")
#: A rubric version: (rubric id, version).
RubricVersion = tuple[str, str]


class McqAnswerRow(NamedTuple):
    """An answer to score (its item's record comes from `mcq_item_records`)."""

    item_id: str
    sample: int
    status: str
    text: str | None


class McqScoreRow(NamedTuple):
    """A stored MCQ score with what the report needs of its item."""

    item_id: str
    sample: int
    choice: str | None
    rule: str
    correct: int
    strict_choice: str | None
    strict_rule: str | None
    #: None for scores stored before migration 8 (and for scores without a strict rule).
    strict_correct: int | None
    language: str
    level: str | None
    answer_key: str | None
    benchmark: str


class McqTotals(NamedTuple):
    scored: int
    correct: int
    strict_correct: int
    unanswered: int
    strict_unanswered: int
    failed_answers: int


class RubricCount(NamedTuple):
    rubric_id: str
    rubric_version: str
    verdicts: int


class QuestionGroupRow(NamedTuple):
    """Answers a judged report counts, grouped by what the report needs of them: their
    item's fields (None: not an item of the run), their verdicts of the chosen rubric
    versions (how many, how many scored, the sum of the scored ones' final scores), and
    whether the answer failed (None: no answer stored)."""

    kind: str | None
    language: str | None
    level: str | None
    category: str | None
    n_verdicts: int
    n_scored: int
    score_sum: int
    answer_failed: int | None
    questions: int
    #: One of the answers' item ids, for error messages.
    some_item_id: str


class VerdictScoreRow(NamedTuple):
    run_id: str
    item_id: str
    sample: int
    judge: str
    judge_run: int
    status: str
    final_score: int | None
    rubric_id: str
    rubric_version: str


class ItemGroupRow(NamedTuple):
    """Distinct fields of a dataset's open items, and the first position they occur at."""

    language: str | None
    level: str | None
    category: str | None
    first_position: int


class VerdictTotals(NamedTuple):
    verdicts: int
    unscored: int
    capped: int
    #: Scored verdicts that state no safety risk (text replies without one).
    safety_not_stated: int


def _chosen(versions: Sequence[RubricVersion], table: str = "") -> tuple[str, list[str]]:
    """A SQL condition on (rubric_id, rubric_version) (of `table`, an alias with its dot)
    and its parameters."""
    if not versions:
        return "0", []
    values = ", ".join("(?, ?)" for _ in versions)
    return (f"({table}rubric_id, {table}rubric_version) IN (VALUES {values})",
            [v for pair in versions for v in pair])


class StreamQueries:
    """`Store`'s streaming and aggregate reads (over the store's connection)."""

    _db: sqlite3.Connection

    def _stream(self, sql: str, params: Sequence[Any] | dict[str, Any],
                make: Any) -> Iterator[Any]:
        cursor = self._db.cursor()
        cursor.row_factory = None  # plain tuples: the named tuple is made here
        cursor.execute(sql, params)
        try:
            while rows := cursor.fetchmany(_BATCH):
                yield from map(make, rows)
        finally:
            cursor.close()

    def run_dataset(self, run_id: str) -> str | None:
        row = self._db.execute(
            "SELECT dataset_sha256 FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    # -- MCQ scoring ----------------------------------------------------------------------------
    def mcq_answers_to_score(
        self, run_id: str, dataset: str, scorer: str, *, after: tuple[str, int], limit: int
    ) -> list[McqAnswerRow]:
        """The next `limit` answers to items of the run's dataset after key `after` (item id,
        sample) that need a score: none yet, one by another scorer or without strict
        correctness, or one whose answer had failed or was empty (it may have been retried
        since). Items of every kind: `mcq_item_records` says which of them are MCQ (read once
        per item, not once per answer)."""
        cursor = self._db.cursor()
        cursor.row_factory = None  # plain tuples: a million answers are read this way
        rows = cursor.execute(
            "SELECT a.item_id, a.sample, a.status, a.text FROM answers a"
            " JOIN items i ON i.dataset_sha256 = :dataset AND i.item_id = a.item_id"
            " WHERE a.run_id = :run AND (a.item_id, a.sample) > (:item, :sample)"
            " AND NOT EXISTS (SELECT 1 FROM mcq_scores s WHERE s.run_id = a.run_id"
            " AND s.item_id = a.item_id AND s.sample = a.sample AND s.scorer = :scorer"
            f" AND s.strict_correct IS NOT NULL AND s.rule NOT IN {_RETRIED_RULES!r})"
            " ORDER BY a.item_id, a.sample LIMIT :limit",
            {"run": run_id, "dataset": dataset, "scorer": scorer, "item": after[0],
             "sample": after[1], "limit": limit},
        ).fetchall()
        return [McqAnswerRow._make(row) for row in rows]

    def mcq_item_records(self, dataset: str, first: str, last: str) -> dict[str, str]:
        """The stored records (JSON) of the dataset's MCQ items with ids first..last."""
        rows = self._db.execute(
            "SELECT item_id, record FROM items WHERE dataset_sha256 = ?"
            " AND item_id BETWEEN ? AND ? AND json_extract(record, '$.kind') = 'mcq'",
            (dataset, first, last),
        ).fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def save_mcq_score_page(self, run_id: str, rows: Sequence[tuple[Any, ...]],
                            scorer: str) -> None:
        """Store one page of scores in one transaction: (item_id, sample, choice, rule,
        correct, strict_choice, strict_rule, strict_correct) each; replaces earlier scores."""
        with Transaction(self._db):
            self._db.executemany(
                "INSERT INTO mcq_scores (run_id, item_id, sample, choice, rule, correct,"
                " strict_choice, strict_rule, strict_correct, scorer)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, item_id, sample) DO UPDATE SET choice = excluded.choice,"
                " rule = excluded.rule, correct = excluded.correct,"
                " strict_choice = excluded.strict_choice, strict_rule = excluded.strict_rule,"
                " strict_correct = excluded.strict_correct, scorer = excluded.scorer",
                [(run_id, *row, scorer) for row in rows],
            )

    def mcq_totals(self, run_id: str, dataset: str) -> McqTotals:
        """Counts over the stored scores of the run's answers to MCQ items."""
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(s.correct), 0), COALESCE(SUM(s.strict_correct), 0),"
            " COALESCE(SUM(s.choice IS NULL), 0), COALESCE(SUM(s.strict_choice IS NULL), 0),"
            " COALESCE(SUM(a.status = 'failed'), 0)"
            " FROM answers a JOIN mcq_scores s ON s.run_id = a.run_id"
            " AND s.item_id = a.item_id AND s.sample = a.sample"
            " JOIN items i ON i.dataset_sha256 = :dataset AND i.item_id = a.item_id"
            " WHERE a.run_id = :run AND json_extract(i.record, '$.kind') = 'mcq'",
            {"run": run_id, "dataset": dataset},
        ).fetchone()
        return McqTotals(*(int(v) for v in row))

    # -- MCQ report -----------------------------------------------------------------------------
    def mcq_score_rows(self, run_id: str, dataset: str) -> Iterator[McqScoreRow]:
        """The run's scores of MCQ items in the run's dataset, by item id then sample."""
        return self._stream(
            # the item fields are read from each item's record once, not once per sample
            "WITH i AS MATERIALIZED (SELECT item_id, json_extract(record, '$.language') AS"
            " language, json_extract(record, '$.level') AS level,"
            " json_extract(record, '$.answer_key') AS answer_key,"
            " json_extract(record, '$.benchmark') AS benchmark FROM items"
            " WHERE dataset_sha256 = :dataset AND json_extract(record, '$.kind') = 'mcq')"
            " SELECT s.item_id, s.sample, s.choice, s.rule, s.correct, s.strict_choice,"
            " s.strict_rule, s.strict_correct, i.language, i.level, i.answer_key, i.benchmark"
            " FROM mcq_scores s CROSS JOIN i ON i.item_id = s.item_id"  # scores in key order
            " WHERE s.run_id = :run ORDER BY s.item_id, s.sample",
            {"run": run_id, "dataset": dataset},
            McqScoreRow._make,
        )

    # -- verdicts -------------------------------------------------------------------------------
    def rubric_counts(self, run_id: str) -> list[RubricCount]:
        """Verdicts per rubric id and version, in the order each was first stored."""
        rows = self._db.execute(
            "SELECT rubric_id, rubric_version, COUNT(*) FROM verdicts WHERE run_id = ?"
            " GROUP BY rubric_id, rubric_version ORDER BY MIN(rowid)", (run_id,),
        ).fetchall()
        return [RubricCount(*tuple(row)) for row in rows]

    def verdict_judges(self, run_id: str, versions: Sequence[RubricVersion], *,
                       judge_run: int | None = None) -> list[str]:
        """Judges with verdicts of these rubric versions (of one judge run), in the order
        first stored."""
        where, params = _chosen(versions)
        rows = self._db.execute(
            f"SELECT judge FROM verdicts WHERE run_id = ? AND {where}"
            " AND (? IS NULL OR judge_run = ?) GROUP BY judge ORDER BY MIN(rowid)",
            (run_id, *params, judge_run, judge_run),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def judge_run_counts(self, run_id: str, versions: Sequence[RubricVersion]) -> dict[str, int]:
        """Judge -> how many distinct judge runs its verdicts of these versions come from."""
        where, params = _chosen(versions)
        rows = self._db.execute(
            f"SELECT judge, COUNT(DISTINCT judge_run) FROM verdicts WHERE run_id = ? AND {where}"
            " GROUP BY judge", (run_id, *params),
        ).fetchall()
        return {str(row[0]): int(row[1]) for row in rows}

    def verdict_totals(self, run_id: str, versions: Sequence[RubricVersion]) -> VerdictTotals:
        where, params = _chosen(versions)
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 'unscored'), 0), COALESCE(SUM(capped), 0)"
            f" FROM verdicts WHERE run_id = ? AND {where}", (run_id, *params),
        ).fetchone()
        # A verdict states its risk inside `output`, which every verdict with an output has:
        # no risk <=> no output. Read from the expression index `verdicts_by_risk`.
        silent = self._db.execute(
            "SELECT COUNT(*) FROM verdicts"
            " WHERE json_extract(record, '$.output.safety_risk') IS NULL AND run_id = ?"
            f" AND status = 'scored' AND {where}", (run_id, *params),
        ).fetchone()
        return VerdictTotals(int(row[0]), int(row[1]), int(row[2]), int(silent[0]))

    def open_item_groups(self, dataset: str) -> list[ItemGroupRow]:
        """The distinct (language, level, category) of the dataset's open items."""
        rows = self._db.execute(
            "SELECT json_extract(record, '$.language'), json_extract(record, '$.level'),"
            " json_extract(record, '$.category'), MIN(position) FROM items"
            " WHERE dataset_sha256 = ? AND json_extract(record, '$.kind') = 'open'"
            " GROUP BY 1, 2, 3", (dataset,),
        ).fetchall()
        return [ItemGroupRow(*tuple(row)) for row in rows]

    def question_groups(
        self, run_id: str, dataset: str, versions: Sequence[RubricVersion]
    ) -> list[QuestionGroupRow]:
        """Every answer of the run and every answer a verdict of these versions names, with
        its verdicts counted and summed, grouped by its item's fields and those counts."""
        where, params = _chosen(versions)
        rows = self._db.execute(
            "WITH v AS (SELECT item_id, sample, COUNT(*) AS n, SUM(status = 'scored') AS m,"
            " COALESCE(SUM(final_score), 0) AS s FROM verdicts"
            f" WHERE run_id = ? AND {where} GROUP BY item_id, sample),"
            " q AS (SELECT item_id, sample, MAX(failed) AS failed, SUM(n) AS n, SUM(m) AS m,"
            " SUM(s) AS s FROM (SELECT item_id, sample, status != 'ok' AS failed, 0 AS n,"
            " 0 AS m, 0 AS s FROM answers WHERE run_id = ? UNION ALL"
            " SELECT item_id, sample, NULL, n, m, s FROM v) GROUP BY item_id, sample)"
            " SELECT json_extract(i.record, '$.kind'), json_extract(i.record, '$.language'),"
            " json_extract(i.record, '$.level'), json_extract(i.record, '$.category'),"
            " q.n, q.m, q.s, q.failed, COUNT(*), MIN(q.item_id)"
            " FROM q LEFT JOIN items i ON i.dataset_sha256 = ? AND i.item_id = q.item_id"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
            (run_id, *params, run_id, dataset),
        ).fetchall()
        return [QuestionGroupRow(*tuple(row)) for row in rows]

    def verdict_score_rows(
        self, run_id: str, versions: Sequence[RubricVersion], *, judge: str | None = None,
        judge_run: int | None = None,
    ) -> Iterator[VerdictScoreRow]:
        """Key, judge, judge run, status and final score of each verdict of these versions
        (of one judge, of one judge run), in no particular order (read from the covering
        index `verdicts_for_reports`, without sorting)."""
        where, params = _chosen(versions)
        return self._stream(
            "SELECT run_id, item_id, sample, judge, judge_run, status, final_score, rubric_id,"
            " rubric_version FROM verdicts"
            f" WHERE run_id = ? AND {where} AND (? IS NULL OR judge = ?)"
            " AND (? IS NULL OR judge_run = ?)",
            (run_id, *params, judge, judge, judge_run, judge_run),
            VerdictScoreRow._make,
        )

    def group_score_counts(
        self, run_id: str, dataset: str, versions: Sequence[RubricVersion]
    ) -> list[tuple[str | None, str | None, str | None, str, int | None, int, int]]:
        """(language, level, category, status, final score, capped, verdicts) per distinct
        item fields, status, score and cap: what the HTML report's plots count."""
        where, params = _chosen(versions, "v.")
        rows = self._db.execute(
            "SELECT json_extract(i.record, '$.language'), json_extract(i.record, '$.level'),"
            " json_extract(i.record, '$.category'), v.status, v.final_score, v.capped, COUNT(*)"
            " FROM verdicts v JOIN items i ON i.dataset_sha256 = ? AND i.item_id = v.item_id"
            f" WHERE v.run_id = ? AND {where}"
            " GROUP BY 1, 2, 3, 4, 5, 6",
            (dataset, run_id, *params),
        ).fetchall()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def group_silent_counts(
        self, run_id: str, dataset: str, versions: Sequence[RubricVersion]
    ) -> list[tuple[str | None, str | None, str | None, int]]:
        """(language, level, category, scored verdicts stating no safety risk)."""
        where, params = _chosen(versions, "v.")
        rows = self._db.execute(
            "SELECT json_extract(i.record, '$.language'), json_extract(i.record, '$.level'),"
            " json_extract(i.record, '$.category'), COUNT(*)"
            " FROM verdicts v JOIN items i ON i.dataset_sha256 = ? AND i.item_id = v.item_id"
            " WHERE json_extract(v.record, '$.output.safety_risk') IS NULL AND v.run_id = ?"
            f" AND v.status = 'scored' AND {where}"
            " GROUP BY 1, 2, 3",
            (dataset, run_id, *params),
        ).fetchall()
        return [tuple(row) for row in rows]  # type: ignore[misc]

    def unscored_reasons(
        self, run_id: str, versions: Sequence[RubricVersion]
    ) -> list[tuple[str | None, int]]:
        """(reason, verdicts) of the unscored verdicts, in the order each reason first
        appears."""
        where, params = _chosen(versions)
        rows = self._db.execute(
            "SELECT json_extract(record, '$.unscored_reason'), COUNT(*) FROM verdicts"
            f" WHERE run_id = ? AND status = 'unscored' AND {where}"
            " GROUP BY 1 ORDER BY MIN(rowid)", (run_id, *params),
        ).fetchall()
        return [(row[0], int(row[1])) for row in rows]

    def audit_count(self, run_ids: Sequence[str]) -> int:
        marks = ", ".join("?" for _ in run_ids)
        row = self._db.execute(
            f"SELECT COUNT(*) FROM audits WHERE run_id IN ({marks})", tuple(run_ids)
        ).fetchone()
        return int(row[0])
