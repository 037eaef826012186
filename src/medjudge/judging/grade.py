"""Grading orchestration: every stored answer to an open item, by every judge, `runs` times.

A judge reply that does not validate is re-asked (bounded) and then recorded as *unscored*
with its reason and raw reply; no score is ever fabricated. Verdicts already in the store
are never requested again. `max_cost_usd` stops before the budget would be passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medjudge.errors import ConfigError
from medjudge.judging.passes import record_passes
from medjudge.judging.prompt import JudgePrompt, render_judge_prompt
from medjudge.judging.rubric import Rubric, RubricSet
from medjudge.judging.verdict import (
    ParsedReply,
    ParseFailure,
    ReplyContext,
    parse_judge_reply,
)
from medjudge.judging.verdict_schema import provider_family, verdict_json_schema
from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.pricing import Price, cost_usd, price_for
from medjudge.models.registry import Dtype
from medjudge.records import (
    Answer,
    ChatRequest,
    Checklist,
    Completion,
    Item,
    SamplingConfig,
    Verdict,
)
from medjudge.store import Store, utc_now
from medjudge.store.lease import RunLease

__all__ = ["GradeConfig", "GradeProgress", "GradeSummary", "grade", "read_judge_reply"]

OutputMode = Literal["json", "text"]

#: The judges' API default temperature, used for `runs > 1` unless one is given.
STABILITY_TEMPERATURE = 1.0


class GradeProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def spend(self, usd: float) -> None: ...


class GradeConfig(BaseModel):
    """Everything `medjudge grade` needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Path
    judges: tuple[str, ...] = ("gpt-4o",)
    #: A bare URL: the only judge's, or a jury's only openai-compatible judge's.
    judge_base_url: str | None = None
    #: Each judge's own server: `JUDGE=URL` entries (a bare URL as above).
    judge_base_urls: tuple[str, ...] = ()
    judge_output: OutputMode = "json"
    runs: int = Field(1, ge=1, le=20)
    answer_runs: tuple[str, ...] | None = None
    rubric: Path | None = None
    concurrency: int = Field(8, ge=1, le=1024)
    timeout_s: float = Field(120.0, gt=0, le=3600)
    max_attempts: int = Field(4, ge=1, le=20)
    reasks: int = Field(2, ge=0, le=10)
    #: Total USD for this grading (these answer runs, these judges), across reruns.
    max_cost_usd: float | None = Field(None, gt=0)
    #: None: 0 for a single run; with runs > 1, STABILITY_TEMPERATURE (see `_default_temp`).
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=64, le=32768)
    retry_unscored: bool = False
    #: Tight string bounds in the verdict schema, so a small local judge finishes inside
    #: max_tokens. None: on for vllm/ judges, off for the rest.
    compact_verdicts: bool | None = None
    limit: int | None = Field(None, ge=1)
    #: vllm/ judges: weights dtype (None: float32 for the embedded model on a CPU, else
    #: "auto") and the known-answer check after the engine starts.
    dtype: Dtype | None = None
    probe: bool = True
    #: Another process grading the same runs with the same judges: wait, or fail at once.
    wait_for_lease: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_temp(cls, data: object) -> object:
        # Repeated runs at temperature 0 agree by construction; LLMEval-Med measured judge
        # stability at the judge's default temperature (1.0 for OpenAI and Anthropic).
        if isinstance(data, dict) and data.get("temperature") is None:
            runs = data.get("runs", 1)
            temperature = STABILITY_TEMPERATURE if isinstance(runs, int) and runs > 1 else 0.0
            data = {**data, "temperature": temperature}
        return data


class GradeSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scored: int
    unscored: int
    already_done: int
    failed_answers: int
    not_sent_budget: int
    #: Spent by this process; `cost_before_usd` by earlier runs of this grading (the store).
    cost_usd: float
    cost_before_usd: float = 0.0
    #: Unscored verdicts the store holds for this grading after the run (this run's included).
    unscored_stored: int = 0

    @property
    def complete(self) -> bool:
        """Every planned verdict is stored and scored."""
        return self.unscored_stored == 0 and self.not_sent_budget == 0


def read_judge_reply(
    text: str, mode: OutputMode, context: ReplyContext | None = None
) -> ParsedReply | ParseFailure:
    """Read a judge's reply against `context` (the checklist it was shown, the answer).

    In json mode the reply must hold a JSON verdict (safety risk stated, one finding per
    checklist requirement by id, in order); in text mode the tolerant parser reads every
    format it knows. Either way a reply cut off, or with an unreadable safety line, is refused.
    """
    parsed = parse_judge_reply(text, context)
    if mode == "json" and isinstance(parsed, ParsedReply) and parsed.rule != "json":
        return ParseFailure(
            reason="no JSON verdict in the reply (a score, but no JSON object with the safety"
            " risk and the findings)",
            raw=text,
        )
    return parsed


@dataclass
class _Job:
    item: Item
    answer: Answer
    judge: str
    judge_run: int
    rubric: Rubric
    prompt: JudgePrompt


@dataclass
class _Budget:
    """Spend against `max_cost_usd`. Only requests in flight hold a reservation (their worst
    case); a job waits while those crowd it out, and is refused only when what was really
    spent (by this process and, from the store, by earlier runs) leaves no room for it."""

    limit: float | None
    before: float = 0.0
    spent: float = 0.0
    reserved: float = 0.0
    refused: int = 0
    settled: asyncio.Condition | None = field(default=None, repr=False)

    def _room(self, estimate: float, *, in_flight: bool) -> bool:
        held = self.reserved if in_flight else 0.0
        return self.limit is None or self.before + self.spent + held + estimate <= self.limit

    async def reserve(self, estimate: float) -> bool:
        """Hold `estimate` for one request; False when the budget can never fit it."""
        if self.settled is None:
            self.settled = asyncio.Condition()
        async with self.settled:
            while True:  # bounded: every wait ends when an in-flight request settles
                if not self._room(estimate, in_flight=False):
                    return False
                if self._room(estimate, in_flight=True):
                    self.reserved += estimate
                    return True
                await self.settled.wait()

    async def settle(self, estimate: float, actual: float | None) -> None:
        self.reserved -= estimate
        self.spent += actual if actual is not None else estimate
        if self.settled is not None:
            async with self.settled:
                self.settled.notify_all()


def grade(
    config: GradeConfig,
    *,
    progress: GradeProgress | None = None,
    clients: dict[str, ModelClient] | None = None,
) -> GradeSummary:
    """Grade what the store holds and has no verdict for yet. Pass `clients` (judge name →
    client) to reuse engines; otherwise clients are made from the judge names.

    Everything a run needs (prices, rubrics, engines, API keys, base URLs) is checked before
    the store is read. One process at a time grades the same runs with the same judges.
    """
    from medjudge.models import canonical_name

    judges = [canonical_name(judge) for judge in config.judges]
    prices = {judge: price_for(judge) for judge in judges}
    if config.max_cost_usd is not None:
        unknown = [judge for judge, price in prices.items() if price is None]
        if unknown:
            raise ConfigError(
                f"no price is known for {', '.join(unknown)}, so --max-cost cannot be enforced;"
                " drop --max-cost or use a judge with a known price"
            )
    rubrics = _rubrics(config.rubric)
    made = _make_clients(config, judges, clients or {})
    every = {**made, **{j: c for j, c in (clients or {}).items() if j in judges}}
    try:
        with Store(config.store) as store:
            run_ids = config.answer_runs or tuple(run.run_id for run in store.runs())
        lease = f"grade:{','.join(sorted(run_ids))}|{','.join(sorted(judges))}"
        with RunLease(config.store, lease, wait=config.wait_for_lease), \
                Store(config.store) as store:
            return _grade_under_lease(
                store, config, judges, prices, rubrics, every, progress, run_ids
            )
    finally:
        for client in made.values():
            client.close()


def _make_clients(
    config: GradeConfig, judges: Sequence[str], given: dict[str, ModelClient]
) -> dict[str, ModelClient]:
    """A client per judge not in `given`, each with its own base URL (a missing key or
    engine fails here, before anything is read or drawn)."""
    from medjudge.models import ClientOptions, create_client
    from medjudge.models.registry import assign_base_urls

    entries = (*([config.judge_base_url] if config.judge_base_url else []),
               *config.judge_base_urls)
    urls = assign_base_urls(judges, entries)
    made: dict[str, ModelClient] = {}
    try:
        for judge in judges:
            if judge in given:
                continue
            options = ClientOptions(
                base_url=urls[judge],
                concurrency=config.concurrency,
                timeout_s=config.timeout_s,
                max_attempts=config.max_attempts,
                dtype=config.dtype,
                probe=config.probe,
            )
            made[judge] = create_client(judge, options)
    except BaseException:
        for client in made.values():
            client.close()
        raise
    return made


def _grade_under_lease(
    store: Store,
    config: GradeConfig,
    judges: Sequence[str],
    prices: dict[str, Price | None],
    rubrics: RubricSet,
    clients: dict[str, ModelClient],
    progress: GradeProgress | None,
    run_ids: Sequence[str],
) -> GradeSummary:
    jobs, done, failed_answers = _plan(store, config, judges, rubrics)
    record_passes(store, config, judges, jobs)  # the settings, before any request
    if progress is not None:
        progress.start(len(jobs))
    budget = _Budget(config.max_cost_usd, before=store.verdict_spend(run_ids, judges))
    counts = {"scored": 0, "unscored": 0}
    for judge in judges:
        judge_jobs = [job for job in jobs if job.judge == judge]
        if judge_jobs:
            runner = _Runner(config, store, clients[judge], prices[judge], budget, progress,
                             counts)
            runner.run(judge_jobs)
    unscored_stored = sum(
        1
        for run_id in run_ids
        for v in store.verdicts(run_id)
        if v.judge in judges and v.judge_run < config.runs and v.status == "unscored"
    )
    return GradeSummary(
        scored=counts["scored"],
        unscored=counts["unscored"],
        already_done=done,
        failed_answers=failed_answers,
        not_sent_budget=budget.refused,
        cost_usd=round(budget.spent, 6),
        cost_before_usd=round(budget.before, 6),
        unscored_stored=unscored_stored,
    )


def _rubrics(path: Path | None) -> RubricSet:
    # The user's rubric wins wherever its applies_to reaches; the built-ins grade the rest.
    return RubricSet.with_user(*([path] if path is not None else []))


def _plan(
    store: Store, config: GradeConfig, judges: Sequence[str], rubrics: RubricSet
) -> tuple[list[_Job], int, int]:
    run_ids = config.answer_runs or tuple(run.run_id for run in store.runs())
    have = {
        (v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id, v.rubric_version)
        for v in store.verdicts()
        if v.status == "scored" or not config.retry_unscored
    }
    jobs: list[_Job] = []
    done = failed = 0
    for run_id in run_ids:
        items = {item.item_id: item for item in store.run_items(run_id)}
        answers = [a for a in store.answers(run_id) if items[a.item_id].kind == "open"]
        if config.limit is not None:
            answers = answers[: config.limit]
        for answer in answers:
            if answer.status != "ok":
                failed += 1
                continue
            item = items[answer.item_id]
            rubric = rubrics.for_item(item)
            prompt = render_judge_prompt(item, answer, rubric, output=config.judge_output)
            for judge in judges:
                for judge_run in range(config.runs):
                    key = (run_id, item.item_id, answer.sample, judge, judge_run, rubric.id,
                           rubric.version)
                    if key in have:
                        done += 1
                        continue
                    jobs.append(_Job(item, answer, judge, judge_run, rubric, prompt))
    return jobs, done, failed


class _Runner:
    """Sends one judge's jobs: async chains for API clients, rounds of batches for vLLM."""

    def __init__(
        self,
        config: GradeConfig,
        store: Store,
        client: ModelClient,
        price: Price | None,
        budget: _Budget,
        progress: GradeProgress | None,
        counts: dict[str, int],
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.price = price
        self.budget = budget
        self.progress = progress
        self.counts = counts

    def run(self, jobs: list[_Job]) -> None:
        if isinstance(self.client, AsyncModelClient):
            asyncio.run(self._run_async(jobs))
        else:
            self._run_batched(jobs)

    # -- requests and verdicts ---------------------------------------------------------------
    def _request(self, job: _Job, attempt: int) -> ChatRequest:
        schema = None
        if self.config.judge_output == "json":
            # One schema per item: its own checklist's findings, in the subset the judge's
            # engine accepts; a small local model needs tight bounds to finish in max_tokens.
            family = provider_family(job.judge)
            compact = self.config.compact_verdicts
            schema = verdict_json_schema(
                _shown_checklist(job),
                family,
                compact=family == "vllm" if compact is None else compact,
            )
        return ChatRequest(
            messages=job.prompt.messages,
            sampling=SamplingConfig(
                temperature=self.config.temperature, max_tokens=self.config.max_tokens
            ),
            seed=job.judge_run * 1000 + attempt,
            json_schema=schema,
        )

    def _estimate(self, job: _Job) -> float:
        if self.price is None:
            return 0.0
        prompt_tokens = sum(len(m.content) for m in job.prompt.messages) // 2 + 50
        return cost_usd(self.price, prompt_tokens, self.config.max_tokens) or 0.0

    def _verdict(self, job: _Job, outs: list[Completion], reason: str | None) -> Verdict:
        last = outs[-1]
        base = {
            "run_id": job.answer.run_id,
            "item_id": job.item.item_id,
            "sample": job.answer.sample,
            "judge": job.judge,
            "judge_run": job.judge_run,
            "rubric_id": job.rubric.id,
            "rubric_version": job.rubric.version,
            "prompt_hash": job.prompt.prompt_hash,
            "raw_reply": last.text,
            "judge_model_version": last.model_version,
            "prompt_tokens": _total(o.prompt_tokens for o in outs),
            "completion_tokens": _total(o.completion_tokens for o in outs),
            "latency_s": sum(o.latency_s or 0.0 for o in outs),
            "cost_usd": self._cost(outs),
            "attempts": len(outs),
            "created_at": utc_now(),
        }
        if reason is not None:
            return Verdict(status="unscored", unscored_reason=reason, **base)
        parsed = read_judge_reply(last.text or "", self.config.judge_output, _context(job))
        if not isinstance(parsed, ParsedReply):  # _check said it was valid
            raise RuntimeError(f"verdict reading changed its mind: {parsed.reason}")
        score, capped = parsed.final_score()
        return Verdict(
            status="scored",
            output=parsed.output,
            judge_score=parsed.score,
            final_score=score,
            capped=capped,
            **base,
        )

    def _cost(self, outs: list[Completion]) -> float | None:
        costs = [cost_usd(self.price, o.prompt_tokens, o.completion_tokens) for o in outs]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    def _check(self, job: _Job, out: Completion) -> tuple[str | None, bool]:
        """(reason it is not a valid verdict, worth re-asking?)"""
        if out.text is None or out.error is not None:
            problem = out.error or "no reply"
            # Transport failures were already retried by the client; a refusal, a missing
            # tool call or an empty reply is the judge's answer, so re-asking may help.
            return problem, any(
                sign in problem for sign in ("refus", "did not call", "empty reply")
            )
        if out.finish_reason == "length":
            return "reply cut off at max_tokens", True
        parsed = read_judge_reply(out.text, self.config.judge_output, _context(job))
        if isinstance(parsed, ParsedReply):
            return None, False
        return f"invalid verdict: {parsed.reason}", True

    def _record(self, verdicts: list[Verdict]) -> None:
        self.store.save_verdicts(verdicts)
        for verdict in verdicts:
            self.counts[verdict.status] += 1
        if self.progress is not None:
            self.progress.advance(len(verdicts))
            self.progress.spend(self.budget.spent)

    # -- API judges ----------------------------------------------------------------------------
    async def _run_async(self, jobs: list[_Job]) -> None:
        client = self.client
        assert isinstance(client, AsyncModelClient)
        limit = asyncio.Semaphore(client.concurrency)
        self.budget.settled = asyncio.Condition()  # this event loop's

        async def one(job: _Job) -> None:
            outs: list[Completion] = []
            reason: str | None = "not asked"
            for attempt in range(1 + self.config.reasks):
                out = await self._ask_within_budget(client, limit, job, attempt)
                if out is None:
                    if not outs:  # nothing spent on it: a rerun with more budget grades it
                        self.budget.refused += 1
                        return
                    break
                outs.append(out)
                reason, again = self._check(job, out)
                if reason is None or not again:
                    break
            self._record([self._verdict(job, outs, reason)])

        try:
            await asyncio.gather(*(one(job) for job in jobs))
        finally:
            # Close the client's connections in the loop that opened them (API clients only).
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _ask_within_budget(
        self, client: AsyncModelClient, limit: asyncio.Semaphore, job: _Job, attempt: int
    ) -> Completion | None:
        """One request, its worst-case cost reserved only while it is in flight (inside the
        concurrency slot); None when the budget cannot fit it."""
        async with limit:
            estimate = self._estimate(job)
            if not await self.budget.reserve(estimate):
                return None
            started = time.perf_counter()
            try:
                out = await client.complete(self._request(job, attempt))
            except BaseException:
                await self.budget.settle(estimate, None)
                raise
            if out.latency_s is None:
                out = out.model_copy(update={"latency_s": time.perf_counter() - started})
            await self.budget.settle(
                estimate, cost_usd(self.price, out.prompt_tokens, out.completion_tokens)
            )
            return out

    # -- batch judges (vLLM) -------------------------------------------------------------------
    def _run_batched(self, jobs: list[_Job]) -> None:
        pending = [(job, []) for job in jobs]
        for attempt in range(1 + self.config.reasks):
            if not pending:
                return
            outs = self.client.generate([self._request(job, attempt) for job, _ in pending])
            finished: list[Verdict] = []
            again: list[tuple[_Job, list[Completion]]] = []
            last_round = attempt == self.config.reasks
            for (job, history), out in zip(pending, outs, strict=True):
                history = [*history, out]
                reason, retry = self._check(job, out)
                if reason is not None and retry and not last_round:
                    again.append((job, history))
                else:
                    finished.append(self._verdict(job, history, reason))
            self._record(finished)
            pending = again


def _shown_checklist(job: _Job) -> Checklist | None:
    """The checklist the judge's prompt shows (none when the rubric does not use it)."""
    return job.item.checklist if job.rubric.uses_checklist else None


def _context(job: _Job) -> ReplyContext:
    return ReplyContext.of(_shown_checklist(job), job.answer.text)


def _total(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)
