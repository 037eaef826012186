"""Grading orchestration: every stored answer to an open item, by every judge, `runs` times.

A judge reply that does not validate is re-asked (bounded) and then recorded as *unscored*
with its reason and raw reply; no score is ever fabricated. Verdicts already in the store
are never requested again. `max_cost_usd` stops before the budget would be passed.

The steps live beside it: `grade_config` (what a grading is given and reports), `plan`
(what it asks: counted first, each job made as it is taken, so API judges' first requests go
out while later answers are still unread), `jobs`, `runner` (one judge's requests and
verdicts), `chains` (API judges), `rounds` (vLLM), `budget`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from medjudge.errors import ConfigError
from medjudge.judging.batch_rounds import check_batch_judges, grade_in_batches
from medjudge.judging.budget import Budget
from medjudge.judging.chains import run_chains
from medjudge.judging.grade_config import GradeConfig, GradeProgress, GradeSummary
from medjudge.judging.jobs import GradeJob, read_judge_reply
from medjudge.judging.passes import record_passes
from medjudge.judging.plan import GradePlan, plan_grading
from medjudge.judging.rounds import run_rounds
from medjudge.judging.rubric import RubricSet
from medjudge.judging.runner import JudgeRunner
from medjudge.models.base import AsyncModelClient, ModelClient
from medjudge.models.pricing import Price, price_for
from medjudge.store import Store
from medjudge.store.lease import RunLease

__all__ = ["GradeConfig", "GradeProgress", "GradeSummary", "grade", "read_judge_reply"]


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
    prices = _prices(config, judges)
    rubrics = _rubrics(config.rubric)
    made = _make_clients(config, judges, clients or {})
    every = {**made, **{j: c for j, c in (clients or {}).items() if j in judges}}
    # Before the store is read: the judges graded through a batch API, and its provider.
    batch_apis = check_batch_judges(every) if config.batch else {}
    try:
        run_ids = _answer_runs(config)
        with RunLease(config.store, _lease_name(run_ids, judges), wait=config.wait_for_lease), \
                Store(config.store) as store:
            return _grade_under_lease(
                store, config, judges, prices, rubrics, every, progress, run_ids, batch_apis
            )
    finally:
        for client in made.values():
            client.close()


def _prices(config: GradeConfig, judges: Sequence[str]) -> dict[str, Price | None]:
    """Each judge's price (the user's first); with a budget, every judge must have one."""
    prices = {judge: price_for(judge, config.prices) for judge in judges}
    if config.max_cost_usd is not None:
        unknown = [judge for judge, price in prices.items() if price is None]
        if unknown:
            raise ConfigError(
                f"no price is known for {', '.join(unknown)}, so --max-cost cannot be enforced;"
                f" give one with --price {unknown[0]}=IN,OUT (USD per million input, output"
                " tokens) or --price-file, or drop --max-cost"
            )
    return prices


def _answer_runs(config: GradeConfig) -> tuple[str, ...]:
    """The answer runs to grade: the ones named, else every run the store holds."""
    with Store(config.store) as store:
        return config.answer_runs or tuple(run.run_id for run in store.runs())


def _lease_name(run_ids: Sequence[str], judges: Sequence[str]) -> str:
    return f"grade:{','.join(sorted(run_ids))}|{','.join(sorted(judges))}"


def _make_clients(
    config: GradeConfig, judges: Sequence[str], given: dict[str, ModelClient]
) -> dict[str, ModelClient]:
    """A client per judge not in `given`, each with its own base URL (a missing key or
    engine fails here, before anything is read or drawn)."""
    from medjudge.models import create_client
    from medjudge.models.registry import assign_base_urls

    entries = (*([config.judge_base_url] if config.judge_base_url else []),
               *config.judge_base_urls)
    urls = assign_base_urls(judges, entries)
    made: dict[str, ModelClient] = {}
    try:
        for judge in judges:
            if judge in given:
                continue
            made[judge] = create_client(judge, config.client_options(urls[judge]))
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
    batch_apis: dict[str, str],
) -> GradeSummary:
    # Only the answers' keys are read now: each judge's jobs are made as its workers take them.
    plan = plan_grading(store, config, judges, rubrics)
    # The settings, before any request.
    pass_ids = record_passes(store, config, judges, plan.pass_rubrics, batch_apis)
    if progress is not None:
        progress.start(plan.total)
    # What these judges really spent on these runs before (the ledger), for --max-cost.
    before = store.spent_usd("grade", run_ids, {
        judge: None if p is None else (p.input_per_mtok, p.output_per_mtok)
        for judge, p in prices.items()
    })
    budget = Budget(config.max_cost_usd, before=before)
    counts = {"scored": 0, "unscored": 0}
    batched = []
    for judge in judges:
        if plan.counts[judge]:
            in_batches = judge in batch_apis
            runner = JudgeRunner(config, store, clients[judge], prices[judge], budget, progress,
                                 counts, pass_ids, batch=in_batches)
            if in_batches:
                batched.append((runner, list(plan.jobs_of(judge))))
            else:
                _send(runner, plan, judge)
    if batched:
        asyncio.run(grade_in_batches(batched, poll_interval_s=config.poll_interval_s,
                                     run_ids=run_ids))
    return GradeSummary(
        scored=counts["scored"],
        unscored=counts["unscored"],
        already_done=plan.done,
        failed_answers=plan.failed,
        not_sent_budget=budget.refused,
        cost_usd=round(budget.spent, 6),
        cost_before_usd=round(budget.before, 6),
        unscored_stored=_unscored_stored(store, config, judges, run_ids),
    )


def _send(runner: JudgeRunner, plan: GradePlan, judge: str) -> None:
    """Async chains for API clients, their jobs made as they are taken; rounds of batches for
    vLLM (every job of a round is in one batch, so they are all made first)."""
    if isinstance(runner.client, AsyncModelClient):
        asyncio.run(run_chains(runner, plan.jobs_of(judge), plan.counts[judge]))
    else:
        run_rounds(runner, list(plan.jobs_of(judge)))


def _unscored_stored(
    store: Store, config: GradeConfig, judges: Sequence[str], run_ids: Sequence[str]
) -> int:
    """Unscored verdicts the store holds for this grading (these runs, judges, judge runs)."""
    return store.count_unscored(run_ids, judges, config.runs)


def _rubrics(path: Path | None) -> RubricSet:
    # The user's rubric wins wherever its applies_to reaches; the built-ins grade the rest.
    return RubricSet.with_user(*([path] if path is not None else []))


def _plan(
    store: Store, config: GradeConfig, judges: Sequence[str], rubrics: RubricSet
) -> tuple[list[GradeJob], int, int]:
    """Every job of a grading at once, with the verdicts already stored and the answers not
    ok: what `grade` would send, for a caller that wants the whole list."""
    plan = plan_grading(store, config, judges, rubrics)
    return plan.all_jobs(), plan.done, plan.failed
