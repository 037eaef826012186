"""The review queue: one row per judged answer (run, item, sample), filtered and paged in SQL.

Reads go through a connection of our own (`connect`, query-only); writes go through
`Store.save_audit`. The per-answer summary comes from the covering index `verdicts_for_queue`
and the safety-risk filter from `verdicts_by_risk` (migration 4), so a queue page over 10,000
verdicts costs a few tens of milliseconds. JSON is only parsed for the rows on the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medjudge.records import SafetyRisk

__all__ = [
    "REVIEWED_ACTIONS",
    "AnswerKey",
    "Facets",
    "FilterError",
    "Mode",
    "Progress",
    "QueueFilters",
    "QueuePage",
    "QueueRow",
    "connect",
    "facets",
    "next_answer",
    "progress",
    "queue_page",
]

Mode = Literal["review", "blind"]

#: Actions that count as "reviewed by me": in review mode any rating or item flag; in blind
#: mode only a blind rating (that is the rating agreement statistics use).
REVIEWED_ACTIONS: dict[Mode, tuple[str, ...]] = {
    "review": ("agree", "override", "blind_rating", "flag_item"),
    "blind": ("blind_rating",),
}
_RISK_ORDER = {"none": 0, "concern": 1, "serious": 2}


class FilterError(ValueError):
    """A filter value in the URL that the queue cannot use (the message says which)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerKey(_Model):
    run_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    sample: int = Field(0, ge=0)

    def query(self) -> dict[str, str]:
        """URL parameters naming this answer (`run` is taken by the run filter)."""
        return {"run_id": self.run_id, "item_id": self.item_id, "sample": str(self.sample)}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AnswerKey | None:
        """The answer named in URL or form parameters; None when missing or malformed."""
        try:
            sample = int((params.get("sample") or "0").strip())
            return cls(run_id=params.get("run_id") or "", item_id=params.get("item_id") or "",
                       sample=sample)
        except (ValueError, ValidationError):
            return None


class QueueFilters(_Model):
    """What the physician narrowed the queue to. Empty = everything."""

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
    unreviewed: bool = False

    #: Filters that read the judges' verdicts: ignored (and hidden) in blind mode.
    VERDICT_FILTERS: ClassVar[tuple[str, ...]] = (
        "score", "risk", "capped", "disagree", "unscored",
    )

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> QueueFilters:
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = (params.get(name) or "").strip()
            if not raw:
                continue
            if cls.model_fields[name].annotation is bool:
                values[name] = raw.lower() in ("1", "on", "true", "yes")
            else:
                values[name] = raw
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise FilterError(f"queue filter not understood ({problems})") from None

    def for_mode(self, mode: Mode) -> QueueFilters:
        if mode == "review":
            return self
        return self.model_copy(update={n: QueueFilters.model_fields[n].default
                                       for n in self.VERDICT_FILTERS})

    def params(self) -> dict[str, str]:
        """The active filters as URL parameters."""
        out: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is True:
                out[name] = "1"
            elif value not in (None, False):
                out[name] = str(value)
        return out

    def query_string(self, **extra: str) -> str:
        return urlencode({**self.params(), **{k: v for k, v in extra.items() if v}})


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


class QueuePage(_Model):
    rows: tuple[QueueRow, ...]
    progress: Progress
    #: Rows that pass every filter (including "not yet reviewed by me").
    matching: int
    page: int
    pages: int


class Facets(_Model):
    """The values the filters offer."""

    runs: tuple[str, ...]
    categories: tuple[str, ...]
    languages: tuple[str, ...]
    levels: tuple[str, ...]


def connect(path: str | Path) -> sqlite3.Connection:
    """A query-only connection to the store (open one per request; it costs ~0.3 ms)."""
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA query_only = ON")
    return db


def _queue_sql(reviewer: str, filters: QueueFilters, mode: Mode) -> tuple[str, dict[str, Any]]:
    """The CTE `q`: one row per judged answer passing every filter but "unreviewed"."""
    filters = filters.for_mode(mode)
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
    actions = ", ".join(f"'{a}'" for a in REVIEWED_ACTIONS[mode])
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


_ORDER = "ORDER BY run_id, pos, item_id, sample"


def progress(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
             mode: Mode = "review") -> Progress:
    """n reviewed (by this reviewer) of m judged answers passing the filters."""
    cte, params = _queue_sql(reviewer, filters, mode)
    row = db.execute(f"{cte} SELECT COUNT(*), COALESCE(SUM(reviewed), 0) FROM q",
                     params).fetchone()
    return Progress(reviewed=row[1], total=row[0])


def queue_page(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
               mode: Mode = "review", *, page: int = 0, page_size: int = 100) -> QueuePage:
    """One page of the filtered queue, with progress. Two queries (counts, then the page's
    rows): cheaper in SQLite than window functions over the whole queue."""
    done = progress(db, reviewer, filters, mode)
    matching = done.total - done.reviewed if filters.unreviewed else done.total
    cte, params = _queue_sql(reviewer, filters, mode)
    params.update(limit=page_size, offset=max(page, 0) * page_size)
    rows = db.execute(
        f"{cte} SELECT * FROM q WHERE {'reviewed = 0' if filters.unreviewed else '1'}"
        f" {_ORDER} LIMIT :limit OFFSET :offset",
        params,
    ).fetchall()
    return QueuePage(rows=tuple(_with_details(db, [_row(r) for r in rows])), progress=done,
                     matching=matching, page=page, pages=max(1, -(-matching // page_size)))


def next_answer(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
                mode: Mode = "review", *, after: AnswerKey | None = None) -> AnswerKey | None:
    """The answer after `after` in the filtered queue, wrapping round to the start;
    None when no other answer is left."""
    cte, params = _queue_sql(reviewer, filters, mode)
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


def _with_details(db: sqlite3.Connection, rows: Sequence[QueueRow]) -> list[QueueRow]:
    """Item metadata and the highest stated safety risk, parsed for the page's rows only."""
    if not rows:
        return []
    items = ", ".join("(?, ?)" for _ in rows)
    meta = {
        (r[0], r[1]): r[2:]
        for r in db.execute(
            f"WITH k(dataset, item_id) AS (VALUES {items})"
            " SELECT k.dataset, k.item_id, json_extract(it.record, '$.category'),"
            " json_extract(it.record, '$.language'), json_extract(it.record, '$.level'),"
            " json_extract(it.record, '$.turn') FROM k JOIN items it"
            " ON it.dataset_sha256 = k.dataset AND it.item_id = k.item_id",
            [v for r in rows for v in (r.dataset, r.key.item_id)],
        )
    }
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
    out = []
    for row in rows:
        category, language, level, turn = meta.get((row.dataset, row.key.item_id),
                                                   (None, None, None, None))
        out.append(row.model_copy(update={
            "category": category, "language": language, "level": level, "turn": turn,
            "risk": risks.get((row.key.run_id, row.key.item_id, row.key.sample)),
        }))
    return out
