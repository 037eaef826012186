"""MCQ accuracy tables: hand-computed cells, failures in denominators, renderers."""

from __future__ import annotations

import csv
import io
import json
from typing import get_args

import pytest
from pydantic import ValidationError
from rich.console import Console

from medjudge.records import Answer, Item, McqScore
from medjudge.report import (
    ALL_LANGUAGES,
    FAILED_ANSWER_RULE,
    NO_LEVEL,
    TOTAL,
    AccuracyTable,
    McqResult,
    build_accuracy_table,
    level_name,
    render_rich,
    to_csv,
    to_json,
    to_markdown,
)
from medjudge.scoring.mcq import Rule, score_answer

RUN = "run-1"


def _item(
    item_id: str, *, language: str = "en", level: str | None = "1", kind: str = "mcq"
) -> Item:
    return Item(
        benchmark="anesbench",
        item_id=item_id,
        conversation_id=item_id,
        kind=kind,  # type: ignore[arg-type]
        question=f"Question {item_id}?",
        language=language,  # type: ignore[arg-type]
        options={"A": "a", "B": "b", "C": "c", "D": "d"},
        answer_key="A",
        level=level,
    )


def _score(item_id: str, choice: str | None, *, sample: int = 0, rule: str = "") -> McqScore:
    return McqScore(
        run_id=RUN,
        item_id=item_id,
        sample=sample,
        choice=choice,
        rule=rule or ("answer-marker" if choice else "no-answer"),
        correct=choice == "A",
    )


def _result(
    item_id: str,
    *choices: str | None,
    language: str = "en",
    level: str | None = "1",
    failed: frozenset[int] = frozenset(),
) -> McqResult:
    scores = tuple(
        _score(item_id, c, sample=k, rule=FAILED_ANSWER_RULE if k in failed else "")
        for k, c in enumerate(choices)
    )
    return McqResult(item=_item(item_id, language=language, level=level), scores=scores)


def _three_of_four_with_one_unanswered() -> list[McqResult]:
    return [_result("q1", "A"), _result("q2", "A"), _result("q3", "A"), _result("q4", None)]


# ------------------------------------------------------------------ single sample


def test_three_of_four_correct() -> None:
    table = build_accuracy_table(_three_of_four_with_one_unanswered())
    assert table.languages == ("en",)
    assert table.levels == ("System 1", TOTAL)
    cell = table.cell("en", TOTAL)
    assert (cell.n, cell.correct, cell.accuracy) == (4, 3, 0.75)
    assert (cell.unanswered, cell.unanswered_rate) == (1, 0.25)
    assert cell.failed == 0 and cell.vote is None
    assert cell.ci is not None and 0.75 in cell.ci
    assert table.cell("en", "System 1") == cell.model_copy(update={"level": "System 1"})


def test_rows_per_language_and_columns_per_level() -> None:
    results = [
        _result("e1", "A", level="1"),
        _result("e2", "B", level="2"),
        _result("e3", "A", level="3"),
        _result("z1", "A", language="zh", level="1"),
        _result("z2", "A", language="zh", level="1"),
        _result("z3", None, language="zh", level="3"),
    ]
    table = build_accuracy_table(results)
    assert table.languages == ("en", "zh", ALL_LANGUAGES)
    assert table.levels == ("System 1", "System 1.x", "System 2", TOTAL)
    assert len(table.cells) == 3 * 4

    assert table.cell("en", "System 1.x").accuracy == 0.0
    assert table.cell("zh", "System 1").accuracy == 1.0
    assert table.cell("zh", "System 1").ci.low == 1.0  # type: ignore[union-attr]
    assert table.cell(ALL_LANGUAGES, "System 1").n == 3
    assert table.cell(ALL_LANGUAGES, "System 2").unanswered_rate == 0.5
    total = table.cell(ALL_LANGUAGES, TOTAL)
    assert (total.n, total.correct, total.unanswered) == (6, 4, 1)

    empty = table.cell("zh", "System 1.x")
    assert (empty.n, empty.accuracy, empty.ci, empty.unanswered_rate) == (0, None, None, None)


def test_items_without_level_count_in_total_only() -> None:
    table = build_accuracy_table([_result("g1", "A", level=None), _result("g2", "B", level="")])
    assert table.levels == (TOTAL,)
    assert table.cell("en", TOTAL).accuracy == 0.5


def test_mixed_levels_get_a_no_level_column_that_adds_up() -> None:
    table = build_accuracy_table([_result("l1", "A", level="1"), _result("u1", "B", level=None)])
    assert table.levels == ("System 1", NO_LEVEL, TOTAL)
    assert table.cell("en", NO_LEVEL).n == 1
    assert table.cell("en", TOTAL).n == 2


@pytest.mark.parametrize(
    ("raw", "name"),
    [("1", "System 1"), ("2", "System 1.x"), ("3", "System 2"), ("system 2", "System 2"),
     ("", None), (None, None), ("hard", "hard")],
)
def test_level_names(raw: str | None, name: str | None) -> None:
    assert level_name(raw) == name


# ------------------------------------------------------------------ failures


def test_failed_answer_counts_as_wrong_unanswered_and_failed() -> None:
    results = [_result("q1", "A"), _result("q2", "A"), _result("q3", None, failed=frozenset({0}))]
    cell = build_accuracy_table(results).cell("en", TOTAL)
    assert (cell.n, cell.correct, cell.accuracy) == (3, 2, pytest.approx(2 / 3))
    assert (cell.unanswered, cell.failed, cell.failed_samples) == (1, 1, 1)


def test_failed_rule_is_the_scorers() -> None:
    # The report recognises failed answers by the rule the MCQ scorer gives them.
    assert FAILED_ANSWER_RULE in get_args(Rule)
    item = _item("q1")
    failed = Answer(run_id=RUN, item_id="q1", sample=0, status="failed", error="timeout")
    result = McqResult(item=item, scores=(score_answer(item, failed),))
    assert result.failed_samples == frozenset({0})


def test_a_failed_sample_cannot_be_scored_as_answered() -> None:
    with pytest.raises(ValidationError, match="failed but is scored as answered"):
        _result("q1", "A", failed=frozenset({0}))


def test_rejects_scores_of_another_item_and_open_items() -> None:
    with pytest.raises(ValidationError, match="score for item q2"):
        McqResult(item=_item("q1"), scores=(_score("q2", "A"),))
    with pytest.raises(ValidationError, match="not an MCQ"):
        McqResult(item=_item("q1", kind="open"), scores=(_score("q1", "A"),))


def test_rejects_an_item_given_twice() -> None:
    with pytest.raises(ValueError, match="given twice"):
        build_accuracy_table([_result("q1", "A"), _result("q1", "B")])


# ------------------------------------------------------------------ several samples


def _five_items_three_samples() -> list[McqResult]:
    return [
        _result("i1", "A", "A", "B"),  # first right, vote A right, 2/3
        _result("i2", "B", "B", "A"),  # first wrong, vote B wrong, 1/3
        _result("i3", "A", "B", None),  # first right, vote tie: wrong and unanswered, 1/3
        _result("i4", "C", "A", "A"),  # first wrong, vote A right, 2/3
        _result("i5", "A", "C", "C"),  # first right, vote C wrong, 1/3
    ]


def test_majority_vote_and_mean_per_sample_accuracy() -> None:
    table = build_accuracy_table(_five_items_three_samples())
    assert table.samples == 3
    cell = table.cell("en", TOTAL)
    assert cell.accuracy == pytest.approx(3 / 5)
    assert cell.unanswered == 0
    vote = cell.vote
    assert vote is not None
    assert (vote.samples, vote.correct, vote.accuracy) == (3, 2, pytest.approx(2 / 5))
    assert (vote.unanswered, vote.unanswered_rate) == (1, pytest.approx(1 / 5))
    assert vote.mean_sample_accuracy == pytest.approx(7 / 15)
    assert vote.accuracy in vote.ci
    assert vote.mean_sample_accuracy in vote.mean_sample_ci


def test_failed_samples_are_counted_over_all_samples() -> None:
    results = [_result("q1", "A", None, None, failed=frozenset({1, 2})), _result("q2", "A", "A")]
    cell = build_accuracy_table(results).cell("en", TOTAL)
    assert (cell.failed, cell.failed_samples) == (0, 2)
    assert cell.vote is not None and cell.vote.correct == 2


# ------------------------------------------------------------------ intervals


def test_ci_narrows_with_more_items_and_is_deterministic() -> None:
    def table_of(n: int, seed: int = 0) -> AccuracyTable:
        results = [_result(f"q{k}", "A" if k % 4 else "B") for k in range(n)]
        return build_accuracy_table(results, seed=seed)

    small, large = table_of(8).cell("en", TOTAL), table_of(400).cell("en", TOTAL)
    assert small.ci is not None and large.ci is not None
    assert 0.75 in small.ci and 0.75 in large.ci
    assert large.ci.width < small.ci.width
    assert table_of(40, seed=3) == table_of(40, seed=3)
    assert table_of(40).seed == 0 and table_of(40, seed=3).seed == 3


def test_all_correct_gives_a_one_one_interval() -> None:
    cell = build_accuracy_table([_result(f"q{k}", "A") for k in range(10)]).cell("en", TOTAL)
    assert (cell.ci.low, cell.ci.high) == (1.0, 1.0)  # type: ignore[union-attr]


# ------------------------------------------------------------------ renderers


def _two_language_table() -> AccuracyTable:
    return build_accuracy_table(
        [*_three_of_four_with_one_unanswered(), _result("z1", "B", language="zh", level="2")]
    )


def test_json_round_trips_with_nulls_for_empty_cells() -> None:
    table = _two_language_table()
    data = json.loads(to_json(table))
    assert AccuracyTable.model_validate(data) == table
    cells = {(c["language"], c["level"]): c for c in data["cells"]}
    assert cells[("en", TOTAL)]["accuracy"] == 0.75
    assert cells[("en", TOTAL)]["unanswered_rate"] == 0.25
    assert cells[("en", "System 1.x")]["accuracy"] is None
    assert cells[("en", "System 1.x")]["ci"] is None


def test_csv_has_one_row_per_language_and_level() -> None:
    table = _two_language_table()
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert [(r["language"], r["level"]) for r in rows] == [
        (c.language, c.level) for c in table.cells
    ]
    assert len(rows) == 3 * 3  # en, zh, all × System 1, System 1.x, Total
    en_total = next(r for r in rows if (r["language"], r["level"]) == ("en", TOTAL))
    assert int(en_total["n"]) == 4 and int(en_total["correct"]) == 3
    assert float(en_total["accuracy"]) == 0.75
    assert float(en_total["unanswered_rate"]) == 0.25
    assert float(en_total["ci_low"]) <= 0.75 <= float(en_total["ci_high"])
    assert en_total["vote_accuracy"] == ""
    empty = next(r for r in rows if (r["language"], r["level"]) == ("zh", "System 1"))
    assert empty["n"] == "0" and empty["accuracy"] == ""


def test_csv_carries_vote_numbers_with_several_samples() -> None:
    table = build_accuracy_table(_five_items_three_samples())
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    total = next(r for r in rows if r["level"] == TOTAL)
    assert float(total["vote_accuracy"]) == pytest.approx(0.4)
    assert float(total["mean_sample_accuracy"]) == pytest.approx(7 / 15)


def test_markdown_grid() -> None:
    text = to_markdown(_two_language_table())
    lines = text.splitlines()
    assert "| Language | System 1 | System 1.x | Total |" in lines
    en_row = next(line for line in lines if line.startswith("| en |"))
    assert en_row.split(" | ")[-1].startswith("75.0% [")
    assert "| zh | — | 0.0% [0.0–0.0] | 0.0% [0.0–0.0] |" in lines
    assert "| en | 4 · 25.0% · 0 | — | 4 · 25.0% · 0 |" in lines
    assert "Majority-vote" not in text


def test_markdown_adds_vote_grids_with_several_samples() -> None:
    text = to_markdown(build_accuracy_table(_five_items_three_samples()))
    assert "Majority-vote accuracy" in text and "Mean per-sample accuracy" in text
    assert "| en | 40.0% [" in text and "| en | 46.7% [" in text


def test_rich_table_shows_levels_and_numbers() -> None:
    table = build_accuracy_table(
        [
            _result("a", "A", level="1"),
            _result("b", "A", level="2"),
            _result("c", "B", level="3"),
            _result("d", None, level="3"),
        ]
    )
    console = Console(record=True, width=200, color_system=None)
    console.print(render_rich(table))
    text = console.export_text()
    for name in ("System 1", "System 1.x", "System 2", "Total"):
        assert name in text
    assert "100.0% [100.0–100.0]" in text
    assert "50.0% [" in text and "n=4 · unanswered 25.0%" in text


# ------------------------------------------------------------------ strict beside lenient


def _strict_result(item_id: str, choice: str | None, strict: str | None, *,
                   recorded: bool = True, language: str = "en") -> McqResult:
    score = McqScore(run_id=RUN, item_id=item_id, sample=0, choice=choice,
                     rule="answer-marker" if choice else "no-answer", correct=choice == "A",
                     strict_choice=strict,
                     strict_rule=("answer-marker" if strict else "no-answer") if recorded else None)
    return McqResult(item=_item(item_id, language=language), scores=(score,))


def _lenient_three_strict_two() -> list[McqResult]:
    # lenient: A, A, A, None → 3/4; strict: A, None, A, B → 2/4 (key A)
    return [_strict_result("q1", "A", "A"), _strict_result("q2", "A", None),
            _strict_result("q3", "A", "A"), _strict_result("q4", None, "B")]


def test_strict_accuracy_beside_lenient() -> None:
    cell = build_accuracy_table(_lenient_three_strict_two()).cell("en", TOTAL)
    assert (cell.correct, cell.accuracy) == (3, 0.75)
    assert (cell.strict_scored, cell.strict_correct, cell.strict_accuracy) == (4, 2, 0.5)
    assert cell.strict_ci is not None and cell.strict_ci.low <= 0.5 <= cell.strict_ci.high


def test_strict_accuracy_leaves_out_scores_stored_before_strict_extraction() -> None:
    results = [*_lenient_three_strict_two(), _strict_result("q5", "A", None, recorded=False)]
    cell = build_accuracy_table(results).cell("en", TOTAL)
    assert (cell.n, cell.correct) == (5, 4)
    assert (cell.strict_scored, cell.strict_correct, cell.strict_accuracy) == (4, 2, 0.5)
    old_only = build_accuracy_table([_strict_result("q9", "A", None, recorded=False)])
    assert old_only.cell("en", TOTAL).strict_accuracy is None
    assert "Strict accuracy" not in to_markdown(old_only)


def test_strict_accuracy_per_language() -> None:
    results = [*_lenient_three_strict_two(), _strict_result("z1", "A", "A", language="zh"),
               _strict_result("z2", "A", "C", language="zh")]
    table = build_accuracy_table(results)
    assert table.cell("zh", TOTAL).strict_accuracy == 0.5
    assert table.cell(ALL_LANGUAGES, TOTAL).strict_correct == 3  # 2 en + 1 zh, of 6


def test_strict_accuracy_in_every_renderer() -> None:
    table = build_accuracy_table(_lenient_three_strict_two())
    row = next(r for r in csv.DictReader(io.StringIO(to_csv(table))) if r["level"] == TOTAL)
    assert (float(row["accuracy"]), float(row["strict_accuracy"])) == (0.75, 0.5)
    assert int(row["strict_scored"]) == 4 and int(row["strict_correct"]) == 2
    cells = json.loads(to_json(table))["cells"]
    assert next(c for c in cells if c["level"] == TOTAL)["strict_accuracy"] == 0.5
    markdown = to_markdown(table)
    assert "Strict accuracy" in markdown
    strict_grid = markdown.split("Strict accuracy", 1)[1]
    assert "| en | 50.0% [" in strict_grid
    console = Console(record=True, width=200, color_system=None)
    console.print(render_rich(table))
    text = console.export_text()
    assert "75.0% [" in text and "strict 50.0% [" in text
