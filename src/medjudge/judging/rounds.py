"""Batch judges (vLLM): every pending job in one batch per round; a reply worth re-asking
goes to the next round, the rest become verdicts, until the re-asks run out."""

from __future__ import annotations

from medjudge.judging.jobs import GradeJob
from medjudge.judging.runner import JudgeRunner
from medjudge.records import Completion, Verdict

__all__ = ["run_rounds"]


def run_rounds(runner: JudgeRunner, jobs: list[GradeJob]) -> None:
    """Send every job to `runner`'s batch client, one batch per round of asking."""
    pending = [(job, []) for job in jobs]
    for attempt in range(1 + runner.config.reasks):
        if not pending:
            return
        outs = runner.client.generate([runner.request(job, attempt) for job, _ in pending])
        finished: list[Verdict] = []
        again: list[tuple[GradeJob, list[Completion]]] = []
        last_round = attempt == runner.config.reasks
        for (job, history), out in zip(pending, outs, strict=True):
            history = [*history, out]
            checked = runner.check(job, out)
            if checked.reason is not None and checked.again and not last_round:
                again.append((job, history))
            else:
                finished.append(runner.verdict(job, history, checked))
        runner.record(finished)
        pending = again
