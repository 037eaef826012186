"""The review queue: one row per judged answer (run, item, sample), filtered and paged in SQL.

The SQL lives in `medjudge.store.queries`; this module says what the physician asked for
(filters from the URL, the screen mode) and pages the result. Writes go through
`Store.save_audit`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, ValidationError

from medjudge.records import AnswerKey
from medjudge.store.queries import (
    AnswerFilter,
    Progress,
    QueueRow,
    next_in_queue,
    queue_counts,
    queue_rows,
)

__all__ = [
    "REVIEWED_ACTIONS",
    "FilterError",
    "QueueFilters",
    "QueuePage",
    "ScreenMode",
    "next_answer",
    "progress",
    "queue_page",
]

#: Which screen the physician works in: review (verdicts shown) or blind (none shown).
ScreenMode = Literal["review", "blind"]

#: Actions that count as "reviewed by me": in review mode any rating or item flag; in blind
#: mode only a blind rating (that is the rating agreement statistics use).
REVIEWED_ACTIONS: dict[ScreenMode, tuple[str, ...]] = {
    "review": ("agree", "override", "blind_rating", "flag_item"),
    "blind": ("blind_rating",),
}


class FilterError(ValueError):
    """A filter value in the URL that the queue cannot use (the message says which)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueFilters(AnswerFilter):
    """What the physician narrowed the queue to, read from and written to the URL."""

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

    def for_mode(self, mode: ScreenMode) -> QueueFilters:
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


class QueuePage(_Model):
    rows: tuple[QueueRow, ...]
    progress: Progress
    #: Rows that pass every filter (including "not yet reviewed by me").
    matching: int
    page: int
    pages: int


def progress(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
             mode: ScreenMode = "review") -> Progress:
    """n reviewed (by this reviewer) of m judged answers passing the filters."""
    return queue_counts(db, reviewer, filters.for_mode(mode), REVIEWED_ACTIONS[mode])


def queue_page(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
               mode: ScreenMode = "review", *, page: int = 0, page_size: int = 100) -> QueuePage:
    """One page of the filtered queue, with progress. Two queries (counts, then the page's
    rows): cheaper in SQLite than window functions over the whole queue."""
    done = progress(db, reviewer, filters, mode)
    matching = done.total - done.reviewed if filters.unreviewed else done.total
    rows = queue_rows(db, reviewer, filters.for_mode(mode), REVIEWED_ACTIONS[mode],
                      limit=page_size, offset=max(page, 0) * page_size)
    return QueuePage(rows=tuple(rows), progress=done, matching=matching, page=page,
                     pages=max(1, -(-matching // page_size)))


def next_answer(db: sqlite3.Connection, reviewer: str, filters: QueueFilters,
                mode: ScreenMode = "review", *, after: AnswerKey | None = None) -> AnswerKey | None:
    """The answer after `after` in the filtered queue, wrapping round to the start;
    None when no other answer is left."""
    return next_in_queue(db, reviewer, filters.for_mode(mode), REVIEWED_ACTIONS[mode],
                         after=after)
