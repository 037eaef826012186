"""The audit page's reads: every SQL statement the queue and the review screen run.

Reads go through a connection of our own (`connect`, query-only); writes go through
`Store.save_audit`. The per-answer summary comes from the covering index `verdicts_for_queue`
and the safety-risk filter from `verdicts_by_risk` (migration 4), so a queue page over 10,000
verdicts costs a few tens of milliseconds. JSON is only parsed for the rows on the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medjudge.records import Answer, AnswerKey, Audit, Item, SafetyRisk, Verdict
from medjudge.store.db import _answer_from_row

__all__ = [
    "AnswerFilter",
    "Facets",
    "Progress",
    "QueueRow",
    "StoredAnswer",
    "audits_by",
    "connect",
    "facets",
    "item_record",
    "items_signature",
    "next_in_queue",
    "queue_counts",
    "queue_rows",
    "request_seen",
    "stored_answer",
    "verdicts_on",
]

_RISK_ORDER = {"none": 0, "concern": 1, "serious": 2}
_ORDER = "ORDER BY run_id, pos, item_id, sample"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerFilter(_Model):
    """Which judged answers the queue holds. Empty = everything."""

    run: str | None = None
    category: str | None = None
    language: str | None = None
    level: str | None = None
    #: Answers with at least one verdict whose final score is this.
    score: int | None = Field(None, ge=1, le=5)
    #: Answers with at least one verdict that states this safety risk.
    risk: SafetyRisk | None = None
    capped: bool = False
    disagree: bool = False
    unscored: bool = False
    #: Only answers this reviewer has not reviewed yet (see `reviewed_actions`).
    unreviewed: bool = False


class QueueRow(_Model):
    key: AnswerKey
    dataset: str
    n_verdicts: int
    n_unscored: int
    lowest: int | None
    highest: int | None
    capped: bool
    reviewed: bool
    category: str | None = None
    language: str | None = None
    level: str | None = None
    turn: int | None = None
    #: The highest safety risk any verdict states (None when none states one).
    risk: SafetyRisk | None = None

    @property
    def disagree(self) -> bool:
        return self.lowest is not None and self.lowest != self.highest


class Progress(_Model):
    reviewed: int
    total: int


class Facets(_Model):
    """The values the filters offer."""

    runs: tuple[str, ...]
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    levels: tuple[str, ...]


class StoredAnswer(_Model):
    """An answer with its run's model and dataset."""

    answer: Answer
    model: str
    dataset: str


def connect(path: str | Path) -> sqlite3.Connection:
    """A query-only connection to the store (open one per request; it costs ~0.3 ms)."""
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA query_only = ON")
    return db


def _queue_sql(reviewer: str, filters: AnswerFilter,
               reviewed_actions: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The CTE `q`: one row per judged answer passing every filter but "unreviewed"."""
    params: dict[str, Any] = {"reviewer": reviewer, **filters.model_dump()}
    aggregates = [
        "COUNT(*) AS n_verdicts", "SUM(status = 'unscored') AS n_unscored",
        "MIN(final_score) AS lowest", "MAX(final_score) AS highest", "MAX(capped) AS capped",
    ]
    where: list[str] = []
    if filters.score is not None:
        aggregates.append("SUM(final_score = :score) AS n_score")
        where.append("v.n_score > 0")
    if filters.risk is not None:
        where.append(
            "(v.run_id, v.item_id, v.sample) IN (SELECT run_id, item_id, sample FROM verdicts"
            " WHERE json_extract(record, '$.output.safety_risk') = :risk)"
        )
    if filters.capped:
        where.append("v.capped = 1")
    if filters.disagree:
        where.append("v.lowest < v.highest")
    if filters.unscored:
        where.append("v.n_unscored > 0")
    for field in ("category", "language", "level"):
        if getattr(filters, field) is not None:
            where.append(f"json_extract(it.record, '$.{field}') = :{field}")
    actions = ", ".join(f"'{a}'" for a in reviewed_actions)
    sql = f"""
        WITH v AS (
            SELECT run_id, item_id, sample, {', '.join(aggregates)}
            FROM verdicts {'WHERE run_id = :run' if filters.run else ''}
            GROUP BY run_id, item_id, sample
        ), q AS (
            SELECT v.*, COALESCE(it.position, 0) AS pos, r.dataset_sha256 AS dataset,
                EXISTS (SELECT 1 FROM audits au WHERE au.reviewer = :reviewer
                        AND au.run_id = v.run_id AND au.item_id = v.item_id
                        AND au.sample = v.sample AND au.action IN ({actions})) AS reviewed
            FROM v JOIN runs r ON r.run_id = v.run_id
            LEFT JOIN items it ON it.dataset_sha256 = r.dataset_sha256 AND it.item_id = v.item_id
            WHERE {' AND '.join(where) or '1'}
        )"""
    return sql, params


def queue_counts(db: sqlite3.Connection, reviewer: str, filters: AnswerFilter,
                 reviewed_actions: Sequence[str]) -> Progress:
    """n reviewed (by this reviewer) of m judged answers passing the filters ("unreviewed"
    aside)."""
    cte, params = _queue_sql(reviewer, filters, reviewed_actions)
    row = db.execute(f"{cte} SELECT COUNT(*), COALESCE(SUM(reviewed), 0) FROM q",
                     params).fetchone()
    return Progress(reviewed=row[1], total=row[0])


def queue_rows(db: sqlite3.Connection, reviewer: str, filters: AnswerFilter,
               reviewed_actions: Sequence[str], *, limit: int, offset: int) -> list[QueueRow]:
    """The rows from `offset` on (at most `limit`), in queue order, with item details."""
    cte, params = _queue_sql(reviewer, filters, reviewed_actions)
    params.update(limit=limit, offset=offset)
    rows = db.execute(
        f"{cte} SELECT * FROM q WHERE {'reviewed = 0' if filters.unreviewed else '1'}"
        f" {_ORDER} LIMIT :limit OFFSET :offset",
        params,
    ).fetchall()
    return _with_details(db, [_row(r) for r in rows])


def next_in_queue(db: sqlite3.Connection, reviewer: str, filters: AnswerFilter,
                  reviewed_actions: Sequence[str], *,
                  after: AnswerKey | None = None) -> AnswerKey | None:
    """The answer after `after` in the filtered queue, wrapping round to the start;
    None when no other answer is left."""
    cte, params = _queue_sql(reviewer, filters, reviewed_actions)
    unreviewed = "reviewed = 0" if filters.unreviewed else "1"
    if after is not None:
        params.update(a_run=after.run_id, a_item=after.item_id, a_sample=after.sample,
                      a_pos=_position(db, after))
        row = db.execute(
            f"{cte} SELECT run_id, item_id, sample FROM q WHERE {unreviewed}"
            " AND (run_id, pos, item_id, sample) > (:a_run, :a_pos, :a_item, :a_sample)"
            f" {_ORDER} LIMIT 1", params,
        ).fetchone()
        if row is None:
            row = db.execute(
                f"{cte} SELECT run_id, item_id, sample FROM q WHERE {unreviewed}"
                " AND NOT (run_id = :a_run AND item_id = :a_item AND sample = :a_sample)"
                f" {_ORDER} LIMIT 1", params,
            ).fetchone()
    else:
        row = db.execute(
            f"{cte} SELECT run_id, item_id, sample FROM q WHERE {unreviewed} {_ORDER} LIMIT 1",
            params,
        ).fetchone()
    if row is None:
        return None
    return AnswerKey(run_id=row[0], item_id=row[1], sample=row[2])


def facets(db: sqlite3.Connection) -> Facets:
    """Runs with verdicts, and the categories, languages and levels of their items."""
    runs = [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY created_at, run_id")]
    values = db.execute(
        "SELECT DISTINCT json_extract(record, '$.category'), json_extract(record, '$.language'),"
        " json_extract(record, '$.level') FROM items"
        " WHERE dataset_sha256 IN (SELECT dataset_sha256 FROM runs)"
    ).fetchall()

    def distinct(column: int) -> tuple[str, ...]:
        return tuple(sorted({str(v[column]) for v in values if v[column] is not None}))

    return Facets(runs=tuple(runs), categories=distinct(0), languages=distinct(1),
                  levels=distinct(2))


def items_signature(db: sqlite3.Connection) -> tuple[int, int]:
    """Changes whenever items or runs are added (items are never updated): a cache key."""
    row = db.execute(
        "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM items), (SELECT COUNT(*) FROM runs)"
    ).fetchone()
    return int(row[0]), int(row[1])


def _position(db: sqlite3.Connection, key: AnswerKey) -> int:
    row = db.execute(
        "SELECT COALESCE(it.position, 0) FROM runs r LEFT JOIN items it"
        " ON it.dataset_sha256 = r.dataset_sha256 AND it.item_id = :item WHERE r.run_id = :run",
        {"run": key.run_id, "item": key.item_id},
    ).fetchone()
    return 0 if row is None else int(row[0])


def _row(row: sqlite3.Row) -> QueueRow:
    return QueueRow(
        key=AnswerKey(run_id=row["run_id"], item_id=row["item_id"], sample=row["sample"]),
        dataset=row["dataset"], n_verdicts=row["n_verdicts"], n_unscored=row["n_unscored"],
        lowest=row["lowest"], highest=row["highest"], capped=bool(row["capped"]),
        reviewed=bool(row["reviewed"]),
    )


def _item_details(db: sqlite3.Connection,
                  rows: Sequence[QueueRow]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(dataset, item_id) → category, language, level, turn, for the page's rows."""
    items = ", ".join("(?, ?)" for _ in rows)
    return {
        (r[0], r[1]): tuple(r[2:])
        for r in db.execute(
            f"WITH k(dataset, item_id) AS (VALUES {items})"
            " SELECT k.dataset, k.item_id, json_extract(it.record, '$.category'),"
            " json_extract(it.record, '$.language'), json_extract(it.record, '$.level'),"
            " json_extract(it.record, '$.turn') FROM k JOIN items it"
            " ON it.dataset_sha256 = k.dataset AND it.item_id = k.item_id",
            [v for r in rows for v in (r.dataset, r.key.item_id)],
        )
    }


def _highest_risks(db: sqlite3.Connection,
                   rows: Sequence[QueueRow]) -> dict[tuple[str, str, int], str]:
    """The highest safety risk any verdict on each of the page's answers states."""
    answers = ", ".join("(?, ?, ?)" for _ in rows)
    risks: dict[tuple[str, str, int], str] = {}
    for found in db.execute(
        f"WITH k(run_id, item_id, sample) AS (VALUES {answers})"
        " SELECT k.run_id, k.item_id, k.sample, json_extract(v.record, '$.output.safety_risk')"
        " FROM k JOIN verdicts v ON v.run_id = k.run_id AND v.item_id = k.item_id"
        " AND v.sample = k.sample",
        [v for r in rows for v in (r.key.run_id, r.key.item_id, r.key.sample)],
    ):
        key, risk = (found[0], found[1], found[2]), found[3]
        if risk in _RISK_ORDER and _RISK_ORDER[risk] >= _RISK_ORDER.get(risks.get(key, ""), -1):
            risks[key] = risk
    return risks


def _with_details(db: sqlite3.Connection, rows: Sequence[QueueRow]) -> list[QueueRow]:
    """Item metadata and the highest stated safety risk, parsed for the page's rows only."""
    if not rows:
        return []
    meta, risks = _item_details(db, rows), _highest_risks(db, rows)
    out = []
    for row in rows:
        category, language, level, turn = meta.get((row.dataset, row.key.item_id),
                                                   (None, None, None, None))
        out.append(row.model_copy(update={
            "category": category, "language": language, "level": level, "turn": turn,
            "risk": risks.get((row.key.run_id, row.key.item_id, row.key.sample)),
        }))
    return out


def _where(key: AnswerKey) -> dict[str, Any]:
    return {"run": key.run_id, "item": key.item_id, "sample": key.sample}


def stored_answer(db: sqlite3.Connection, key: AnswerKey) -> StoredAnswer | None:
    """The answer `key` names, with its run's model and dataset; None when there is none."""
    row = db.execute(
        "SELECT a.*, r.model AS run_model, r.dataset_sha256 AS dataset FROM answers a"
        " JOIN runs r ON r.run_id = a.run_id"
        " WHERE a.run_id = :run AND a.item_id = :item AND a.sample = :sample", _where(key),
    ).fetchone()
    if row is None:
        return None
    return StoredAnswer(answer=_answer_from_row(row), model=row["run_model"],
                        dataset=row["dataset"])


def verdicts_on(db: sqlite3.Connection, key: AnswerKey) -> tuple[Verdict, ...]:
    """Every verdict on one answer, by judge, judge run and rubric version."""
    return tuple(
        Verdict.model_validate_json(v[0])
        for v in db.execute(
            "SELECT record FROM verdicts WHERE run_id = :run AND item_id = :item"
            " AND sample = :sample ORDER BY judge, judge_run, rubric_id, rubric_version",
            _where(key),
        )
    )


def item_record(db: sqlite3.Connection, dataset: str, item_id: str) -> Item | None:
    row = db.execute(
        "SELECT record FROM items WHERE dataset_sha256 = ? AND item_id = ?", (dataset, item_id),
    ).fetchone()
    return None if row is None else Item.model_validate_json(row[0])


def audits_by(db: sqlite3.Connection, key: AnswerKey, reviewer: str) -> tuple[Audit, ...]:
    """This reviewer's audits on one answer, oldest first."""
    return tuple(
        Audit(**{k: a[k] for k in a.keys() if k != "request_id"})  # noqa: SIM118 (a Row)
        for a in db.execute(
            "SELECT * FROM audits WHERE reviewer = :reviewer AND run_id = :run"
            " AND item_id = :item AND sample = :sample ORDER BY audit_id",
            {**_where(key), "reviewer": reviewer},
        )
    )


def request_seen(db: sqlite3.Connection, request_id: str) -> bool:
    """Whether an audit with this form's request id is already stored."""
    return db.execute("SELECT 1 FROM audits WHERE request_id = ?", (request_id,)).fetchone() \
        is not None
