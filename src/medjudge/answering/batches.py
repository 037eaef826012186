"""Answering through a provider's batch API (`answer --batch`): one wave per turn, as for
offline engines — every conversation's turn 1 in batches, then every turn 2 (built on the
model's own turn-1 answers), ... Batches are kept in the store like grading's: a rerun
adopts or frees batches it never learnt the id of, waits for live ones, turns replies already
fetched into answers, and submits only what is in no live or finished batch. An entry the
provider failed (expired, a server error) is stored as a failed answer, which a rerun asks
again, as it does every failed answer.

With a budget, each chunk's worst case (at the batch price) is reserved before it is
submitted, beside what the ledger says this run's answering spent and what the batches in
flight hold (an earlier process's live batches hold theirs again); what does not fit waits
for them to settle at what they really cost, and what cannot fit even then is left unasked,
with its conversation's later turns (nothing stored: a rerun with more budget asks them).

`answering` calls in with its own steps (`request_for`, `to_answer`, `record`), so this
module knows nothing of how turns are built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from medjudge.judging.budget import Budget, worst_case_cost
from medjudge.models.base import ModelClient
from medjudge.models.batch import (
    BatchCounter,
    BatchSession,
    Submission,
    batch_provider,
)
from medjudge.models.pricing import Price, batch_price, cost_usd, price_for
from medjudge.records import Answer, ChatRequest, Completion, Run
from medjudge.spend import spend_entry
from medjudge.store import Store
from medjudge.store.batch_queries import BatchRow
from medjudge.store.spend_rows import SpendEntry

__all__ = ["STAGE", "answer_in_batches", "answer_key"]

STAGE = "answer"


@runtime_checkable
class SpendSink(Protocol):
    """A progress display that also shows what was spent."""

    def spend(self, usd: float) -> None: ...


def answer_key(run_id: str, item_id: str, sample: int) -> str:
    return json.dumps([STAGE, run_id, item_id, sample], ensure_ascii=False)


async def answer_in_batches(
    chains: Sequence[Any],
    client: ModelClient,
    *,
    run: Run,
    store: Store,
    request_for: Callable[[Any, int], ChatRequest | Answer],
    to_answer: Callable[[Any, int, ChatRequest, Completion], Answer],
    record: Callable[[list[Answer], list[SpendEntry | None]], None],
    poll_interval_s: float,
    timeout_s: float,
    max_attempts: int,
    progress: object | None = None,
    list_price: Price | None = None,
    budget: Budget | None = None,
) -> None:
    """Answer every missing turn of `chains` (objects with `turns`, `sample`, `answers`).
    Every request that came back goes into the spend ledger with its answer, at the batch
    price of `list_price` (default: the model's list price). `budget` (none: no limit)
    counts this run's answering spend before this call; turns it cannot fit are counted in
    its `refused`."""
    provider = batch_provider(client.name, client, timeout_s=timeout_s, max_attempts=max_attempts)
    list_price = price_for(client.name) if list_price is None else list_price
    price = batch_price(client.name, list_price)
    session = BatchSession(
        store=store,
        provider=provider,
        stage=STAGE,
        run_ids=(run.run_id,),
        structured=False,
        poll_interval_s=poll_interval_s,
        cost=lambda out: cost_usd(price, out.prompt_tokens, out.completion_tokens),
        counter=BatchCounter(progress=progress),
    )

    def entry_for(chain: Any, index: int, row: Any) -> SpendEntry | None:
        """The ledger entry of one batch request that came back (its custom id is unique)."""
        return spend_entry(
            request_key=f"batch:{row.custom_id}", run_id=run.run_id, stage="answer",
            model=run.model, item_id=chain.turns[index].item_id, sample=chain.sample,
            completion=row.completion, price=list_price, batch=True, attempt=row.attempt,
        )

    budgeted = _BatchBudget(
        budget if budget is not None else Budget(None),
        estimate=lambda r: worst_case_cost(price, r.messages, r.sampling.max_tokens),
        progress=progress,
    )
    try:
        await session.recover()
        budgeted.resume(session, store, run.run_id)
        depth = max((len(c.turns) for c in chains), default=0)
        for index in range(depth):
            wave = {
                answer_key(run.run_id, c.turns[index].item_id, c.sample): c
                for c in chains
                if index < len(c.turns) and index not in c.answers and id(c) not in budgeted.stopped
            }
            await _wave(
                session, store, wave, index, request_for, to_answer, record, entry_for, budgeted
            )
    finally:
        await provider.aclose()


@dataclass
class _BatchBudget:
    """The budget as answering's batches use it: one reservation per submitted batch."""

    budget: Budget
    estimate: Callable[[ChatRequest], float]
    progress: object | None = None
    #: Reservations this process holds, by batch row.
    held: dict[int, float] = field(default_factory=dict)
    #: Conversations the budget stopped (by id): their later turns stay unasked.
    stopped: set[int] = field(default_factory=set)

    def resume(self, session: BatchSession, store: Store, run_id: str) -> None:
        """An earlier process's live batches hold their reservations again; the replies it
        fetched but stored no answer for count as spent before (the ledger lacks them)."""
        for row in session.live():
            if run_id in row.run_ids:
                self.held[row.batch_row] = row.reserved_usd
                self.budget.hold_chunk(row.reserved_usd)
        for request in store.open_batch_requests(model=session.provider.name, stage=STAGE):
            if request.completion is not None and json.loads(request.job_key)[1] == run_id:
                self.budget.spent_earlier(session.cost(request.completion) or 0.0)

    async def submit(self, session: BatchSession, subs: list[Submission], wave: dict) -> int:
        """Submit `subs` in chunks, each chunk's worst case reserved first; returns how
        many were sent. A chunk that cannot fit even with nothing in flight is refused."""

        async def submit(chunk: Sequence[Submission], reserved: float) -> None:
            row = await session.submit(chunk, reserved_usd=reserved)
            self.held[row.batch_row] = reserved

        return await self.budget.submit_chunks(
            session.chunks(subs),
            lambda s: self.estimate(s.request),
            submit,
            lambda chunk: self._refuse(chunk, wave),
        )

    def _refuse(self, chunk: Sequence[Submission], wave: dict) -> None:
        for sub in chunk:
            chain = wave.pop(sub.job_key)
            self.stopped.add(id(chain))
            self.budget.refused += sum(
                1 for i in range(len(chain.turns)) if i not in chain.answers
            )

    async def settle(self, row: BatchRow) -> None:
        await self.budget.settle_chunk(self.held.pop(row.batch_row, 0.0), row.spent_usd or 0.0)
        if isinstance(self.progress, SpendSink):
            self.progress.spend(self.budget.spent)


async def _wave(
    session, store, wave, index, request_for, to_answer, record, entry_for, budgeted
) -> None:
    while wave:
        history: dict[str, list] = {}
        for row in store.open_batch_requests(model=session.provider.name, stage=STAGE):
            if row.job_key in wave:
                history.setdefault(row.job_key, []).append(row)
        submit: list[Submission] = []
        answers: dict[str, Answer] = {}
        spend: list[SpendEntry | None] = []
        for key, chain in wave.items():
            rows = history.get(key, [])
            if rows and rows[-1].status == "pending":
                continue  # in a live batch
            request = request_for(chain, index)
            if isinstance(request, Answer):  # an earlier turn failed: not asked
                answers[key] = request
            elif rows:
                last = rows[-1]
                out = last.completion or Completion(error=last.reason or "batch entry failed")
                answers[key] = to_answer(chain, index, request, out)
                spend += [entry_for(chain, index, row) for row in rows if row.completion]
            else:
                submit.append(Submission(key, 0, request))
        if answers:
            for key, answer in answers.items():
                wave.pop(key).answers[index] = answer
            record(list(answers.values()), spend)
            store.close_batch_requests(answers)
        sent = await budgeted.submit(session, submit, wave) if submit else 0
        live = [
            row
            for row in session.live()
            if any(r.job_key in wave for r in store.batch_requests(row.batch_row))
        ]
        if not live and wave and not sent:
            # The budget is held by batches of another wave (an earlier process's): wait.
            live = [row for row in session.live() if row.batch_row in budgeted.held]
        if live:
            for row in await session.wait(live):
                await budgeted.settle(row)
        elif wave and not sent:
            raise RuntimeError("batch answering made no progress")  # pragma: no cover
