"""The store's `batches` and `batch_requests` tables: provider batches written before they
are submitted, their ids as soon as the provider accepts them, their requests' replies when
they end (the methods `Store` has through `BatchQueries`; `models.batch.session` uses them)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from medjudge.records import Completion
from medjudge.store.transaction import Transaction

__all__ = ["BatchQueries", "BatchRequestRow", "BatchRow", "RequestOutcome", "custom_id_for"]

BatchStatus = Literal["submitting", "submitted", "ended", "abandoned"]
RequestStatus = Literal["pending", "replied", "failed", "abandoned"]


class BatchRow(BaseModel):
    """One provider batch as the store knows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_row: int
    provider: str
    model: str
    stage: str
    run_ids: tuple[str, ...]
    tag: str
    batch_id: str | None
    status: BatchStatus
    provider_status: str | None
    structured: bool
    requests: int
    counts: dict[str, int] | None
    reserved_usd: float
    spent_usd: float | None
    malformed: int
    created_at: str
    created_unix: float
    submitted_at: str | None
    finished_at: str | None


class BatchRequestRow(BaseModel):
    """One request of a batch: which job and attempt it is, and what came back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    custom_id: str
    batch_row: int
    job_key: str
    attempt: int
    status: RequestStatus
    completion: Completion | None
    reason: str | None
    retryable: bool
    closed: bool


class RequestOutcome(BaseModel):
    """What an ended batch said about one of its custom ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    custom_id: str
    completion: Completion | None = None
    reason: str | None = None
    retryable: bool = False


def custom_id_for(job_key: str, attempt: int, batch_row: int) -> str:
    """A custom id unique in the store (and within the 64 characters of [A-Za-z0-9_-]
    both providers accept): the job's hash, the attempt, the batch's row."""
    digest = hashlib.sha256(job_key.encode()).hexdigest()[:20]
    return f"mj{digest}-{attempt}-{batch_row}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class BatchQueries:
    """`Store`'s batch methods (over the store's connection)."""

    _db: sqlite3.Connection

    def add_batch_intent(
        self,
        *,
        provider: str,
        model: str,
        stage: str,
        run_ids: Sequence[str],
        tag: str,
        structured: bool,
        jobs: Sequence[tuple[str, int]],
        reserved_usd: float,
        created_unix: float,
    ) -> tuple[int, list[str]]:
        """Write a batch about to be submitted, with a custom id per (job key, attempt), in
        one transaction; returns its row and the custom ids, in the order of `jobs`."""
        with Transaction(self._db):
            cursor = self._db.execute(
                "INSERT INTO batches (provider, model, stage, run_ids, tag, status, structured,"
                " requests, reserved_usd, created_at, created_unix)"
                " VALUES (?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?, ?)",
                (
                    provider,
                    model,
                    stage,
                    json.dumps(list(run_ids)),
                    tag,
                    int(structured),
                    len(jobs),
                    reserved_usd,
                    _now(),
                    created_unix,
                ),
            )
            row = int(cursor.lastrowid or 0)
            ids = [custom_id_for(key, attempt, row) for key, attempt in jobs]
            self._db.executemany(
                "INSERT INTO batch_requests (custom_id, batch_row, job_key, attempt, status)"
                " VALUES (?, ?, ?, ?, 'pending')",
                [(cid, row, key, attempt) for cid, (key, attempt) in zip(ids, jobs, strict=True)],
            )
        return row, ids

    def set_batch_submitted(self, batch_row: int, batch_id: str) -> None:
        with Transaction(self._db):
            self._db.execute(
                "UPDATE batches SET batch_id = ?, status = 'submitted', submitted_at = ?"
                " WHERE batch_row = ?",
                (batch_id, _now(), batch_row),
            )

    def abandon_batch(self, batch_row: int) -> None:
        """A batch the provider never received: its requests are free to be sent again."""
        with Transaction(self._db):
            self._db.execute(
                "UPDATE batches SET status = 'abandoned', finished_at = ? WHERE batch_row = ?",
                (_now(), batch_row),
            )
            self._db.execute(
                "UPDATE batch_requests SET status = 'abandoned', closed = 1 WHERE batch_row = ?",
                (batch_row,),
            )

    def set_batch_polled(
        self, batch_row: int, provider_status: str, counts: dict[str, int]
    ) -> None:
        with Transaction(self._db):
            self._db.execute(
                "UPDATE batches SET provider_status = ?, counts = ? WHERE batch_row = ?",
                (provider_status, json.dumps(counts), batch_row),
            )

    def finish_batch(
        self,
        batch_row: int,
        *,
        provider_status: str,
        counts: dict[str, int],
        outcomes: Iterable[RequestOutcome],
        spent_usd: float,
        malformed: int,
    ) -> None:
        """Record an ended batch and every request's reply or failure, in one transaction.
        Outcomes for custom ids this batch does not hold are ignored."""
        rows = [
            (
                "replied" if o.completion is not None else "failed",
                o.completion.model_dump_json() if o.completion is not None else None,
                o.reason,
                int(o.retryable),
                o.custom_id,
                batch_row,
            )
            for o in outcomes
        ]
        with Transaction(self._db):
            self._db.executemany(
                "UPDATE batch_requests SET status = ?, completion = ?, reason = ?, retryable = ?"
                " WHERE custom_id = ? AND batch_row = ? AND status = 'pending'",
                rows,
            )
            self._db.execute(
                "UPDATE batches SET status = 'ended', provider_status = ?, counts = ?,"
                " spent_usd = ?, malformed = ?, finished_at = ? WHERE batch_row = ?",
                (provider_status, json.dumps(counts), spent_usd, malformed, _now(), batch_row),
            )

    def batches(
        self, *, model: str | None = None, stage: str | None = None, unfinished: bool = False
    ) -> list[BatchRow]:
        rows = self._db.execute(
            "SELECT * FROM batches WHERE (? IS NULL OR model = ?) AND (? IS NULL OR stage = ?)"
            " AND (? = 0 OR status IN ('submitting', 'submitted')) ORDER BY batch_row",
            (model, model, stage, stage, int(unfinished)),
        )
        return [_batch(row) for row in rows]

    def batch(self, batch_row: int) -> BatchRow:
        row = self._db.execute("SELECT * FROM batches WHERE batch_row = ?", (batch_row,)).fetchone()
        return _batch(row)

    def known_batch_ids(self, provider: str) -> frozenset[str]:
        rows = self._db.execute(
            "SELECT batch_id FROM batches WHERE provider = ? AND batch_id IS NOT NULL",
            (provider,),
        )
        return frozenset(row["batch_id"] for row in rows)

    def batch_requests(self, batch_row: int) -> list[BatchRequestRow]:
        rows = self._db.execute(
            "SELECT * FROM batch_requests WHERE batch_row = ? ORDER BY rowid", (batch_row,)
        )
        return [_request(row) for row in rows]

    def open_batch_requests(self, *, model: str, stage: str) -> list[BatchRequestRow]:
        """Requests of this model's batches for this stage that no verdict or answer has been
        made from yet (abandoned ones excluded), oldest first."""
        rows = self._db.execute(
            "SELECT r.* FROM batch_requests r JOIN batches b ON b.batch_row = r.batch_row"
            " WHERE b.model = ? AND b.stage = ? AND r.closed = 0 ORDER BY r.rowid",
            (model, stage),
        )
        return [_request(row) for row in rows]

    def close_batch_requests(self, job_keys: Iterable[str]) -> None:
        """The jobs' verdicts or answers are stored: their requests are history now."""
        keys = [(key,) for key in job_keys]
        with Transaction(self._db):
            self._db.executemany(
                "UPDATE batch_requests SET closed = 1 WHERE job_key = ? AND closed = 0"
                " AND status != 'pending'",
                keys,
            )


def _batch(row: sqlite3.Row) -> BatchRow:
    data = dict(row)
    data["run_ids"] = tuple(json.loads(data["run_ids"]))
    data["counts"] = json.loads(data["counts"]) if data["counts"] else None
    data["structured"] = bool(data["structured"])
    return BatchRow(**data)


def _request(row: sqlite3.Row) -> BatchRequestRow:
    data = dict(row)
    data["completion"] = (
        Completion.model_validate_json(data["completion"]) if data["completion"] else None
    )
    data["retryable"] = bool(data["retryable"])
    data["closed"] = bool(data["closed"])
    return BatchRequestRow(**data)
