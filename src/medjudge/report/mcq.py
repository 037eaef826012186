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

Every cell is a function of counts (`_Tally`: items, correct, ..., and how many items had k
of N samples right), the CIs too (`stats.mean_ci`, the same bootstrap as over the items'
values), so `report.mcq_store.accuracy_table_from_store` streams a run's scores from the store one item at a
time and keeps only counts: memory does not grow with the run. `build_accuracy_table` tabulates
`McqResult`s in memory through the same counts.

The renderers (`render_rich`, `to_json`, `to_csv`, `to_markdown`) live in `report.mcq_render`
and only format a table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medjudge.records import LEVEL_NAMES, Item, Language, McqScore
from medjudge.scoring.stats import Interval, mean_ci

__all__ = [
    "ALL_LANGUAGES",
    "FAILED_ANSWER_RULE",
    "NO_LEVEL",
    "TOTAL",
    "AccuracyCell",
    "AccuracyTable",
    "AccuracyTallies",
    "ItemOutcome",
    "McqResult",
    "VoteStats",
    "build_accuracy_table",
    "level_name",
    "vote_of",
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


@dataclass(frozen=True, slots=True)
class ItemOutcome:
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
    #: Correct samples of the item (sample accuracy = sample_correct / samples).
    sample_correct: int


@dataclass(slots=True)
class _Tally:
    """Counts over the items of one language × level (or of several, merged): everything a
    cell holds is a function of these, the CIs included (`stats.mean_ci`)."""

    n: int = 0
    correct: int = 0
    strict_scored: int = 0
    strict_correct: int = 0
    unanswered: int = 0
    failed: int = 0
    failed_samples: int = 0
    samples: int = 0
    vote_correct: int = 0
    vote_unanswered: int = 0
    #: (correct samples, samples) -> items: the per-item sample accuracies, as counts.
    sample_accuracy: Counter[tuple[int, int]] = field(default_factory=Counter)

    def add(self, o: ItemOutcome) -> None:
        self.n += 1
        self.correct += o.correct
        if o.strict_correct is not None:
            self.strict_scored += 1
            self.strict_correct += o.strict_correct
        self.unanswered += not o.answered
        self.failed += o.failed
        self.failed_samples += o.failed_samples
        self.samples = max(self.samples, o.samples)
        self.vote_correct += o.vote_correct
        self.vote_unanswered += not o.vote_answered
        self.sample_accuracy[(o.sample_correct, o.samples)] += 1

    def merge(self, other: _Tally) -> None:
        for name in ("n", "correct", "strict_scored", "strict_correct", "unanswered", "failed",
                     "failed_samples", "vote_correct", "vote_unanswered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.samples = max(self.samples, other.samples)
        self.sample_accuracy.update(other.sample_accuracy)


class AccuracyTallies:
    """One `_Tally` per (language, level) seen, filled one item at a time; then the table."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str | None], _Tally] = {}
        self.benchmarks: set[str] = set()
        self.run_ids: set[str] = set()

    def add(self, outcome: ItemOutcome, *, benchmark: str, run_id: str) -> None:
        key = (outcome.language, outcome.level)
        tally = self.groups.get(key)
        if tally is None:
            tally = self.groups[key] = _Tally()
        tally.add(outcome)
        self.benchmarks.add(benchmark)
        self.run_ids.add(run_id)

    def table(self, *, seed: int, confidence: float, n_resamples: int) -> AccuracyTable:
        languages = _languages({language for language, _ in self.groups})
        levels = _levels({level for _, level in self.groups})
        samples = max((t.samples for t in self.groups.values()), default=0)
        ci = partial(mean_ci, seed=seed, confidence=confidence, n_resamples=n_resamples)
        cells = tuple(
            _cell(language, level, self._select(language, level), samples, ci)
            for language in languages
            for level in levels
        )
        return AccuracyTable(
            benchmarks=tuple(sorted(self.benchmarks)),
            run_ids=tuple(sorted(self.run_ids)),
            languages=languages,
            levels=levels,
            samples=samples,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
            cells=cells,
        )

    def _select(self, language: str, level: str) -> _Tally:
        merged = _Tally()
        for (lang, lev), tally in self.groups.items():
            if language in (ALL_LANGUAGES, lang) and (level == TOTAL or (lev or NO_LEVEL) == level):
                merged.merge(tally)
        return merged


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
    tallies = AccuracyTallies()
    for result in results:
        tallies.add(_outcome(result), benchmark=result.item.benchmark,
                    run_id=result.scores[0].run_id)
    return tallies.table(seed=seed, confidence=confidence, n_resamples=n_resamples)


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


def _outcome(result: McqResult) -> ItemOutcome:
    from medjudge.scoring.mcq import strict_correct  # the scorer owns what counts as correct

    first = result.scores[0]
    failed = result.failed_samples
    vote_correct, vote_answered = vote_of([(s.choice, s.correct) for s in result.scores])
    return ItemOutcome(
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
        sample_correct=sum(s.correct for s in result.scores),
    )


def vote_of(samples: Sequence[tuple[str | None, bool]]) -> tuple[bool, bool]:
    """(correct, answered) of the majority vote over an item's (choice, correct) samples."""
    if len(samples) == 1:
        choice, correct = samples[0]
        return correct, choice is not None
    from medjudge.scoring.mcq import majority_vote  # the scorer owns the voting rule

    voted = majority_vote([choice for choice, _ in samples])
    if voted is None:
        return False, False
    # The scorer decides what counts as correct; a voted letter is as correct as its samples.
    return any(correct for choice, correct in samples if choice == voted), True


def _languages(present: set[str]) -> tuple[str, ...]:
    rows = [language for language in get_args(Language) if language in present]
    rows += sorted(present - set(rows))
    return (*rows, ALL_LANGUAGES) if len(rows) > 1 else tuple(rows)


def _levels(present_levels: set[str | None]) -> tuple[str, ...]:
    present = {level for level in present_levels if level is not None}
    known = [name for name in LEVEL_NAMES.values() if name in present]
    columns = known + sorted(present - set(known))
    if columns and None in present_levels:
        columns.append(NO_LEVEL)
    return (*columns, TOTAL)


def _flags(ones: int, n: int) -> dict[float, int]:
    """k of n as the counts of 0/1 values."""
    return {1.0: ones, 0.0: n - ones}


def _cell(
    language: str,
    level: str,
    t: _Tally,
    samples: int,
    ci: Callable[[Mapping[float, int]], Interval | None],
) -> AccuracyCell:
    n = t.n
    return AccuracyCell(
        language=language,
        level=level,
        n=n,
        correct=t.correct,
        accuracy=t.correct / n if n else None,
        ci=ci(_flags(t.correct, n)),
        strict_scored=t.strict_scored,
        strict_correct=t.strict_correct,
        strict_accuracy=t.strict_correct / t.strict_scored if t.strict_scored else None,
        strict_ci=ci(_flags(t.strict_correct, t.strict_scored)),
        unanswered=t.unanswered,
        unanswered_rate=t.unanswered / n if n else None,
        failed=t.failed,
        failed_samples=t.failed_samples,
        vote=_vote_stats(t, ci) if n and samples > 1 else None,
    )


def _vote_stats(t: _Tally, ci: Callable[[Mapping[float, int]], Interval | None]) -> VoteStats:
    n = t.n
    per_item: Counter[float] = Counter()
    exact = Fraction(0)
    for (k, m), items in t.sample_accuracy.items():
        per_item[k / m] += items
        exact += Fraction(k, m) * items
    vote_ci = ci(_flags(t.vote_correct, n))
    mean_ci_ = ci(per_item)
    if vote_ci is None or mean_ci_ is None:
        raise ValueError("vote statistics need at least one item")
    return VoteStats(
        samples=t.samples,
        correct=t.vote_correct,
        accuracy=t.vote_correct / n,
        ci=vote_ci,
        unanswered=t.vote_unanswered,
        unanswered_rate=t.vote_unanswered / n,
        # The exact mean of the items' sample accuracies, rounded once.
        mean_sample_accuracy=float(exact / n),
        mean_sample_ci=mean_ci_,
    )
