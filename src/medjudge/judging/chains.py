"""API judges: one async chain per job (ask, check, re-ask), inside the client's concurrency
limit, each request's worst-case cost reserved only while it is in flight."""

from __future__ import annotations

import asyncio
import time

from medjudge.judging.jobs import GradeJob
from medjudge.judging.runner import Checked, JudgeRunner
from medjudge.judging.verdict_groups import VerdictGroups
from medjudge.models.base import AsyncModelClient
from medjudge.records import Completion
from medjudge.store.writer import StoreWriter

__all__ = ["run_chains"]


async def run_chains(runner: JudgeRunner, jobs: list[GradeJob]) -> None:
    """Send every job to `runner`'s async client; each verdict is recorded as it comes."""
    client = runner.client
    assert isinstance(client, AsyncModelClient)
    limit = asyncio.Semaphore(client.concurrency)
    runner.budget.settled = asyncio.Condition()  # this event loop's
    writer = StoreWriter(runner.store.path)
    groups = VerdictGroups(writer, runner.stored)

    async def one(job: GradeJob) -> None:
        outs: list[Completion] = []
        checked = Checked("not asked", False)
        for attempt in range(1 + runner.config.reasks):
            out = await _ask_within_budget(runner, client, limit, job, attempt)
            if out is None:
                if not outs:  # nothing spent on it: a rerun with more budget grades it
                    runner.budget.refused += 1
                    return
                break
            outs.append(out)
            checked = runner.check(job, out)
            if checked.reason is None or not checked.again:
                break
            if attempt < runner.config.reasks:  # re-asked: its spend is recorded now
                groups.add_spend([runner.spend(job, out, attempt)])
        # The verdict and the request it came from, in one transaction (a request recorded
        # already, its key the same, is not counted again).
        last = runner.spend(job, outs[-1], len(outs) - 1)
        groups.add([runner.verdict(job, outs, checked)], spend=[last])

    tasks = [asyncio.ensure_future(one(job)) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    finally:
        # A failure (or an interrupt) stops the requests still in flight; every verdict
        # replied before it is written, then the writer's thread ends.
        for task in tasks:
            task.cancel()
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
            await groups.aclose()
        finally:
            writer.close()
            # Close the client's connections in the loop that opened them (API clients only).
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()


async def _ask_within_budget(
    runner: JudgeRunner,
    client: AsyncModelClient,
    limit: asyncio.Semaphore,
    job: GradeJob,
    attempt: int,
) -> Completion | None:
    """One request, its worst-case cost reserved only while it is in flight (inside the
    concurrency slot); None when the budget cannot fit it."""
    async with limit:
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
        await runner.budget.settle(
            estimate, 0.0 if entry is None else entry.cost_usd
        )
        return out
