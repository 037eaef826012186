"""The SQLite run store."""

from medjudge.store.db import Store, utc_now

__all__ = ["Store", "utc_now"]
