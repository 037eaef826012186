"""One model's provider batches for one stage, kept in the store: written before they are
submitted, adopted or abandoned after a crash, polled until they end, their results recorded
per custom id. What to ask and what a reply means is the caller's (grading, answering)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from medjudge.models.batch.base import (
    BatchLine,
    BatchProgressSink,
    BatchProvider,
    BatchResults,
    BatchState,
)
from medjudge.models.batch.chunks import chunk_lines
from medjudge.records import ChatRequest, Completion
from medjudge.store import Store
from medjudge.store.batch_queries import BatchRow, RequestOutcome

__all__ = ["BatchCounter", "BatchSession", "Submission"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A request to put in a batch: which job (its key in the store) and which attempt."""

    job_key: str
    attempt: int
    request: ChatRequest


@dataclass
class BatchCounter:
    """Batches submitted (or resumed) and ended, across every session of one command."""

    progress: object | None = None
    submitted: int = 0
    ended: int = 0

    def update(self, *, submitted: int = 0, ended: int = 0) -> None:
        self.submitted += submitted
        self.ended += ended
        if isinstance(self.progress, BatchProgressSink):
            self.progress.batches(self.submitted, self.ended)


@dataclass
class BatchSession:
    store: Store
    provider: BatchProvider
    stage: str
    run_ids: tuple[str, ...]
    structured: bool
    poll_interval_s: float
    #: USD one completion cost (at batch price); None when unknown.
    cost: Callable[[Completion], float | None]
    counter: BatchCounter = field(default_factory=BatchCounter)

    # -- after a crash ---------------------------------------------------------------------
    async def recover(self) -> None:
        """Batches written but never known to be accepted: adopt the provider's batch with
        their tag (the process died after submitting), or free their requests (it died
        before). Never resubmits a request the provider may already hold."""
        for row in self.store.batches(model=self.provider.name, stage=self.stage, unfinished=True):
            # Only this command's own (same runs, so under the same lease): another
            # command's intent may be on its way to the provider right now.
            if row.status != "submitting" or sorted(row.run_ids) != sorted(self.run_ids):
                continue
            found = await self.provider.find_orphan(
                row.tag,
                created_after=row.created_unix,
                requests=row.requests,
                known=self.store.known_batch_ids(self.provider.provider),
            )
            if found is None:
                logger.info(
                    "batch %s was never accepted by %s; its requests are free",
                    row.tag,
                    self.provider.provider,
                )
                self.store.abandon_batch(row.batch_row)
            else:
                logger.info(
                    "adopted %s batch %s (submitted, never stored)", self.provider.provider, found
                )
                self.store.set_batch_submitted(row.batch_row, found)
        resumed = [row for row in self.live() if sorted(row.run_ids) == sorted(self.run_ids)]
        if resumed:  # submitted by an earlier run of this command, polled by this one
            self.counter.update(submitted=len(resumed))

    def live(self) -> list[BatchRow]:
        return [
            row
            for row in self.store.batches(
                model=self.provider.name, stage=self.stage, unfinished=True
            )
            if row.status == "submitted"
        ]

    # -- submitting ------------------------------------------------------------------------
    def chunks(self, subs: Sequence[Submission]) -> list[list[Submission]]:
        """`subs` cut into batches within the provider's limits (sizes measured as sent)."""
        probe = [
            BatchLine(custom_id=f"mj{'0' * 20}-{s.attempt}-{10**9}", request=s.request)
            for s in subs
        ]
        by_line = {id(line): sub for line, sub in zip(probe, subs, strict=True)}
        cut = chunk_lines(probe, self.provider.limits, lambda l: len(self.provider.encode(l)))
        return [[by_line[id(line)] for line in chunk] for chunk in cut]

    async def submit(self, chunk: Sequence[Submission], *, reserved_usd: float) -> BatchRow:
        """Write the batch and its custom ids, submit it, store its provider id."""
        tag = uuid.uuid4().hex
        row, ids = self.store.add_batch_intent(
            provider=self.provider.provider,
            model=self.provider.name,
            stage=self.stage,
            run_ids=self.run_ids,
            tag=tag,
            structured=self.structured,
            jobs=[(s.job_key, s.attempt) for s in chunk],
            reserved_usd=reserved_usd,
            created_unix=time.time(),
        )
        lines = [
            BatchLine(custom_id=cid, request=s.request) for cid, s in zip(ids, chunk, strict=True)
        ]
        batch_id = await self.provider.submit(lines, tag)
        self.store.set_batch_submitted(row, batch_id)
        self.counter.update(submitted=1)
        return self.store.batch(row)

    # -- waiting ---------------------------------------------------------------------------
    async def wait(self, rows: Sequence[BatchRow]) -> list[BatchRow]:
        """Poll `rows` until at least one has ended; record each ended batch's results.
        Returns the ended batches, as stored now."""
        while True:
            ended: list[int] = []
            for row in rows:
                assert row.batch_id is not None
                state = await self.provider.poll(row.batch_id)
                if state.ended:
                    results = await self._results(state)
                    self._finish(row, state, results)
                    ended.append(row.batch_row)
                elif state.status != row.provider_status or state.counts != row.counts:
                    self.store.set_batch_polled(row.batch_row, state.status, state.counts)
            if ended:
                self.counter.update(ended=len(ended))
                return [self.store.batch(batch_row) for batch_row in ended]
            await asyncio.sleep(self.poll_interval_s)

    async def _results(self, state: BatchState) -> BatchResults:
        return await self.provider.results(state, structured=self.structured)

    def _finish(self, row: BatchRow, state: BatchState, results: BatchResults) -> None:
        mine = {r.custom_id for r in self.store.batch_requests(row.batch_row)}
        outcomes: dict[str, RequestOutcome] = {}
        for outcome in results.outcomes:
            if outcome.custom_id not in mine:
                logger.warning(
                    "batch %s: a result for unknown custom id %s is ignored",
                    row.batch_id,
                    outcome.custom_id,
                )
                continue
            if outcome.completion is not None:
                outcomes[outcome.custom_id] = RequestOutcome(
                    custom_id=outcome.custom_id, completion=outcome.completion
                )
            elif outcome.failure is not None:
                outcomes[outcome.custom_id] = RequestOutcome(
                    custom_id=outcome.custom_id,
                    reason=outcome.failure.reason,
                    retryable=outcome.failure.retryable,
                )
        missing = _missing_reason(state, results)
        for custom_id in mine - set(outcomes):
            outcomes[custom_id] = RequestOutcome(
                custom_id=custom_id, reason=missing, retryable=True
            )
        spent = 0.0
        for outcome in outcomes.values():
            if outcome.completion is not None:
                spent += self.cost(outcome.completion) or 0.0
        self.store.finish_batch(
            row.batch_row,
            provider_status=state.status,
            counts=state.counts,
            outcomes=outcomes.values(),
            spent_usd=spent,
            malformed=results.malformed,
        )


def _missing_reason(state: BatchState, results: BatchResults) -> str:
    if state.failed_reason:
        return f"batch entry failed: the batch failed ({state.failed_reason})"
    text = f"batch entry failed: no result line for this request (batch {state.status}"
    if results.malformed:
        text += f"; {results.malformed} result lines could not be read"
    return text + ")"
