"""What a grading asks, known before its first request, and its jobs made as they are taken.

`plan_grading` reads every answer's key and status only (not its text or messages): how
many verdicts are missing, which rubrics each (run, judge) pass uses, how many answers
failed. That is what must be known before anything is sent (the passes' settings, the
progress total). The `GradeJob`s themselves, which need each answer read whole, are made
by `GradePlan.jobs_of` a page of answers at a time as a judge's workers take them, so the
first requests go out while the rest of the answers are still in the store; a page costs
the event loop about a millisecond.

The jobs are those a plan made all at once would hold, in the same order (run, answer in
the order stored, judge, judge run), each answer's prompt shared by its judges and judge
runs. An answer that is no longer ok when it is read (re-answered as failed by another
process meanwhile) is counted as a failed answer and asked about by no judge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

from medjudge.errors import StoreError
from medjudge.judging.batch_rounds import reopened_keys
from medjudge.judging.grade_config import GradeConfig
from medjudge.judging.jobs import GradeJob, PromptSource
from medjudge.judging.prompt import OutputMode
from medjudge.judging.rubric import Rubric, RubricSet
from medjudge.records import Item
from medjudge.store import Store

__all__ = ["PAGE", "GradePlan", "plan_grading"]

#: Answers read whole at a time while a judge's jobs are taken (~50 µs of CPU each).
PAGE = 16


@dataclass(frozen=True, slots=True)
class _Planned:
    """One answer with verdicts to ask for: its item and rubric, and the (judge, judge run)
    pairs missing from the store, in the order asked."""

    item: Item
    sample: int
    rubric: Rubric
    asks: tuple[tuple[str, int], ...]


@dataclass
class GradePlan:
    """A grading's counts and passes (known before any request) and its jobs (made as taken)."""

    store: Store
    output: OutputMode
    #: Per answer run, in order: its answers with something to ask.
    runs: list[tuple[str, list[_Planned]]]
    #: Verdicts to ask for, per judge.
    counts: dict[str, int]
    #: Verdicts already stored, and answers not ok (none of their verdicts is asked).
    done: int
    failed: int
    #: (answer run, judge) -> the (rubric id, version) pairs its requests use, in the order
    #: first met; a pass with nothing to ask is not here.
    pass_rubrics: dict[tuple[str, str], dict[tuple[str, str], None]]
    _held: dict[str, list[GradeJob]] = field(default_factory=dict)
    _stream: Iterator[list[GradeJob]] | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def jobs_of(self, judge: str) -> Iterator[GradeJob]:
        """`judge`'s jobs in plan order. Other judges' jobs made on the way (they share each
        answer's prompt) are held for their turn."""
        if self._stream is None:
            self._stream = self._jobs_by_answer()
        yield from self._held.pop(judge, [])
        for jobs in self._stream:
            for job in jobs:
                if job.judge == judge:
                    yield job
                else:
                    self._held.setdefault(job.judge, []).append(job)

    def all_jobs(self) -> list[GradeJob]:
        """Every job at once, in plan order (all judges)."""
        if self._stream is not None:
            raise RuntimeError("all_jobs() reads a plan no judge has taken jobs from")
        return [job for jobs in self._jobs_by_answer() for job in jobs]

    def _jobs_by_answer(self) -> Iterator[list[GradeJob]]:
        for run_id, planned in self.runs:
            for start in range(0, len(planned), PAGE):
                page = planned[start:start + PAGE]
                answers = self.store.answers_by_key(
                    run_id, [(p.item.item_id, p.sample) for p in page]
                )
                for entry in page:
                    answer = answers.get((entry.item.item_id, entry.sample))
                    if answer is None:
                        raise StoreError(
                            f"{self.store.path}: answer {entry.item.item_id} (sample"
                            f" {entry.sample}) of run {run_id} left the store while it was"
                            " being graded; verdicts stored so far are kept: run the same"
                            " command again"
                        )
                    if answer.status != "ok":
                        self.failed += 1
                        continue
                    source = PromptSource(entry.item, answer, entry.rubric, self.output)
                    yield [GradeJob(entry.item, answer, judge, judge_run, entry.rubric, source)
                           for judge, judge_run in entry.asks]


def plan_grading(
    store: Store, config: GradeConfig, judges: Sequence[str], rubrics: RubricSet
) -> GradePlan:
    """What grading these runs with these judges asks: the answers' keys and statuses are
    read now (the first `config.limit` open answers of each run), no answer whole."""
    run_ids = config.answer_runs or tuple(run.run_id for run in store.runs())
    have = store.verdict_keys(scored_only=config.retry_unscored)
    if config.batch:  # unscored while a batch request of theirs is not finished with
        have -= reopened_keys(store, judges)
    counts = dict.fromkeys(judges, 0)
    pass_rubrics: dict[tuple[str, str], dict[tuple[str, str], None]] = {}
    runs: list[tuple[str, list[_Planned]]] = []
    done = failed = 0
    for run_id in run_ids:
        items = {item.item_id: item for item in store.run_items(run_id)}
        chosen: dict[str, Rubric] = {}  # each item's rubric, chosen once for all its samples
        states = (s for s in store.answer_states(run_id) if items[s.item_id].kind == "open")
        planned: list[_Planned] = []
        for state in islice(states, config.limit):  # the first `limit` read, no more
            if not state.ok:
                failed += 1
                continue
            item = items[state.item_id]
            rubric = chosen.get(item.item_id)
            if rubric is None:
                rubric = chosen[item.item_id] = rubrics.for_item(item)
            asks = []
            for judge in judges:
                for judge_run in range(config.runs):
                    key = (run_id, item.item_id, state.sample, judge, judge_run, rubric.id,
                           rubric.version)
                    if key in have:
                        done += 1
                        continue
                    asks.append((judge, judge_run))
                    counts[judge] += 1
                    pass_rubrics.setdefault((run_id, judge), {})[(rubric.id, rubric.version)] = None
            if asks:
                planned.append(_Planned(item, state.sample, rubric, tuple(asks)))
        runs.append((run_id, planned))
    return GradePlan(store, config.judge_output, runs, counts, done, failed, pass_rubrics)
