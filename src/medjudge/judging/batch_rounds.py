"""API judges through their providers' batch APIs (`grade --batch`): every job's request in
batches, a reply that does not validate re-asked in a later batch (as many times as the
online path re-asks), each batch's worst-case cost reserved before it is submitted.

Everything lives in the store: a rerun first adopts or frees batches it never learnt the id
of, waits for the batches still running, makes verdicts from replies already fetched, and
submits only what is in no live or finished batch — plus the requests whose batch entry
expired or failed for the provider's reasons (recorded unscored meanwhile).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from medjudge.judging.jobs import GradeJob
from medjudge.judging.runner import Checked, JudgeRunner
from medjudge.models.base import ModelClient
from medjudge.models.batch import (
    BatchCounter,
    BatchSession,
    Submission,
    batch_api_of,
    batch_provider,
)
from medjudge.models.pricing import cost_usd
from medjudge.records import Completion, Verdict
from medjudge.store import Store
from medjudge.store.batch_queries import BatchRequestRow, BatchRow
from medjudge.store.spend_rows import SpendEntry

__all__ = ["STAGE", "check_batch_judges", "grade_in_batches", "job_key", "reopened_keys"]

STAGE = "grade"


def job_key(job: GradeJob) -> str:
    """The store's name for a grading job (a verdict's unique key, as JSON)."""
    return json.dumps(
        [
            STAGE,
            job.answer.run_id,
            job.item.item_id,
            job.answer.sample,
            job.judge,
            job.judge_run,
            job.rubric.id,
            job.rubric.version,
        ],
        ensure_ascii=False,
    )


def check_batch_judges(clients: dict[str, ModelClient]) -> dict[str, str]:
    """Before the store is read: every judge but local vLLM ones (which batch offline
    anyway) must have a batch API. Returns each such judge's batch API provider."""
    return {
        judge: batch_api_of(judge, client)
        for judge, client in clients.items()
        if not judge.startswith("vllm/")
    }


def reopened_keys(store: Store, judges: Sequence[str]) -> set[tuple]:
    """Verdict keys whose batch requests are not finished with: in a live batch, replied
    but not yet a verdict, or ended by the provider (expired, a server error) and so to be
    submitted again. Their stored verdict, an unscored one if any, is not final."""
    keys: set[tuple] = set()
    for judge in judges:
        for row in store.open_batch_requests(model=judge, stage=STAGE):
            keys.add(tuple(json.loads(row.job_key)[1:]))
    if not keys:
        return keys
    scored = {
        (v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id, v.rubric_version)
        for v in store.verdicts()
        if v.status == "scored"
    }
    return keys - scored


async def grade_in_batches(
    work: Sequence[tuple[JudgeRunner, list[GradeJob]]],
    *,
    poll_interval_s: float,
    run_ids: Sequence[str],
) -> None:
    """Grade every judge's jobs through its batch API, the judges side by side."""
    counter = BatchCounter(progress=work[0][0].progress if work else None)
    judges = []
    for runner, jobs in work:
        provider = batch_provider(
            jobs[0].judge,  # the name verdicts carry (a given client may call itself otherwise)
            runner.client,
            timeout_s=runner.config.timeout_s,
            max_attempts=runner.config.max_attempts,
        )
        session = BatchSession(
            store=runner.store,
            provider=provider,
            stage=STAGE,
            run_ids=tuple(run_ids),
            structured=runner.config.judge_output == "json",
            poll_interval_s=poll_interval_s,
            cost=lambda out, r=runner: cost_usd(r.price, out.prompt_tokens, out.completion_tokens),
            counter=counter,
        )
        judges.append(_JudgeBatches(runner, session, {job_key(job): job for job in jobs}))
    try:
        await asyncio.gather(*(judge.run() for judge in judges))
    finally:
        for judge in judges:
            await judge.session.provider.aclose()


@dataclass
class _JudgeBatches:
    runner: JudgeRunner
    session: BatchSession
    jobs: dict[str, GradeJob]
    #: Reservations this process holds, by batch row.
    held: dict[int, float] = field(default_factory=dict)
    #: Keys of jobs whose provider-failed request may be submitted again in this run.
    resubmit: set[str] = field(default_factory=set)

    async def run(self) -> None:
        await self.session.recover()
        self._resume_budget()
        # Requests a provider ended (expired, a server error) before this run: sent again.
        self.resubmit = {
            key
            for key, rows in self._history().items()
            if rows[-1].status == "failed" and rows[-1].retryable
        }
        while True:
            submit = self._settle_jobs()
            sent = await self._submit(submit) if submit else 0
            live = self._live()
            if live:
                for row in await self.session.wait(live):
                    await self._settle_budget(row)
            elif not submit:
                return
            elif not sent:
                # Another judge's batches hold the budget: wait for them to settle.
                await asyncio.sleep(self.session.poll_interval_s)

    # -- state -----------------------------------------------------------------------------
    def _live(self) -> list[BatchRow]:
        """Live batches holding requests of these jobs."""
        return [
            row
            for row in self.session.live()
            if any(r.job_key in self.jobs for r in self.runner.store.batch_requests(row.batch_row))
        ]

    def _history(self) -> dict[str, list[BatchRequestRow]]:
        history: dict[str, list[BatchRequestRow]] = {}
        for row in self.runner.store.open_batch_requests(
            model=self.session.provider.name, stage=STAGE
        ):
            if row.job_key in self.jobs:
                history.setdefault(row.job_key, []).append(row)
        return history

    def _resume_budget(self) -> None:
        """Batches an earlier process submitted hold their reservation again; replies it
        fetched but made no verdict of count as spent before."""
        budget = self.runner.budget
        for row in self._live():
            self.held[row.batch_row] = row.reserved_usd
            budget.hold_chunk(row.reserved_usd)
        stored = {
            (v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id, v.rubric_version)
            for v in self.runner.store.verdicts()
            if v.judge == self.session.provider.name
        }
        for key, rows in self._history().items():
            if tuple(json.loads(key)[1:]) in stored:
                continue  # its unscored verdict already counts what was spent
            for row in rows:
                if row.completion is not None:
                    budget.spent_earlier(self.session.cost(row.completion) or 0.0)

    # -- deciding --------------------------------------------------------------------------
    def _settle_jobs(self) -> list[Submission]:
        """Make every verdict the stored replies allow; return what must be submitted."""
        submit: list[Submission] = []
        verdicts: list[Verdict] = []
        finished: list[GradeJob] = []
        closed: list[str] = []
        history = self._history()
        for key, job in list(self.jobs.items()):
            rows = history.get(key, [])
            step = _next_step(self.runner, job, rows, allow_resubmit=key in self.resubmit)
            if step.attempt is not None:
                submit.append(Submission(key, step.attempt, self.runner.request(job, step.attempt)))
                continue
            if step.verdict is None:
                continue  # in a live batch
            verdicts.append(step.verdict)
            finished.append(job)
            if step.final:
                closed.append(key)
            del self.jobs[key]
        if verdicts:
            self.runner.record(verdicts, spend=self._spend(finished, history))
            self.runner.store.close_batch_requests(closed)
        return submit

    # -- submitting within the budget ------------------------------------------------------
    async def _submit(self, subs: list[Submission]) -> int:
        """Submit `subs` in chunks, each chunk's worst case reserved first; returns how
        many were sent. What does not fit beside the batches in flight waits for them to
        settle (at what they really cost); what cannot fit even then is refused."""
        async def submit(chunk: Sequence[Submission], reserved: float) -> None:
            row = await self.session.submit(chunk, reserved_usd=reserved)
            self.held[row.batch_row] = reserved
            self.resubmit.difference_update(s.job_key for s in chunk)

        return await self.runner.budget.submit_chunks(
            self.session.chunks(subs),
            lambda s: self.runner.estimate(self.jobs[s.job_key]),
            submit,
            self._refuse,
        )

    def _refuse(self, subs: Sequence[Submission]) -> None:
        """Requests the budget can never fit: a fresh job is left for a rerun with more
        budget; a re-ask ends unscored with the reason the last reply was refused for."""
        history = self._history()
        verdicts = []
        finished: list[GradeJob] = []
        for sub in subs:
            job = self.jobs.pop(sub.job_key)
            rows = [r for r in history.get(sub.job_key, []) if r.status == "replied"]
            if not rows:
                self.runner.budget.refused += 1
                continue
            outs = [_as_completion(r) for r in history[sub.job_key]]
            verdicts.append(self.runner.verdict(job, outs, self.runner.check(job, outs[-1])))
            finished.append(job)
        if verdicts:
            self.runner.record(verdicts, spend=self._spend(finished, history))
            self.runner.store.close_batch_requests([job_key_of(v) for v in verdicts])

    def _spend(self, jobs: list[GradeJob], history: dict) -> list[SpendEntry | None]:
        """The ledger entries of every batch request behind these jobs' verdicts (each
        attempt that came back), at the batch price; stored in the verdicts' transaction."""
        entries: list[SpendEntry | None] = []
        for job in jobs:
            for row in history.get(job_key(job), []):
                if row.completion is not None:
                    entries.append(self.runner.spend(
                        job, row.completion, row.attempt,
                        request_key=f"batch:{row.custom_id}",
                    ))
        return entries

    async def _settle_budget(self, row: BatchRow) -> None:
        reserved = self.held.pop(row.batch_row, 0.0)
        await self.runner.budget.settle_chunk(reserved, row.spent_usd or 0.0)


def job_key_of(verdict: Verdict) -> str:
    return json.dumps(
        [
            STAGE,
            verdict.run_id,
            verdict.item_id,
            verdict.sample,
            verdict.judge,
            verdict.judge_run,
            verdict.rubric_id,
            verdict.rubric_version,
        ],
        ensure_ascii=False,
    )


@dataclass
class _Step:
    #: Submit this attempt next (None: don't).
    attempt: int | None = None
    #: The verdict the stored replies make, if they make one now.
    verdict: Verdict | None = None
    #: The verdict is final (its requests are history); False for a provider failure that a
    #: rerun submits again.
    final: bool = True


def _as_completion(row: BatchRequestRow) -> Completion:
    if row.completion is not None:
        return row.completion
    # The entry never ran: the provider billed no tokens for it.
    return Completion(
        error=row.reason or "batch entry failed", prompt_tokens=0, completion_tokens=0
    )


def _next_step(
    runner: JudgeRunner, job: GradeJob, rows: list[BatchRequestRow], *, allow_resubmit: bool
) -> _Step:
    """What to do for a job given its open batch requests (oldest first): the online path's
    rules (check, re-ask while re-asks are left, else unscored) over stored replies."""
    if not rows:
        return _Step(attempt=0)
    last = rows[-1]
    if last.status == "pending":
        return _Step()
    outs = [_as_completion(r) for r in rows if r.status in ("replied", "failed")]
    if last.status == "failed":
        if last.retryable and allow_resubmit:
            return _Step(attempt=last.attempt)  # ended by the provider before this run
        return _Step(
            verdict=runner.verdict(
                job, outs, Checked(last.reason or "batch entry failed", False)
            ),
            final=not last.retryable,
        )
    assert last.completion is not None
    checked = runner.check(job, last.completion)
    if checked.reason is not None and checked.again and last.attempt < runner.config.reasks:
        return _Step(attempt=last.attempt + 1)
    return _Step(verdict=runner.verdict(job, outs, checked))
