"""The spend ledger's queries: the methods `Store` has through `SpendQueries` (rows in
`store.spend_rows`). Writes ignore a request already recorded (its `request_key`), so a
rerun never counts a request twice; reads are aggregates, one SQL statement each."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence

from medjudge.store.spend_rows import SpendEntry, SpendStage, SpendTally
from medjudge.store.transaction import Transaction

__all__ = ["SpendQueries"]

_COLUMNS = tuple(SpendEntry.model_fields)


class SpendQueries:
    """`Store`'s spend-ledger methods (over the store's connection)."""

    _db: sqlite3.Connection

    def record_spend(self, entries: Iterable[SpendEntry]) -> None:
        """Record billed requests in one transaction of their own (requests whose product is
        not stored: a reply re-asked). A request already recorded adds nothing."""
        entries = list(entries)
        if entries:
            with Transaction(self._db):
                self._insert_spend(entries)

    def _insert_spend(self, entries: Iterable[SpendEntry]) -> None:
        """Inside the caller's transaction (the answer's or verdict's own)."""
        rows = [
            tuple(int(v) if isinstance(v, bool) else v for v in (getattr(e, c) for c in _COLUMNS))
            for e in entries
        ]
        if rows:
            self._db.executemany(
                f"INSERT OR IGNORE INTO spend ({', '.join(_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in _COLUMNS)})",
                rows,
            )

    def spend_entries(self, run_id: str | None = None) -> list[SpendEntry]:
        """Every recorded request (of one run), oldest first (backfilled rows included)."""
        rows = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM spend WHERE ? IS NULL OR run_id = ?"
            " ORDER BY spend_id",
            (run_id, run_id),
        )
        return [SpendEntry(**{**dict(row), "batch": bool(row["batch"])}) for row in rows]

    def spend_tallies(self, run_ids: Sequence[str] | None = None) -> list[SpendTally]:
        """The ledger per run, stage (answering first) and model, in the order first spent."""
        where, params = _runs_filter(run_ids)
        rows = self._db.execute(
            "SELECT run_id, stage, model, COUNT(*) AS requests,"
            " SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,"
            " COALESCE(SUM(cost_usd), 0.0) AS cost_usd, SUM(cost_usd IS NULL) AS unpriced,"
            " SUM(batch) AS batch"
            f" FROM spend {where} GROUP BY run_id, stage, model"
            " ORDER BY run_id, stage = 'grade', MIN(spend_id)",
            params,
        )
        return [SpendTally(**dict(row)) for row in rows]

    def spent_usd(
        self,
        stage: SpendStage,
        run_ids: Sequence[str],
        prices: Mapping[str, tuple[float, float] | None],
    ) -> float:
        """USD spent at `stage` on these runs by the models of `prices` (model → USD per
        million input, output tokens, or None): each request's recorded cost, and for a
        request recorded unpriced, its tokens at the model's price now (--max-cost counts
        what was really spent, even before a price was given)."""
        if not run_ids or not prices:
            return 0.0
        where, params = _runs_filter(run_ids)
        models = list(prices)
        rows = self._db.execute(
            "SELECT model, COALESCE(SUM(cost_usd), 0.0) AS known,"
            " COALESCE(SUM(CASE WHEN cost_usd IS NULL THEN prompt_tokens END), 0) AS p,"
            " COALESCE(SUM(CASE WHEN cost_usd IS NULL THEN completion_tokens END), 0) AS c"
            f" FROM spend {where} AND stage = ?"
            f" AND model IN ({', '.join('?' for _ in models)}) GROUP BY model",
            (*params, stage, *models),
        )
        total = 0.0
        for row in rows:
            price = prices[row["model"]]
            total += row["known"]
            if price is not None:
                total += (row["p"] * price[0] + row["c"] * price[1]) / 1e6
        return total


def _runs_filter(run_ids: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if run_ids is None:
        return "WHERE 1", ()
    return f"WHERE run_id IN ({', '.join('?' for _ in run_ids)})", tuple(run_ids)
