"""Answering: schedule the turns, each asked with the conversation so far (`conversation`).

Turn k of a conversation is asked with turns 1..k-1 and the model's *own* earlier answers as
chat history. Batch engines (vLLM) get waves: every conversation's turn 1 in one batch, then
every turn 2, ... API engines get one async chain per conversation under a concurrency limit.
Every answer is stored as soon as it exists, so a rerun only asks what is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from medjudge.answering.conversation import (
    build_messages,
    conversations,
    dataset_fingerprint,
    plan_run,
)
from medjudge.answering.prompts import DEFAULT_PROMPT, check_prompt
from medjudge.answering.spend import AnswerSpend, answer_price
from medjudge.errors import ConfigError
from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.client_settings import ClientSettings
from medjudge.models.pricing import Price
from medjudge.records import (
    Answer,
    ChatRequest,
    Completion,
    Item,
    PromptConfig,
    Run,
    SamplingConfig,
)
from medjudge.store import Store, utc_now
from medjudge.store.lease import RunLease
from medjudge.store.spend_rows import SpendEntry

__all__ = [
    "AnswerConfig",
    "AnswerSummary",
    "ProgressSink",
    "answer_benchmark",
    "answer_items",
]

class ProgressSink(Protocol):
    """Told how many answers a run will ask for, then of each batch as it is stored."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

class AnswerSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    already_done: int
    asked: int
    ok: int
    failed: int
    #: Turns left unasked for --max-cost (with the later turns of their conversations).
    not_sent_budget: int = 0
    #: Spent by this call; `cost_before_usd` by earlier calls on this run (the ledger).
    cost_usd: float = 0.0
    cost_before_usd: float = 0.0


@dataclass
class _Chain:
    """One conversation answered by one sample: its turns and the answers so far."""

    turns: tuple[Item, ...]
    sample: int
    answers: dict[int, Answer]

    def first_failure(self, upto: int) -> int | None:
        """Index of the first turn before `upto` without a usable answer, if any."""
        for index in range(upto):
            earlier = self.answers.get(index)
            if earlier is None or not _usable(earlier):
                return index
        return None


def answer_items(
    items: Sequence[Item],
    client: ModelClient,
    *,
    run: Run,
    store: Store,
    progress: ProgressSink | None = None,
    chunk_size: int = 256,
    batch: AnswerConfig | None = None,
    price: Price | None = None,
    max_cost_usd: float | None = None,
) -> AnswerSummary:
    """Answer every (item, sample) of `run` not yet answered in `store` (through the
    provider's batch API, one wave per turn, when `batch` is an AnswerConfig with batch on).
    Every request that came back is in the spend ledger at `price` (default: the model's
    list price); `max_cost_usd` bounds this run's answering across calls."""
    price = answer_price(run.model, (), max_cost_usd) if price is None else price
    spend = AnswerSpend.for_run(store, run, price, max_cost_usd)
    done = {(a.item_id, a.sample): a for a in store.answers(run.run_id) if _usable(a)}
    chains = [
        _Chain(turns, sample, _stored(turns, sample, done))
        for turns in conversations(items)
        for sample in range(run.samples)
    ]
    todo = sum(len(c.turns) - len(c.answers) for c in chains)
    tally = _Tally(store, progress)
    if progress is not None:
        progress.start(todo)
    if todo:
        if batch is not None and batch.batch:
            _answer_in_batches(chains, client, run, store, tally, batch, spend)
        elif isinstance(client, AsyncModelClient):
            asyncio.run(_answer_in_chains(chains, client, run, tally, spend))
        else:
            _answer_in_waves(chains, client, run, tally, chunk_size, spend)
    return AnswerSummary(
        run_id=run.run_id,
        already_done=len(done),
        asked=tally.ok + tally.failed,
        ok=tally.ok,
        failed=tally.failed,
        not_sent_budget=spend.budget.refused,
        cost_usd=round(spend.budget.spent, 6),
        cost_before_usd=round(spend.budget.before, 6),
    )


def _usable(answer: Answer) -> bool:
    """An ok answer with text. Older versions stored empty HTTP-200 replies as ok: those are
    asked again, and no later turn is built on them."""
    return answer.status == "ok" and bool((answer.text or "").strip())


def _stored(turns: tuple[Item, ...], sample: int, done: dict) -> dict[int, Answer]:
    return {
        index: done[(item.item_id, sample)]
        for index, item in enumerate(turns)
        if (item.item_id, sample) in done
    }


class _Tally:
    """Stores answers as they arrive and counts them."""

    def __init__(self, store: Store, progress: ProgressSink | None) -> None:
        self.store = store
        self.progress = progress
        self.ok = 0
        self.failed = 0

    def record(
        self, answers: Sequence[Answer], spend: Sequence[SpendEntry | None] = ()
    ) -> None:
        """Store answers with the requests that produced them (one transaction)."""
        self.store.save_answers(answers, spend=[e for e in spend if e is not None])
        for answer in answers:
            if answer.status == "ok":
                self.ok += 1
            else:
                self.failed += 1
        if self.progress is not None:
            self.progress.advance(len(answers))


def _request(run: Run, chain: _Chain, index: int) -> ChatRequest | Answer:
    """The request for turn `index` of `chain`, or a failed answer when its history is broken."""
    item = chain.turns[index]
    broken = chain.first_failure(index)
    if broken is not None:
        earlier = chain.answers.get(broken)
        reason = earlier.error if earlier is not None else "never answered"
        return Answer(
            run_id=run.run_id,
            item_id=item.item_id,
            sample=chain.sample,
            status="failed",
            error=f"not asked: earlier turn {chain.turns[broken].turn} failed ({reason})",
            created_at=utc_now(),
        )
    history = [chain.answers[i].text or "" for i in range(index)]
    return ChatRequest(
        messages=build_messages(chain.turns[: index + 1], history, run.prompt),
        sampling=run.sampling,
        seed=run.sampling.seed + chain.sample,
        chat_template_kwargs=run.prompt.chat_template_kwargs or None,
    )


def _to_answer(run: Run, item: Item, sample: int, request: ChatRequest, out: Completion) -> Answer:
    ok = out.error is None and bool((out.text or "").strip())
    return Answer(
        run_id=run.run_id,
        item_id=item.item_id,
        sample=sample,
        status="ok" if ok else "failed",
        text=out.text if ok else None,
        error=None if ok else (out.error or "empty reply (no text)"),
        messages=request.messages,
        finish_reason=out.finish_reason,
        prompt_tokens=out.prompt_tokens,
        completion_tokens=out.completion_tokens,
        latency_s=out.latency_s,
        created_at=utc_now(),
    )


def _answer_in_waves(
    chains: list[_Chain], client: ModelClient, run: Run, tally: _Tally, chunk_size: int,
    spend: AnswerSpend,
) -> None:
    depth = max(len(c.turns) for c in chains)
    held: set[int] = set()  # chains the budget stopped: their later turns stay unasked
    for index in range(depth):
        wave = [c for c in chains
                if index < len(c.turns) and index not in c.answers and id(c) not in held]
        # Conversations that go on last: an engine caching prompt prefixes (vLLM) then still
        # holds their prompts when the next wave asks them again as history.
        wave.sort(key=lambda chain: index + 1 < len(chain.turns))
        for start in range(0, len(wave), chunk_size):
            chunk = wave[start : start + chunk_size]
            planned = [(chain, _request(run, chain, index)) for chain in chunk]
            planned = _within_budget(planned, spend, held)
            asked = [(c, r) for c, r in planned if isinstance(r, ChatRequest)]
            outs = client.generate([r for _, r in asked]) if asked else []
            produced, entries = {}, []
            for (chain, request), out in zip(asked, outs, strict=True):
                produced[id(chain)] = _to_answer(run, chain.turns[index], chain.sample,
                                                 request, out)
                entry = spend.entry(run.run_id, chain.turns[index].item_id, chain.sample, out)
                spend.budget.release(spend.estimate(request), spend.actual(entry))
                entries.append(entry)
            answers = []
            for chain, planned_request in planned:
                answer = produced.get(id(chain), planned_request)
                assert isinstance(answer, Answer)
                chain.answers[index] = answer
                answers.append(answer)
            tally.record(answers, entries)


def _within_budget(
    planned: list[tuple[_Chain, ChatRequest | Answer]], spend: AnswerSpend, held: set[int]
) -> list[tuple[_Chain, ChatRequest | Answer]]:
    """The planned turns whose worst case fits beside the rest of the batch; the others are
    left unasked (counted with their conversations' later turns) and their chains held."""
    kept = []
    for chain, request in planned:
        if isinstance(request, ChatRequest) and not spend.budget.try_reserve(
            spend.estimate(request)
        ):
            held.add(id(chain))
            spend.budget.refused += sum(1 for i in range(len(chain.turns))
                                        if i not in chain.answers)
            continue
        kept.append((chain, request))
    return kept


def _answer_in_batches(
    chains: list[_Chain], client: ModelClient, run: Run, store: Store, tally: _Tally,
    config: AnswerConfig, spend: AnswerSpend,
) -> None:
    from medjudge.answering.batches import answer_in_batches

    asyncio.run(answer_in_batches(
        chains, client, run=run, store=store,
        request_for=lambda chain, index: _request(run, chain, index),
        to_answer=lambda chain, index, request, out: _to_answer(
            run, chain.turns[index], chain.sample, request, out),
        record=tally.record, poll_interval_s=config.poll_interval_s,
        timeout_s=config.timeout_s, max_attempts=config.max_attempts,
        progress=tally.progress, list_price=spend.price, budget=spend.budget,
    ))


async def _answer_in_chains(
    chains: list[_Chain], client: AsyncModelClient, run: Run, tally: _Tally,
    spend: AnswerSpend,
) -> None:
    limit = asyncio.Semaphore(max(1, client.concurrency))

    async def follow(chain: _Chain) -> None:
        for index, item in enumerate(chain.turns):
            if index in chain.answers:
                continue
            request = _request(run, chain, index)
            entry = None
            if isinstance(request, Answer):
                answer = request
            else:
                async with limit:
                    estimate = spend.estimate(request)
                    if not await spend.budget.reserve(estimate):
                        # Left unasked, with the conversation's later turns (they need it).
                        spend.budget.refused += sum(
                            1 for i in range(index, len(chain.turns)) if i not in chain.answers
                        )
                        return
                    try:
                        out = await client.complete(request)
                    except BaseException:
                        await spend.budget.settle(estimate, None)
                        raise
                    entry = spend.entry(run.run_id, item.item_id, chain.sample, out)
                    await spend.budget.settle(estimate, spend.actual(entry))
                answer = _to_answer(run, item, chain.sample, request, out)
            chain.answers[index] = answer
            tally.record([answer], [entry])

    try:
        await asyncio.gather(*(follow(chain) for chain in chains))
    finally:
        # Close the client's connections in the loop that opened them (API clients only).
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            await aclose()


class AnswerConfig(ClientSettings):
    """Everything `medjudge answer` needs; the CLI builds one and calls `answer_benchmark`.
    The client, batch and budget fields are `ClientSettings`' (shared with grading)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmark: str
    store: Path
    model: str | None = None
    base_url: str | None = None
    lang: Literal["en", "zh", "both"] = "en"
    mode: Literal["mcq", "open"] = "mcq"
    samples: int = Field(1, ge=1, le=1000)
    sampling: SamplingConfig = SamplingConfig()
    #: Prompt template, system prompt and chat template kwargs (`medjudge.answering.prompts`).
    prompt: PromptConfig = DEFAULT_PROMPT
    limit: int | None = Field(None, ge=1)
    #: Another process answering the same run: wait for it (True) or fail at once (False).
    wait_for_lease: bool = False


def answer_benchmark(
    config: AnswerConfig,
    *,
    progress: ProgressSink | None = None,
    client: ModelClient | None = None,
) -> AnswerSummary:
    """Load the benchmark, then answer what the store does not hold yet.

    Bad input fails before the store is touched, so nothing is half-written. Pass `client`
    to share one engine across several benchmarks (it is then left open).
    """
    from medjudge.benchmarks import load
    from medjudge.models import DEFAULT_MODEL, canonical_name, create_client

    check_prompt(config.prompt)
    benchmark = load(config.benchmark, lang=config.lang, mode=config.mode)
    model = canonical_name(config.model or DEFAULT_MODEL)
    items = _first_conversations(benchmark.items, config.limit)
    run = plan_run(
        model=model,
        benchmark=benchmark.name,
        benchmark_path=benchmark.path,
        benchmark_sha256=benchmark.sha256,
        items=benchmark.items,
        sampling=config.sampling,
        samples=config.samples,
        prompt=config.prompt,
    )
    options = config.client_options(config.base_url)
    # A budget without a price fails here, before anything is written.
    price = answer_price(model, config.prices, config.max_cost_usd)
    own_client = client is None
    # Made before the store is opened: a missing engine or API key fails with nothing written.
    active = create_client(model, options) if client is None else client
    try:
        _check_client_takes(active, config.prompt)
        if config.batch:
            from medjudge.models.batch import check_batchable

            check_batchable(model, active)
        with Store(config.store) as store:
            fingerprint = dataset_fingerprint(benchmark.items)
            store.add_items(fingerprint, benchmark.items)
            store.add_run(run, fingerprint)
        lease = RunLease(config.store, f"answer:{run.run_id}", wait=config.wait_for_lease)
        with lease, Store(config.store) as store:
            return answer_items(items, active, run=run, store=store, progress=progress,
                                batch=config if config.batch else None,
                                price=price, max_cost_usd=config.max_cost_usd)
    finally:
        if own_client:
            active.close()


def _check_client_takes(client: ModelClient, prompt: PromptConfig) -> None:
    """Refuse, before anything is stored or sent, settings the client cannot send."""
    if prompt.chat_template_kwargs and not getattr(client, "takes_chat_template_kwargs", True):
        raise ConfigError(
            f"{client.name} has no chat template, so --chat-template-kwargs cannot be sent to"
            " it; leave them out (they are for vLLM and OpenAI-compatible servers)"
        )


def _first_conversations(items: Sequence[Item], limit: int | None) -> list[Item]:
    if limit is None:
        return list(items)
    return [item for turns in conversations(items)[:limit] for item in turns]
