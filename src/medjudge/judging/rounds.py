"""Batch judges (vLLM): every pending job in one batch per round; a reply worth re-asking
goes to the next round, the rest become verdicts, until the re-asks run out. With a budget
(a priced local judge), a round sends only the jobs whose worst case fits beside the rest."""

from __future__ import annotations

from medjudge.judging.jobs import GradeJob
from medjudge.judging.runner import Checked, JudgeRunner
from medjudge.records import Completion, Verdict
from medjudge.store.spend_rows import SpendEntry

__all__ = ["run_rounds"]

#: A job still to ask: its replies so far and what checking the last one found.
_Pending = tuple[GradeJob, list[Completion], Checked]


def run_rounds(runner: JudgeRunner, jobs: list[GradeJob]) -> None:
    """Send every job to `runner`'s batch client, one batch per round of asking."""
    pending: list[_Pending] = [(job, [], Checked("not asked", False)) for job in jobs]
    for attempt in range(1 + runner.config.reasks):
        if not pending:
            return
        sent, held = _within_budget(runner, pending)
        requests = [runner.request(job, attempt) for job, _, _ in sent]
        outs = runner.client.generate(requests) if requests else []
        finished: list[Verdict] = [
            runner.verdict(job, history, checked) for job, history, checked in held
        ]
        spend: list[SpendEntry | None] = []
        reasked: list[SpendEntry | None] = []
        again: list[_Pending] = []
        last_round = attempt == runner.config.reasks
        for (job, history, _), out in zip(sent, outs, strict=True):
            entry = runner.spend(job, out, attempt)
            runner.budget.release(runner.estimate(job), 0.0 if entry is None else entry.cost_usd)
            history = [*history, out]
            checked = runner.check(job, out)
            if checked.reason is not None and checked.again and not last_round:
                again.append((job, history, checked))
                reasked.append(entry)
            else:
                finished.append(runner.verdict(job, history, checked))
                spend.append(entry)
        runner.record_spend(reasked)
        runner.record(finished, spend=spend)
        pending = again


def _within_budget(runner: JudgeRunner, pending: list[_Pending]) -> tuple[list, list]:
    """(jobs sent this round, re-asks the budget holds back: they end with their last
    reply). A first ask held back is not sent at all: a rerun with more budget grades it."""
    sent, held = [], []
    for job, history, checked in pending:
        if runner.budget.try_reserve(runner.estimate(job)):
            sent.append((job, history, checked))
        elif history:
            held.append((job, history, checked))
        else:
            runner.budget.refused += 1
    return sent, held
