"""The scoring stage: a stored run's MCQ answers → McqScore rows in the store. (`scoring/` stays
pure arithmetic with no store; this module reads and writes one.)

Answers are read a page at a time in key order (item, sample), each page scored and written in
one transaction, so memory does not grow with the run and an interrupted `score` keeps every
page it wrote. Answers already scored by this scorer are skipped in SQL, so a rerun scores only
what is missing (and answers that had failed, which may have been retried since). Each item's
record is read and parsed once per page, not once per sample.

With several workers, worker processes extract the letters of pages while this process alone
reads the store and writes the scores, page by page in key order: the store ends up with the
same rows as with one worker, and an interrupt (Ctrl-C) stops after the pages already written.
Workers are forked only from a process that runs no other thread (`_start_method`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from typing import Any, NamedTuple, NoReturn

from pydantic import BaseModel, ConfigDict

from medjudge.errors import ConfigError, MedjudgeError, StoreError
from medjudge.records import Item
from medjudge.scoring.mcq import answer_key, extract_answer
from medjudge.store import Store
from medjudge.store.stream_queries import McqAnswerRow

__all__ = ["MAX_WORKERS", "MCQ_SCORER", "PAGE_SIZE", "McqRunSummary", "default_workers",
           "score_mcq_run"]

#: Recorded beside every score, so a later extractor change is visible in the store.
#: v2: rule families in choice_markers/option_match; strict extraction stored beside it.
MCQ_SCORER = "mcq-extract-v2"
#: Answers read, scored and written per transaction.
PAGE_SIZE = 10_000
#: The most worker processes `default_workers` picks.
MAX_WORKERS = 8


class McqRunSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    scored: int
    correct: int
    #: Answers whose strict letter (explicit markers only) is correct.
    strict_correct: int
    unanswered: int
    #: Answers with no strict letter (no explicit marker, or none at all).
    strict_unanswered: int
    failed_answers: int


class _Page(NamedTuple):
    """Answers to score and the records (JSON) of their MCQ items; other answers are skipped."""

    records: dict[str, str]
    answers: list[McqAnswerRow]


class _Scored(NamedTuple):
    """A page's score rows in key order (the columns of `Store.save_mcq_score_page`), or the
    item whose answer key is not one of its options (the parent raises its DatasetError)."""

    rows: list[tuple[Any, ...]]
    bad_item: str | None


def default_workers() -> int:
    """The CPUs this process may use, at most `MAX_WORKERS`."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, usable))


def _columns(page: _Page) -> tuple[dict[str, str], tuple[Sequence[Any], ...]]:
    """The page as the arguments of `_score_page`: its answers as four columns of plain
    values, which pass to a worker process several times faster than named tuples."""
    columns = tuple(zip(*page.answers, strict=True)) if page.answers else ((), (), (), ())
    return page.records, columns


def _score_page(records: Mapping[str, str], columns: tuple[Sequence[Any], ...]) -> _Scored:
    """Extract and score one page (in a worker process, or here with one worker): its
    answers' item ids, samples, statuses and texts, and their MCQ items' records."""
    items: dict[str, tuple[Item, str]] = {}
    rows: list[tuple[Any, ...]] = []
    for item_id, sample, status, text in zip(*columns, strict=True):
        record = records.get(item_id)
        if record is None:  # an open item's answer
            continue
        if (known := items.get(item_id)) is None:
            item = Item.model_validate_json(record)
            try:
                known = items[item_id] = (item, answer_key(item))
            except MedjudgeError:
                return _Scored([], item_id)
        item, key = known
        found, strict = extract_answer(status, text, item.options)
        rows.append((
            item_id, sample, found.choice, found.rule, int(found.choice == key),
            strict.choice, strict.rule, int(strict.choice == key),
        ))
    return _Scored(rows, None)


def _pages(store: Store, run_id: str, dataset: str, page_size: int) -> Iterator[_Page]:
    after: tuple[str, int] = ("", -1)
    while answers := store.mcq_answers_to_score(
        run_id, dataset, MCQ_SCORER, after=after, limit=page_size
    ):
        records = store.mcq_item_records(dataset, answers[0].item_id, answers[-1].item_id)
        yield _Page(records, answers)
        after = (answers[-1].item_id, answers[-1].sample)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which stops after the pages it wrote."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_method() -> str:
    """How worker processes start. "fork" only while this process runs no other thread (the
    CLI): the workers start at once with every module imported. With other threads (a
    StoreWriter, an engine, a caller's pool) a fork would copy locks they hold that no thread
    of the child could release, so "forkserver": each worker forks from a clean server
    process and imports this module itself. "spawn" off Linux."""
    if sys.platform != "linux":
        return "spawn"
    return "fork" if threading.active_count() == 1 else "forkserver"


def _in_workers(pages: Iterator[_Page], first: _Page, workers: int) -> Iterator[_Scored]:
    """Pages scored by `workers` processes, yielded in the order they were read."""
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context(_start_method()),
        initializer=_ignore_interrupts,
    ) as pool:
        waiting: deque[Future[_Scored]] = deque([pool.submit(_score_page, *_columns(first))])
        try:
            for page in pages:
                waiting.append(pool.submit(_score_page, *_columns(page)))
                if len(waiting) > 2 * workers:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()
        except BrokenProcessPool as broken:
            raise ConfigError(
                f"a worker process of score ended abruptly ({broken}); the pages scored before "
                "are stored. A script that scores with workers while it runs other threads "
                "must call it under `if __name__ == \"__main__\":` (each worker imports the "
                "script); or score with workers=1"
            ) from broken
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _scored(pages: Iterator[_Page], workers: int) -> Iterator[_Scored]:
    first = next(pages, None)
    if first is None:
        return
    second = next(pages, None)
    if workers == 1 or second is None:  # one page: no processes to start
        yield _score_page(*_columns(first))
        if second is not None:
            yield _score_page(*_columns(second))
            for page in pages:
                yield _score_page(*_columns(page))
        return
    yield from _in_workers(_chain(second, pages), first, workers)


def _chain(head: _Page, rest: Iterator[_Page]) -> Iterator[_Page]:
    yield head
    yield from rest


def score_mcq_run(
    store: Store, run_id: str, *, page_size: int = PAGE_SIZE, workers: int | None = None
) -> McqRunSummary:
    """Score every MCQ answer of a run by exact match on the extracted letter (lenient and
    strict extraction side by side); answers already scored are kept. `workers` processes
    extract the letters (default: `default_workers()`); the scores are the same for any
    number. The totals count every scored answer of the run. Called with workers from a
    process that runs other threads, the workers import the caller's main script (as
    `spawn` does): a script does so under `if __name__ == "__main__":`."""
    if workers is not None and not 1 <= workers <= 256:
        raise ConfigError(f"workers = {workers}: give a number from 1 to 256 (or none for "
                          f"{default_workers()}, the usable CPUs up to {MAX_WORKERS})")
    dataset = store.run_dataset(run_id)
    if dataset is None:
        raise StoreError(f"{store.path}: no run '{run_id}'")
    pages = _pages(store, run_id, dataset, page_size)
    n = default_workers() if workers is None else workers
    with closing(_scored(pages, n)) as scored_pages:  # an error stops the workers at once
        for scored in scored_pages:
            if scored.bad_item is not None:
                _raise_answer_key(store, dataset, scored.bad_item)
            store.save_mcq_score_page(run_id, scored.rows, MCQ_SCORER)
    totals = store.mcq_totals(run_id, dataset)
    return McqRunSummary(run_id=run_id, **totals._asdict())


def _raise_answer_key(store: Store, dataset: str, item_id: str) -> NoReturn:
    """Raise the DatasetError of an item whose answer key is not one of its options."""
    record = store.mcq_item_records(dataset, item_id, item_id)[item_id]
    answer_key(Item.model_validate_json(record))  # raises it
    raise StoreError(f"{store.path}: item {item_id} of the run could not be scored")
