"""API judges: as many workers as the client's concurrency, each keeping one request in
flight: a job's chain (ask, check, re-ask), then the next job at once. Each request's
worst-case cost is reserved only while it is in flight; verdicts are written in groups by a
thread of their own (`verdict_groups`), so the event loop never waits for the disk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from medjudge.judging.jobs import GradeJob
from medjudge.judging.runner import Checked, JudgeRunner
from medjudge.judging.verdict_groups import VerdictGroups
from medjudge.models.base import AsyncModelClient
from medjudge.records import Completion
from medjudge.store.spend_rows import SpendEntry
from medjudge.store.writer import StoreWriter

__all__ = ["run_chains"]


async def run_chains(runner: JudgeRunner, jobs: Iterable[GradeJob], count: int) -> None:
    """Send every job to `runner`'s async client; each verdict is recorded as it comes.
    `jobs` may be made as they are taken (`GradePlan.jobs_of`): a worker takes the next one
    on the event loop's thread, so making one must be cheap. `count`: how many there are."""
    client = runner.client
    assert isinstance(client, AsyncModelClient)
    writer = StoreWriter(runner.store.path)
    groups = VerdictGroups(writer, runner.stored)
    queue = iter(jobs)  # shared: a worker takes the next job the moment it is free

    async def worker() -> None:
        for job in queue:
            await _chain(runner, client, groups, job)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(client.concurrency, count))]
    try:
        await asyncio.gather(*workers)
    finally:
        # A failure (or an interrupt) stops the requests still in flight; every verdict
        # replied before it is written, then the writer's thread ends.
        for task in workers:
            task.cancel()
        try:
            await asyncio.gather(*workers, return_exceptions=True)
            await groups.aclose()
        finally:
            writer.close()
            # Close the client's connections in the loop that opened them (API clients only).
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()


async def _chain(
    runner: JudgeRunner, client: AsyncModelClient, groups: VerdictGroups, job: GradeJob
) -> None:
    """Ask for `job`'s verdict, again while the reply is invalid and worth re-asking."""
    outs: list[Completion] = []
    checked = Checked("not asked", False)
    last: SpendEntry | None = None
    for attempt in range(1 + runner.config.reasks):
        asked = await _ask_within_budget(runner, client, job, attempt)
        if asked is None:
            if not outs:  # nothing spent on it: a rerun with more budget grades it
                runner.budget.refused += 1
                return
            break
        out, last = asked
        outs.append(out)
        checked = runner.check(job, out)
        if checked.reason is None or not checked.again:
            break
        if attempt < runner.config.reasks:  # re-asked: its spend is recorded now
            groups.add_spend([last])
    # The verdict and the request it came from, in one transaction (a request recorded
    # already, its key the same, is not counted again).
    groups.add([runner.verdict(job, outs, checked)], spend=[last])


async def _ask_within_budget(
    runner: JudgeRunner, client: AsyncModelClient, job: GradeJob, attempt: int
) -> tuple[Completion, SpendEntry | None] | None:
    """One request and its ledger entry, its worst-case cost reserved only while it is in
    flight; None when the budget cannot fit it."""
    estimate = runner.estimate(job)
    if not await runner.budget.reserve(estimate):
        return None
    started = time.perf_counter()
    try:
        out = await client.complete(runner.request(job, attempt))
    except BaseException:
        await runner.budget.settle(estimate, None)
        raise
    if out.latency_s is None:
        out = out.model_copy(update={"latency_s": time.perf_counter() - started})
    entry = runner.spend(job, out, attempt)
    # Not billed (no usage on a failure): nothing spent; unpriced: its worst case.
    await runner.budget.settle(estimate, 0.0 if entry is None else entry.cost_usd)
    return out, entry
