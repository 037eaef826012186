"""Answering through a provider's batch API (`answer --batch`): one wave per turn, as for
offline engines — every conversation's turn 1 in batches, then every turn 2 (built on the
model's own turn-1 answers), ... Batches are kept in the store like grading's: a rerun
adopts or frees batches it never learnt the id of, waits for live ones, turns replies already
fetched into answers, and submits only what is in no live or finished batch. An entry the
provider failed (expired, a server error) is stored as a failed answer, which a rerun asks
again, as it does every failed answer.

`answering` calls in with its own steps (`request_for`, `to_answer`, `record`), so this
module knows nothing of how turns are built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

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
from medjudge.store.spend_rows import SpendEntry

__all__ = ["STAGE", "answer_in_batches", "answer_key"]

STAGE = "answer"


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
) -> None:
    """Answer every missing turn of `chains` (objects with `turns`, `sample`, `answers`).
    Every request that came back goes into the spend ledger with its answer, at the batch
    price of `list_price` (default: the model's list price)."""
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

    try:
        await session.recover()
        depth = max((len(c.turns) for c in chains), default=0)
        for index in range(depth):
            wave = {
                answer_key(run.run_id, c.turns[index].item_id, c.sample): c
                for c in chains
                if index < len(c.turns) and index not in c.answers
            }
            await _wave(session, store, wave, index, request_for, to_answer, record, entry_for)
    finally:
        await provider.aclose()


async def _wave(
    session, store, wave, index, request_for, to_answer, record, entry_for
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
        for chunk in session.chunks(submit):
            await session.submit(chunk, reserved_usd=0.0)
        live = [
            row
            for row in session.live()
            if any(r.job_key in wave for r in store.batch_requests(row.batch_row))
        ]
        if live:
            await session.wait(live)
        elif wave and not submit:
            raise RuntimeError("batch answering made no progress")  # pragma: no cover
