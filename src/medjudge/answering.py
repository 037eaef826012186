"""Answering: build each turn's messages from the conversation so far, and schedule the turns.

Turn k of a conversation is asked with turns 1..k-1 and the model's *own* earlier answers as
chat history. Batch engines (vLLM) get waves: every conversation's turn 1 in one batch, then
every turn 2, ... API engines get one async chain per conversation under a concurrency limit.
Every answer is stored as soon as it exists, so a rerun only asks what is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from medjudge import __version__
from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.engine_options import EngineOptions
from medjudge.models.registry import Dtype
from medjudge.records import (
    Answer,
    ChatRequest,
    Completion,
    Item,
    Message,
    Run,
    SamplingConfig,
)
from medjudge.store import Store, utc_now
from medjudge.store.lease import RunLease

__all__ = [
    "AnswerConfig",
    "AnswerSummary",
    "ProgressSink",
    "answer_benchmark",
    "answer_items",
    "build_messages",
    "conversations",
    "dataset_fingerprint",
    "item_prompt",
    "plan_run",
    "run_id_for",
]

class ProgressSink(Protocol):
    """Told how many answers a run will ask for, then of each batch as it is stored."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

_MCQ_INSTRUCTION = {
    "en": "Answer with the letter of the correct option.",
    "zh": "请给出正确选项的字母。",
}


class AnswerSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    already_done: int
    asked: int
    ok: int
    failed: int


def item_prompt(item: Item) -> str:
    """The user message for one item: the stem, and for MCQs the options and an instruction."""
    if item.kind != "mcq":
        return item.question
    options = "\n".join(f"{letter}. {text}" for letter, text in item.options.items())
    return f"{item.question}\n\n{options}\n\n{_MCQ_INSTRUCTION[item.language]}"


def build_messages(turns: Sequence[Item], earlier_answers: Sequence[str]) -> tuple[Message, ...]:
    """Messages for the last of `turns`, with every earlier turn and the model's own answer."""
    if len(earlier_answers) != len(turns) - 1:
        raise ValueError("need exactly one earlier answer per earlier turn")
    messages: list[Message] = []
    for turn, answer in zip(turns[:-1], earlier_answers, strict=True):
        messages.append(Message(role="user", content=item_prompt(turn)))
        messages.append(Message(role="assistant", content=answer))
    messages.append(Message(role="user", content=item_prompt(turns[-1])))
    return tuple(messages)


def conversations(items: Sequence[Item]) -> list[tuple[Item, ...]]:
    """Group items into conversations (first-seen order), turns ordered by `turn`."""
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.conversation_id, []).append(item)
    return [tuple(sorted(turns, key=lambda it: it.turn)) for turns in grouped.values()]


def dataset_fingerprint(items: Sequence[Item]) -> str:
    canonical = json.dumps([item.model_dump(mode="json") for item in items], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_id_for(key: str) -> str:
    """A run's id: the first 12 hex digits of the sha256 of `key`, the JSON text of what makes
    the run (its settings, or an import's source and replies). The same key always gives the
    same id, so running or importing the same thing again resumes it. Every run id comes from
    here; a caller must keep its key text as it is, or stores made before stop resuming."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def plan_run(
    *,
    model: str,
    benchmark: str,
    benchmark_path: str,
    benchmark_sha256: str,
    items: Sequence[Item],
    sampling: SamplingConfig,
    samples: int,
) -> Run:
    """The run these settings describe. The same settings always give the same run id, so
    running the same command again resumes it."""
    key = json.dumps(
        {
            "model": model,
            "dataset": dataset_fingerprint(items),
            "samples": samples,
            "sampling": sampling.model_dump(mode="json"),
        },
        sort_keys=True,
    )
    return Run(
        run_id=run_id_for(key),
        model=model,
        benchmark=benchmark,
        benchmark_path=benchmark_path,
        benchmark_sha256=benchmark_sha256,
        samples=samples,
        sampling=sampling,
        created_at=utc_now(),
        medjudge_version=__version__,
    )


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
) -> AnswerSummary:
    """Answer every (item, sample) of `run` not yet answered in `store`."""
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
        if isinstance(client, AsyncModelClient):
            asyncio.run(_answer_in_chains(chains, client, run, tally))
        else:
            _answer_in_waves(chains, client, run, tally, chunk_size)
    return AnswerSummary(
        run_id=run.run_id,
        already_done=len(done),
        asked=tally.ok + tally.failed,
        ok=tally.ok,
        failed=tally.failed,
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

    def record(self, answers: Sequence[Answer]) -> None:
        self.store.save_answers(answers)
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
        messages=build_messages(chain.turns[: index + 1], history),
        sampling=run.sampling,
        seed=run.sampling.seed + chain.sample,
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
    chains: list[_Chain], client: ModelClient, run: Run, tally: _Tally, chunk_size: int
) -> None:
    depth = max(len(c.turns) for c in chains)
    for index in range(depth):
        wave = [c for c in chains if index < len(c.turns) and index not in c.answers]
        # Conversations that go on last: an engine caching prompt prefixes (vLLM) then still
        # holds their prompts when the next wave asks them again as history.
        wave.sort(key=lambda chain: index + 1 < len(chain.turns))
        for start in range(0, len(wave), chunk_size):
            chunk = wave[start : start + chunk_size]
            planned = [(chain, _request(run, chain, index)) for chain in chunk]
            asked = [(c, r) for c, r in planned if isinstance(r, ChatRequest)]
            outs = client.generate([r for _, r in asked]) if asked else []
            produced = {
                id(chain): _to_answer(run, chain.turns[index], chain.sample, request, out)
                for (chain, request), out in zip(asked, outs, strict=True)
            }
            answers = []
            for chain, planned_request in planned:
                answer = produced.get(id(chain), planned_request)
                assert isinstance(answer, Answer)
                chain.answers[index] = answer
                answers.append(answer)
            tally.record(answers)


async def _answer_in_chains(
    chains: list[_Chain], client: AsyncModelClient, run: Run, tally: _Tally
) -> None:
    limit = asyncio.Semaphore(max(1, client.concurrency))

    async def follow(chain: _Chain) -> None:
        for index, item in enumerate(chain.turns):
            if index in chain.answers:
                continue
            request = _request(run, chain, index)
            if isinstance(request, Answer):
                answer = request
            else:
                async with limit:
                    out = await client.complete(request)
                answer = _to_answer(run, item, chain.sample, request, out)
            chain.answers[index] = answer
            tally.record([answer])

    try:
        await asyncio.gather(*(follow(chain) for chain in chains))
    finally:
        # Close the client's connections in the loop that opened them (API clients only).
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            await aclose()


class AnswerConfig(BaseModel):
    """Everything `medjudge answer` needs; the CLI builds one and calls `answer_benchmark`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmark: str
    store: Path
    model: str | None = None
    base_url: str | None = None
    lang: Literal["en", "zh", "both"] = "en"
    mode: Literal["mcq", "open"] = "mcq"
    samples: int = Field(1, ge=1, le=1000)
    sampling: SamplingConfig = SamplingConfig()
    limit: int | None = Field(None, ge=1)
    concurrency: int = Field(8, ge=1, le=1024)
    #: Seconds one API request may take, and tries per request (timeouts and 5xx retried).
    timeout_s: float = Field(120.0, gt=0, le=3600)
    max_attempts: int = Field(4, ge=1, le=20)
    max_model_len: int = Field(4096, ge=256)
    #: vLLM weights dtype (None: float32 for the embedded model on a CPU, else "auto"), and
    #: whether to check the engine with a known-answer question before answering.
    dtype: Dtype | None = None
    probe: bool = True
    #: vLLM engine options (parallelism, memory, quantization, eager mode, engine args).
    engine: EngineOptions = EngineOptions()
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
    from medjudge.models import DEFAULT_MODEL, ClientOptions, canonical_name, create_client

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
    )
    options = ClientOptions(
        base_url=config.base_url,
        concurrency=config.concurrency,
        timeout_s=config.timeout_s,
        max_attempts=config.max_attempts,
        max_model_len=config.max_model_len,
        dtype=config.dtype,
        probe=config.probe,
        engine=config.engine,
    )
    own_client = client is None
    # Made before the store is opened: a missing engine or API key fails with nothing written.
    active = create_client(model, options) if client is None else client
    try:
        with Store(config.store) as store:
            fingerprint = dataset_fingerprint(benchmark.items)
            store.add_items(fingerprint, benchmark.items)
            store.add_run(run, fingerprint)
        lease = RunLease(config.store, f"answer:{run.run_id}", wait=config.wait_for_lease)
        with lease, Store(config.store) as store:
            return answer_items(items, active, run=run, store=store, progress=progress)
    finally:
        if own_client:
            active.close()


def _first_conversations(items: Sequence[Item], limit: int | None) -> list[Item]:
    if limit is None:
        return list(items)
    return [item for turns in conversations(items)[:limit] for item in turns]
