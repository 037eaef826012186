"""The run store: one SQLite file (WAL), idempotent keys, append-only migrations.

Every write is one short transaction, so a process killed at any moment leaves either the
whole row or nothing, and a rerun finds exactly what is missing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from medjudge.errors import StoreError
from medjudge.records import (
    Answer,
    Audit,
    Item,
    McqScore,
    Message,
    PromptConfig,
    Reviewer,
    Run,
    SamplingConfig,
    Verdict,
)
from medjudge.store.batch_queries import BatchQueries
from medjudge.store.lease_queries import LeaseQueries
from medjudge.store.migrations import MIGRATIONS
from medjudge.store.spend_queries import SpendQueries
from medjudge.store.spend_rows import SpendEntry
from medjudge.store.stream_queries import StreamQueries
from medjudge.store.tally_queries import TallyQueries
from medjudge.store.transaction import Transaction

__all__ = ["AnswerState", "Store", "utc_now"]


class AnswerState(NamedTuple):
    """One stored answer's key and whether it is ok (a row, not a record: a grading reads
    one per answer before anything else)."""

    item_id: str
    sample: int
    ok: bool


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store(LeaseQueries, TallyQueries, BatchQueries, SpendQueries, StreamQueries):
    """A medjudge SQLite store. Open it with `Store(path)`; use it as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        self._db.row_factory = sqlite3.Row
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(
                f"{self.path}: not a medjudge store ({exc}); pass another --store file"
            ) from exc

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this medjudge "
                f"understands ({len(MIGRATIONS)}); upgrade medjudge"
            )
        for number in range(version, len(MIGRATIONS)):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock:
                # read the version again inside the transaction, so the schema is created once.
                if self._db.execute("PRAGMA user_version").fetchone()[0] > number:
                    self._db.execute("COMMIT")
                    continue
                for statement in _split_sql(MIGRATIONS[number]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # -- items and runs ----------------------------------------------------------------------
    def add_items(self, dataset_sha256: str, items: Sequence[Item]) -> None:
        rows = [
            (dataset_sha256, item.item_id, position, item.model_dump_json())
            for position, item in enumerate(items)
        ]
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO items (dataset_sha256, item_id, position, record)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )

    def items(self, dataset_sha256: str) -> list[Item]:
        rows = self._db.execute(
            "SELECT record FROM items WHERE dataset_sha256 = ? ORDER BY position",
            (dataset_sha256,),
        )
        return [Item.model_validate_json(row["record"]) for row in rows]

    def add_run(self, run: Run, dataset_sha256: str) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO runs (run_id, model, benchmark, benchmark_path,"
                " benchmark_sha256, dataset_sha256, samples, sampling, created_at,"
                " medjudge_version, prompt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.model,
                    run.benchmark,
                    run.benchmark_path,
                    run.benchmark_sha256,
                    dataset_sha256,
                    run.samples,
                    run.sampling.model_dump_json(),
                    run.created_at,
                    run.medjudge_version,
                    json.dumps(run.prompt.id_key(), ensure_ascii=False, sort_keys=True),
                ),
            )

    def runs(self) -> list[Run]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY created_at, run_id")
        return [_run_from_row(row) for row in rows]

    def run(self, run_id: str) -> Run:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            known = ", ".join(run.run_id for run in self.runs()) or "none"
            raise StoreError(f"{self.path}: no run '{run_id}' (runs in this store: {known})")
        return _run_from_row(row)

    def run_items(self, run_id: str) -> list[Item]:
        row = self._db.execute(
            "SELECT dataset_sha256 FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no run '{run_id}'")
        return self.items(row["dataset_sha256"])

    # -- answers --------------------------------------------------------------------------------
    def save_answers(
        self, answers: Iterable[Answer], spend: Iterable[SpendEntry] = ()
    ) -> None:
        """Store answers. An 'ok' answer is final; a 'failed' one is replaced by a retry.
        `spend`: the requests that produced them, recorded in the same transaction."""
        rows = [_answer_row(answer) for answer in answers]
        with self._transaction():
            self._insert_spend(spend)
            self._db.executemany(
                "INSERT INTO answers (run_id, item_id, sample, status, text, error, messages,"
                " finish_reason, prompt_tokens, completion_tokens, latency_s, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, item_id, sample) DO UPDATE SET"
                " status = excluded.status, text = excluded.text, error = excluded.error,"
                " messages = excluded.messages, finish_reason = excluded.finish_reason,"
                " prompt_tokens = excluded.prompt_tokens,"
                " completion_tokens = excluded.completion_tokens,"
                " latency_s = excluded.latency_s, created_at = excluded.created_at"
                # Empty "ok" answers stored by older versions are retried like failed ones.
                " WHERE answers.status = 'failed'"
                " OR trim(coalesce(answers.text, ''), ' ' || char(9, 10, 13)) = ''",
                rows,
            )

    def answers(self, run_id: str) -> list[Answer]:
        return list(self.iter_answers(run_id))

    def iter_answers(self, run_id: str) -> Iterator[Answer]:
        """A run's answers in the order stored, each read when asked for (a caller that needs
        only the first few stops reading there)."""
        rows = self._db.execute(
            "SELECT * FROM answers WHERE run_id = ? ORDER BY rowid", (run_id,)
        )
        return (_answer_from_row(row) for row in rows)

    def answer_states(self, run_id: str) -> Iterator[AnswerState]:
        """A run's answers in the order stored, each only its key and whether it is ok (no
        text, no messages): what a grading counts before it reads any answer whole."""
        rows = self._db.execute(
            "SELECT item_id, sample, status = 'ok' FROM answers WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        )
        return (AnswerState(item_id, sample, bool(ok)) for item_id, sample, ok in rows)

    def answers_by_key(
        self, run_id: str, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], Answer]:
        """These answers of a run, read whole, by (item id, sample); a key not stored is not
        in the result. One index look-up per key, however large the run."""
        if not keys:
            return {}
        wanted = ", ".join("(?, ?)" for _ in keys)
        rows = self._db.execute(
            f"WITH wanted (item_id, sample) AS (VALUES {wanted})"
            " SELECT answers.* FROM wanted JOIN answers ON answers.run_id = ?"
            " AND answers.item_id = wanted.item_id AND answers.sample = wanted.sample",
            (*(part for key in keys for part in key), run_id),
        )
        return {(row["item_id"], row["sample"]): _answer_from_row(row) for row in rows}

    def count_answers(self, run_id: str) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT status, COUNT(*) AS n FROM answers WHERE run_id = ? GROUP BY status",
            (run_id,),
        )
        counts = {"ok": 0, "failed": 0}
        counts.update({row["status"]: row["n"] for row in rows})
        return counts

    # -- MCQ scores -------------------------------------------------------------------------
    def mcq_scores(self, run_id: str) -> list[McqScore]:
        """A run's scores in the order stored; strict fields are None for scores stored
        before strict extraction existed (rescore to fill them)."""
        rows = self._db.execute(
            "SELECT * FROM mcq_scores WHERE run_id = ? ORDER BY rowid", (run_id,)
        )
        return [
            McqScore(
                run_id=row["run_id"],
                item_id=row["item_id"],
                sample=row["sample"],
                choice=row["choice"],
                rule=row["rule"],
                correct=bool(row["correct"]),
                strict_choice=row["strict_choice"],
                strict_rule=row["strict_rule"],
            )
            for row in rows
        ]

    # -- verdicts -------------------------------------------------------------------------------
    def save_verdicts(
        self, verdicts: Iterable[Verdict], spend: Iterable[SpendEntry] = ()
    ) -> None:
        """Store verdicts. A scored verdict is final; an unscored one may be replaced by a
        later attempt (only when the caller asked to retry unscored verdicts). `spend`: the
        requests that produced them, recorded in the same transaction."""
        rows = [
            (
                v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id,
                v.rubric_version, v.prompt_hash, v.status, v.judge_score, v.final_score,
                int(v.capped), v.model_dump_json(), v.created_at or utc_now(),
            )
            for v in verdicts
        ]
        with self._transaction():
            self._insert_spend(spend)
            self._db.executemany(
                "INSERT INTO verdicts (run_id, item_id, sample, judge, judge_run, rubric_id,"
                " rubric_version, prompt_hash, status, judge_score, final_score, capped, record,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, item_id, sample, judge, judge_run, rubric_id,"
                " rubric_version) DO UPDATE SET prompt_hash = excluded.prompt_hash,"
                " status = excluded.status, judge_score = excluded.judge_score,"
                " final_score = excluded.final_score, capped = excluded.capped,"
                " record = excluded.record, created_at = excluded.created_at"
                " WHERE verdicts.status = 'unscored'",
                rows,
            )

    def verdicts(self, run_id: str | None = None) -> list[Verdict]:
        if run_id is None:
            rows = self._db.execute("SELECT record FROM verdicts ORDER BY rowid")
        else:
            rows = self._db.execute(
                "SELECT record FROM verdicts WHERE run_id = ? ORDER BY rowid", (run_id,)
            )
        return [Verdict.model_validate_json(row["record"]) for row in rows]

    def verdict_keys(self, *, scored_only: bool) -> set[tuple[str, str, int, str, int, str, str]]:
        """The key of every stored verdict (only scored ones with `scored_only`): run, item,
        sample, judge, judge run, rubric id and version. Read from columns, not records."""
        where = " WHERE status = 'scored'" if scored_only else ""
        rows = self._db.execute(
            "SELECT run_id, item_id, sample, judge, judge_run, rubric_id, rubric_version"
            f" FROM verdicts{where}"
        )
        return {tuple(row) for row in rows}

    def count_unscored(self, run_ids: Sequence[str], judges: Sequence[str], runs: int) -> int:
        """Unscored verdicts of these answer runs by these judges in judge runs 0..runs-1."""
        if not run_ids or not judges:
            return 0
        ids = ", ".join("?" for _ in run_ids)
        names = ", ".join("?" for _ in judges)
        row = self._db.execute(
            f"SELECT COUNT(*) FROM verdicts WHERE run_id IN ({ids}) AND judge IN ({names})"
            " AND judge_run < ? AND status = 'unscored'",
            (*run_ids, *judges, runs),
        ).fetchone()
        return int(row[0])

    # -- reviewers and audits -------------------------------------------------------------
    def add_reviewer(self, name: str, token_hash: str) -> Reviewer:
        reviewer = Reviewer(name=name, created_at=utc_now())
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO reviewers (name, token_hash, created_at) VALUES (?, ?, ?)",
                    (reviewer.name, token_hash, reviewer.created_at),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.path}: a reviewer named '{name}' already exists") from exc
        return reviewer

    def reviewer_for_token_hash(self, token_hash: str) -> Reviewer | None:
        row = self._db.execute(
            "SELECT name, created_at FROM reviewers WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return None if row is None else Reviewer(name=row["name"], created_at=row["created_at"])

    def reviewers(self) -> list[Reviewer]:
        rows = self._db.execute("SELECT name, created_at FROM reviewers ORDER BY name")
        return [Reviewer(name=row["name"], created_at=row["created_at"]) for row in rows]

    def save_audit(self, audit: Audit, *, request_id: str | None = None) -> Audit | None:
        """Append one audit. A repeated `request_id` (a form submitted twice) adds nothing and
        returns None; otherwise the stored audit with its id."""
        fields = audit.model_dump(exclude={"audit_id"})
        columns = [*fields, "request_id"]
        with self._transaction():
            cursor = self._db.execute(
                f"INSERT OR IGNORE INTO audits ({', '.join(columns)})"
                f" VALUES ({', '.join('?' for _ in columns)})",
                [*fields.values(), request_id],
            )
            if cursor.rowcount == 0:
                return None
            return audit.model_copy(update={"audit_id": cursor.lastrowid})

    def audits(self, run_id: str | None = None) -> list[Audit]:
        query = "SELECT * FROM audits" + (" WHERE run_id = ?" if run_id else "")
        rows = self._db.execute(query + " ORDER BY audit_id", (run_id,) if run_id else ())
        return [
            Audit(**{k: row[k] for k in row.keys() if k != "request_id"}) for row in rows
        ]

    # -- helpers --------------------------------------------------------------------------------
    def _transaction(self) -> Transaction:
        return Transaction(self._db)


def _split_sql(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _run_from_row(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"],
        model=row["model"],
        benchmark=row["benchmark"],
        benchmark_path=row["benchmark_path"],
        benchmark_sha256=row["benchmark_sha256"],
        samples=row["samples"],
        sampling=SamplingConfig.model_validate_json(row["sampling"]),
        created_at=row["created_at"],
        medjudge_version=row["medjudge_version"],
        prompt=PromptConfig.model_validate_json(row["prompt"]),
    )


def _answer_row(answer: Answer) -> tuple:
    messages = json.dumps([m.model_dump() for m in answer.messages], ensure_ascii=False)
    return (
        answer.run_id,
        answer.item_id,
        answer.sample,
        answer.status,
        answer.text,
        answer.error,
        messages,
        answer.finish_reason,
        answer.prompt_tokens,
        answer.completion_tokens,
        answer.latency_s,
        answer.created_at or utc_now(),
    )


def _answer_from_row(row: sqlite3.Row) -> Answer:
    return Answer(
        run_id=row["run_id"],
        item_id=row["item_id"],
        sample=row["sample"],
        status=row["status"],
        text=row["text"],
        error=row["error"],
        messages=tuple(Message(**m) for m in json.loads(row["messages"])),
        finish_reason=row["finish_reason"],
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        latency_s=row["latency_s"],
        created_at=row["created_at"],
    )
