"""The store's `leases` table: who holds a run stage, taking, refreshing and releasing it
(the methods `Store` has through `LeaseQueries`; `store.lease.RunLease` uses them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from medjudge.store.transaction import Transaction

__all__ = ["LeaseQueries", "LeaseRow"]


class LeaseRow(BaseModel):
    """Who holds a lease on a run stage (a row of the `leases` table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    holder: str
    pid: int
    host: str
    acquired_at: str
    heartbeat_at: str


class LeaseQueries:
    """`Store`'s lease methods (over the store's connection)."""

    _db: sqlite3.Connection

    # -- leases ---------------------------------------------------------------------------------
    def lease(self, name: str) -> LeaseRow | None:
        row = self._db.execute("SELECT * FROM leases WHERE name = ?", (name,)).fetchone()
        return None if row is None else LeaseRow(**dict(row))

    def take_lease(self, mine: LeaseRow, is_stale: Callable[[LeaseRow], bool]) -> LeaseRow | None:
        """Take `mine.name` unless someone else holds it and `is_stale` says they are alive.
        Returns None when taken, else the holder's row. One write transaction: of two
        processes asking at once, exactly one gets it."""
        with Transaction(self._db):
            held = self.lease(mine.name)
            if held is not None and held.holder != mine.holder and not is_stale(held):
                return held
            self._db.execute(
                "INSERT INTO leases (name, holder, pid, host, acquired_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " holder = excluded.holder, pid = excluded.pid, host = excluded.host,"
                " acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at",
                (mine.name, mine.holder, mine.pid, mine.host, mine.acquired_at,
                 mine.heartbeat_at),
            )
        return None

    def heartbeat_lease(self, name: str, holder: str, at: str) -> bool:
        """Refresh our heartbeat; False when the lease is no longer ours (taken over)."""
        with Transaction(self._db):
            cursor = self._db.execute(
                "UPDATE leases SET heartbeat_at = ? WHERE name = ? AND holder = ?",
                (at, name, holder),
            )
        return cursor.rowcount == 1

    def release_lease(self, name: str, holder: str) -> None:
        with Transaction(self._db):
            self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
