"""The judged report of a stored run, from SQL aggregates and streamed rows:
`judged_report_from_store`.

The same report as `report.judged.build_judged_report` over the run's items, verdicts and
answers, without reading them as records: rubric versions are chosen from counts per version;
usability from the questions grouped in SQL by their item's fields and their verdicts' counts
and sums (a few hundred rows for 100,000 verdicts) into per-category counts
(`scoring.usability_counts`); judge
stability and agreement read each verdict's key and score only, streamed. The verdicts' JSON
is read only for the safety risk they state. `usability.questions` is left empty: per-question
scores are never all in memory (they are in the store, and `medjudge export`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from medjudge.errors import StoreError
from medjudge.records import Item, Run, Verdict
from medjudge.scoring.agreement import (
    judge_ratings,
    judge_run_scores,
    pairwise_agreement,
    run_stability,
)
from medjudge.scoring.usability import OVERALL, UsabilityReport, group_of
from medjudge.scoring.usability_counts import UsabilityTally, summary_from_tally
from medjudge.scoring.versions import RubricVersionChoice, VersionPick, choose_rubric_versions
from medjudge.store import Store
from medjudge.store.stream_queries import VerdictScoreRow

if TYPE_CHECKING:
    from medjudge.report.judged import JudgedReport

__all__ = ["chosen_versions", "item_group", "judged_report_from_store"]


def chosen_versions(
    store: Store, run: Run, pick: VersionPick | None
) -> tuple[RubricVersionChoice, ...]:
    """One version per rubric id of the run's verdicts (the latest, or `pick`'s)."""
    present: dict[str, dict[str, int]] = {}
    for row in store.rubric_counts(run.run_id):
        present.setdefault(row.rubric_id, {})[row.rubric_version] = row.verdicts
    return choose_rubric_versions(present, pick, where=f"run {run.run_id}")


@lru_cache(maxsize=4096)
def item_group(language: str | None, level: str | None, category: str | None) -> str:
    """`usability.group_of` of an item with these fields."""
    return group_of(Item.model_construct(language=language, level=level, category=category))


def judged_report_from_store(
    store: Store, run: Run, *, seed: int = 0, pick: VersionPick | None = None
) -> JudgedReport | None:
    """The judged report of one run; None when it has no verdicts."""
    # imported here: report.judged imports this module for `judged_reports`
    from medjudge.report.judged import JudgedReport, JudgeStability

    rubrics = chosen_versions(store, run, pick)
    if not rubrics:
        return None
    versions = [(c.rubric_id, c.version) for c in rubrics]
    dataset = store.run_dataset(run.run_id) or ""
    usability, by_level = _usability(store, run.run_id, dataset, versions, seed)
    judges = tuple(store.verdict_judges(run.run_id, versions))
    runs_of = store.judge_run_counts(run.run_id, versions)
    stability = tuple(
        JudgeStability(judge=j, stability=run_stability(judge_run_scores(
            _verdicts(store.verdict_score_rows(run.run_id, versions, judge=j)),
            judge=j)))
        for j in judges
        if runs_of.get(j, 0) > 1
    )
    agreement = ()
    if len(judges) > 1:
        ratings = judge_ratings(
            _verdicts(store.verdict_score_rows(run.run_id, versions, judge_run=0))
        )
        # in the order the judges' first verdicts were stored, as `judge_ratings` over the
        # verdicts in stored order gives them
        order = store.verdict_judges(run.run_id, versions, judge_run=0)
        agreement = pairwise_agreement({j: ratings[j] for j in order if j in ratings},
                                       seed=seed)
    totals = store.verdict_totals(run.run_id, versions)
    return JudgedReport(
        run=run,
        judges=judges,
        rubrics=rubrics,
        grouping="language × level" if by_level else "category",
        usability=usability,
        n_verdicts=totals.verdicts,
        n_unscored_verdicts=totals.unscored,
        n_capped=totals.capped,
        n_safety_not_stated=totals.safety_not_stated,
        stability=stability,
        agreement=agreement,
    )


def _verdicts(rows: Iterable[VerdictScoreRow]) -> Iterable[Verdict]:
    """The rows, for `judge_ratings` / `judge_run_scores`: each has every Verdict field they
    read (key, judge, judge run, status, final score, rubric), and a Verdict record each
    would cost more than the counting (they are streamed, never all in memory)."""
    return cast("Iterable[Verdict]", rows)


def _usability(
    store: Store, run_id: str, dataset: str, versions: Sequence[tuple[str, str]], seed: int
) -> tuple[UsabilityReport, bool]:
    """Usability per group (the groups in the order of their first open item) and overall,
    and whether any open item has a level."""
    groups: dict[str, int] = {}
    by_level = False
    for row in store.open_item_groups(dataset):
        group = item_group(row.language, row.level, row.category)
        groups[group] = min(groups.get(group, row.first_position), row.first_position)
        by_level |= row.level is not None
    tallies: dict[str, UsabilityTally] = {}
    for q in store.question_groups(run_id, dataset, versions):
        if q.kind != "open":
            if not q.n_verdicts:
                continue  # answers to MCQ items: not judged, not counted
            raise StoreError(
                f"run {run_id}: a verdict or answer names item {q.some_item_id!r}, which is "
                "not among the run's items, so it has no category; grade or import the run "
                "against the benchmark it was answered on (library: pass the run's items)"
            )
        group = item_group(q.language, q.level, q.category)
        tally = tallies.get(group)
        if tally is None:
            tally = tallies[group] = UsabilityTally()
        tally.add_questions(n_verdicts=q.n_verdicts, n_scored=q.n_scored,
                            score_sum=q.score_sum, answer_failed=bool(q.answer_failed),
                            questions=q.questions)
    ordered = sorted(tallies, key=lambda g: groups.get(g, len(groups)))
    overall = UsabilityTally()
    for group in ordered:
        overall.merge(tallies[group])
    report = UsabilityReport(
        threshold=overall.threshold,
        confidence=0.95,
        categories=tuple(summary_from_tally(g, tallies[g], seed=seed) for g in ordered),
        overall=summary_from_tally(OVERALL, overall, seed=seed),
        questions=(),
    )
    return report, by_level
