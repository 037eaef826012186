"""Judge-only, physician-only and physician-corrected usability, computed by hand."""

from __future__ import annotations

import pytest
from support.rating_data import RUN, item, rate, seen, verdict

from medjudge.records import AnswerKey
from medjudge.scoring.corrected import corrected_question_scores, corrected_usability


def test_corrected_views() -> None:
    items = [item(f"c{n}") for n in range(1, 5)]
    verdicts = [verdict("c1", 5), verdict("c2", 3), verdict("c3", 2), verdict("c4", None)]
    audits = [
        rate("c1", "dr-a", 5, "none", action="agree", **seen()),
        rate("c1", "dr-a", 3, None, action="override", reason="incomplete", **seen()),
        rate("c3", "dr-b", 4, "none"),
        rate("c3", "dr-c", 5, "none"),
        rate("c4", "dr-b", 5, "none"),
    ]
    expected = [AnswerKey(run_id=RUN, item_id=f"c{n}") for n in range(1, 5)]
    reports = corrected_usability(items, verdicts, audits, expected=expected)
    # judge-only: c1 (5) usable; c2 3, c3 2 not; c4 unscored counts as not usable -> 1/4
    assert reports["judge-only"].op == 0.25
    # physician-only: c1 3 (the override replaced the agree), c3 (4+5)/2 = 4.5, c4 5 -> 2/3
    only = reports["physician-only"]
    assert (only.overall.n_questions, only.op) == (3, pytest.approx(2 / 3))
    # physician-corrected: c1 3, c2 3 (judge), c3 4.5, c4 5 -> 2/4
    assert reports["physician-corrected"].op == 0.5
    scores = corrected_question_scores(items, verdicts, audits, view="physician-corrected",
                                       expected=expected)
    assert [q.mean for q in scores] == [3.0, 3.0, 4.5, 5.0]
