"""MCQ accuracy tables: per language × level, as AnesBench reports them.

`build_accuracy_table` turns scored items (`McqResult`) into an `AccuracyTable`: one row per
language (en, zh, and "all" when both are present), one column per level (System 1,
System 1.x, System 2, then "Total"). Each cell holds the number of items, the accuracy of
the first sample with a percentile-bootstrap CI over items, the same for strict extraction
(explicit markers only, `medjudge.scoring.mcq.strict_choice`) beside it, the unanswered rate,
the failed answers, and with N > 1 samples the majority-vote accuracy (+ CI) and the mean per-sample
accuracy (+ CI).

Counting rules, so every number can be checked by hand:
- an item counts once per cell; its first sample (sample 0) gives "accuracy";
- a sample whose answer failed counts as wrong and unanswered, and is also counted in
  `failed` (first sample) and `failed_samples` (all); nothing is dropped from a denominator;
- a majority-vote tie (or no answer in any sample) counts as wrong and unanswered;
- strict accuracy counts the items whose first score records a strict extraction
  (`strict_scored`); scores stored before strict extraction existed are left out of it;
- items with no level count in "Total" only; when some items of the table have a level and
  others do not, a "No level" column holds the latter, so the level columns add up to Total.

The renderers (`render_rich`, `to_json`, `to_csv`, `to_markdown`) live in `report.mcq_render`
and only format a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medjudge.records import LEVEL_NAMES, Item, Language, McqScore
from medjudge.scoring.stats import Interval, bootstrap_ci

__all__ = [
    "ALL_LANGUAGES",
    "FAILED_ANSWER_RULE",
    "NO_LEVEL",
    "TOTAL",
    "AccuracyCell",
    "AccuracyTable",
    "McqResult",
    "VoteStats",
    "build_accuracy_table",
    "level_name",
]

#: Row label of the pooled languages, present when the table has more than one language.
ALL_LANGUAGES = "all"
#: Column label of every item, whatever its level.
TOTAL = "Total"
#: Column label of the items without a level, when other items of the table have one.
NO_LEVEL = "No level"
#: `McqScore.rule` of an answer that failed (`Answer.status == "failed"`): one of the
#: scorer's rules (`medjudge.scoring.mcq.Rule`).
FAILED_ANSWER_RULE = "failed-answer"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- input


class McqResult(_Model):
    """One MCQ item with its scores, one per sample (sorted by sample on construction).

    A score whose rule is `FAILED_ANSWER_RULE` stands for an answer that failed: it must be
    unanswered and wrong. The first score (sample 0 when present) is the one single-sample
    accuracy uses.
    """

    item: Item
    scores: tuple[McqScore, ...] = Field(min_length=1)

    @field_validator("scores")
    @classmethod
    def _sorted_by_sample(cls, scores: tuple[McqScore, ...]) -> tuple[McqScore, ...]:
        ordered = tuple(sorted(scores, key=lambda s: s.sample))
        samples = [s.sample for s in ordered]
        if len(set(samples)) != len(samples):
            raise ValueError(f"two scores for one sample: samples {samples}")
        return ordered

    @model_validator(mode="after")
    def _consistent(self) -> McqResult:
        item = self.item
        if item.kind != "mcq":
            raise ValueError(f"item {item.item_id} is a {item.kind!r} item, not an MCQ")
        for score in self.scores:
            if score.item_id != item.item_id:
                raise ValueError(f"score for item {score.item_id} given with item {item.item_id}")
            if score.rule == FAILED_ANSWER_RULE and (score.correct or score.choice is not None):
                raise ValueError(
                    f"sample {score.sample} of item {item.item_id} failed "
                    "but is scored as answered"
                )
        if len({s.run_id for s in self.scores}) > 1:
            raise ValueError(f"scores of item {item.item_id} come from more than one run")
        return self

    @property
    def failed_samples(self) -> frozenset[int]:
        """The samples whose answer failed."""
        return frozenset(s.sample for s in self.scores if s.rule == FAILED_ANSWER_RULE)


def level_name(level: str | None) -> str | None:
    """The display name of an item's level: "1"/"2"/"3" → LEVEL_NAMES; blank → None."""
    if level is None or not level.strip():
        return None
    text = level.strip()
    if text.isdigit() and int(text) in LEVEL_NAMES:
        return LEVEL_NAMES[int(text)]
    for name in LEVEL_NAMES.values():
        if text.casefold() == name.casefold():
            return name
    return text


# --------------------------------------------------------------------------- output


class VoteStats(_Model):
    """Numbers that need N > 1 samples per item."""

    #: Samples per item the vote ran over (the most any item of the cell has).
    samples: int
    correct: int
    accuracy: float
    ci: Interval
    #: Items whose vote is a tie or had no answer at all: counted wrong.
    unanswered: int
    unanswered_rate: float
    #: Mean over items of the share of an item's samples that are correct.
    mean_sample_accuracy: float
    mean_sample_ci: Interval


class AccuracyCell(_Model):
    """One language × level: single-sample accuracy, and vote statistics when N > 1."""

    language: str
    level: str
    n: int
    #: Items whose first sample is correct.
    correct: int
    #: correct / n; None when the cell has no items (and so are the CI and rates).
    accuracy: float | None
    ci: Interval | None
    #: Items whose first score records a strict extraction (older scores do not).
    strict_scored: int = 0
    #: Items whose first sample's strict letter (explicit markers only) is correct.
    strict_correct: int = 0
    #: strict_correct / strict_scored; None when no item has a strict extraction.
    strict_accuracy: float | None = None
    strict_ci: Interval | None = None
    #: Items whose first sample gave no single choice (failed answers included).
    unanswered: int
    unanswered_rate: float | None
    #: Items whose first-sample answer failed.
    failed: int
    #: Failed answers over all samples of the cell's items.
    failed_samples: int
    vote: VoteStats | None = None


class AccuracyTable(_Model):
    """Accuracy per language (rows) × level (columns), cells in row-major order."""

    benchmarks: tuple[str, ...]
    run_ids: tuple[str, ...]
    languages: tuple[str, ...]
    levels: tuple[str, ...]
    #: The most samples any item has; vote statistics are given when it is above 1.
    samples: int
    confidence: float
    n_resamples: int
    seed: int
    cells: tuple[AccuracyCell, ...]

    def cell(self, language: str, level: str) -> AccuracyCell:
        """The cell of one row and column; KeyError names the rows and columns there are."""
        for cell in self.cells:
            if cell.language == language and cell.level == level:
                return cell
        raise KeyError(
            f"no cell ({language!r}, {level!r}); rows {self.languages}, columns {self.levels}"
        )


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class _Outcome:
    """What the table needs to know about one item."""

    language: str
    level: str | None
    correct: bool
    #: Whether the strict letter is correct; None when the score predates strict extraction.
    strict_correct: bool | None
    answered: bool
    failed: bool
    failed_samples: int
    samples: int
    vote_correct: bool
    vote_answered: bool
    sample_accuracy: float


def build_accuracy_table(
    results: Sequence[McqResult],
    *,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = 2000,
) -> AccuracyTable:
    """Tabulate scored MCQ items per language × level with bootstrap CIs over items.

    Raises ValueError when one item (same run, benchmark and id) appears twice.
    """
    _check_unique(results)
    outcomes = [_outcome(r) for r in results]
    languages = _languages(outcomes)
    levels = _levels(outcomes)
    samples = max((o.samples for o in outcomes), default=0)
    ci = partial(bootstrap_ci, seed=seed, confidence=confidence, n_resamples=n_resamples)
    cells = tuple(
        _cell(language, level, _select(outcomes, language, level), samples, ci)
        for language in languages
        for level in levels
    )
    return AccuracyTable(
        benchmarks=tuple(sorted({r.item.benchmark for r in results})),
        run_ids=tuple(sorted({r.scores[0].run_id for r in results})),
        languages=languages,
        levels=levels,
        samples=samples,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        cells=cells,
    )


def _check_unique(results: Sequence[McqResult]) -> None:
    seen: set[tuple[str, str, str]] = set()
    for result in results:
        key = (result.scores[0].run_id, result.item.benchmark, result.item.item_id)
        if key in seen:
            raise ValueError(
                f"item {key[2]} of {key[1]} (run {key[0]}) is given twice; "
                "each item must appear once"
            )
        seen.add(key)


def _outcome(result: McqResult) -> _Outcome:
    from medjudge.scoring.mcq import strict_correct  # the scorer owns what counts as correct

    first = result.scores[0]
    failed = result.failed_samples
    vote_correct, vote_answered = _vote(result)
    return _Outcome(
        language=result.item.language,
        level=level_name(result.item.level),
        correct=first.correct,
        strict_correct=strict_correct(result.item, first),
        answered=first.choice is not None,
        failed=first.sample in failed,
        failed_samples=len(failed),
        samples=len(result.scores),
        vote_correct=vote_correct,
        vote_answered=vote_answered,
        sample_accuracy=sum(s.correct for s in result.scores) / len(result.scores),
    )


def _vote(result: McqResult) -> tuple[bool, bool]:
    """(correct, answered) of the majority vote over the item's samples."""
    if len(result.scores) == 1:
        first = result.scores[0]
        return first.correct, first.choice is not None
    from medjudge.scoring.mcq import majority_vote  # the scorer owns the voting rule

    voted = majority_vote([s.choice for s in result.scores])
    if voted is None:
        return False, False
    # The scorer decides what counts as correct; a voted letter is as correct as its samples.
    return any(s.correct for s in result.scores if s.choice == voted), True


def _languages(outcomes: Sequence[_Outcome]) -> tuple[str, ...]:
    present = {o.language for o in outcomes}
    rows = [language for language in get_args(Language) if language in present]
    rows += sorted(present - set(rows))
    return (*rows, ALL_LANGUAGES) if len(rows) > 1 else tuple(rows)


def _levels(outcomes: Sequence[_Outcome]) -> tuple[str, ...]:
    present = {o.level for o in outcomes if o.level is not None}
    known = [name for name in LEVEL_NAMES.values() if name in present]
    columns = known + sorted(present - set(known))
    if columns and any(o.level is None for o in outcomes):
        columns.append(NO_LEVEL)
    return (*columns, TOTAL)


def _select(outcomes: Sequence[_Outcome], language: str, level: str) -> list[_Outcome]:
    return [
        o
        for o in outcomes
        if language in (ALL_LANGUAGES, o.language)
        and (level == TOTAL or (o.level or NO_LEVEL) == level)
    ]


def _cell(
    language: str,
    level: str,
    outcomes: Sequence[_Outcome],
    samples: int,
    ci: Callable[[Sequence[float]], Interval | None],
) -> AccuracyCell:
    n = len(outcomes)
    correct = sum(o.correct for o in outcomes)
    unanswered = sum(not o.answered for o in outcomes)
    strict = [float(o.strict_correct) for o in outcomes if o.strict_correct is not None]
    return AccuracyCell(
        language=language,
        level=level,
        n=n,
        correct=correct,
        accuracy=correct / n if n else None,
        ci=ci([float(o.correct) for o in outcomes]),
        strict_scored=len(strict),
        strict_correct=int(sum(strict)),
        strict_accuracy=sum(strict) / len(strict) if strict else None,
        strict_ci=ci(strict),
        unanswered=unanswered,
        unanswered_rate=unanswered / n if n else None,
        failed=sum(o.failed for o in outcomes),
        failed_samples=sum(o.failed_samples for o in outcomes),
        vote=_vote_stats(outcomes, ci) if n and samples > 1 else None,
    )


def _vote_stats(
    outcomes: Sequence[_Outcome], ci: Callable[[Sequence[float]], Interval | None]
) -> VoteStats:
    n = len(outcomes)
    correct = sum(o.vote_correct for o in outcomes)
    unanswered = sum(not o.vote_answered for o in outcomes)
    per_item = [o.sample_accuracy for o in outcomes]
    vote_ci = ci([float(o.vote_correct) for o in outcomes])
    mean_ci = ci(per_item)
    if vote_ci is None or mean_ci is None:
        raise ValueError("vote statistics need at least one item")
    return VoteStats(
        samples=max(o.samples for o in outcomes),
        correct=correct,
        accuracy=correct / n,
        ci=vote_ci,
        unanswered=unanswered,
        unanswered_rate=unanswered / n,
        mean_sample_accuracy=sum(per_item) / n,
        mean_sample_ci=mean_ci,
    )
