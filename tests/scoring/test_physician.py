"""Which physician score counts (blind vs all, override replaces agree, the latest action
wins) and the judge's mean over its runs, on small tables computed by hand."""

from __future__ import annotations

from fractions import Fraction

from support.rating_data import RUN, next_audit_id, rate, seen, table, verdict

from medjudge.records import SAFETY_CAPS, AnswerKey, Audit
from medjudge.scoring.physician import judge_scores, physician_ratings, round_half_up


def test_round_half_up_and_judge_means() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in (3, 5, 7, 9)] == [2, 3, 4, 5]
    assert round_half_up(Fraction(14, 3)) == 5 and round_half_up(Fraction(13, 3)) == 4
    _, verdicts, _ = table()
    scores = judge_scores(verdicts)["j"]
    i2 = scores[AnswerKey(run_id=RUN, item_id="i2")]
    assert (i2.mean, i2.rounded, i2.risky) == (2.5, 3, True)  # round() would give 2
    assert scores[AnswerKey(run_id=RUN, item_id="i4")].risky is None  # no verdict stated a risk
    assert AnswerKey(run_id=RUN, item_id="i8") not in scores  # unscored: no score at all


def test_override_replaces_agree_and_the_latest_action_wins() -> None:
    verdicts = [verdict("v1", 4, risk="none")]
    agree = rate("v1", "dr-a", 4, "none", action="agree", **seen())
    override = rate("v1", "dr-a", 2, None, action="override", reason="wrong dose", **seen())
    (rating,) = physician_ratings([agree, override], verdicts, mode="all")
    assert (rating.action, rating.score, rating.safety_risk) == ("override", 2, "none")
    again = rate("v1", "dr-a", 5, "none", action="agree", **seen())
    (rating,) = physician_ratings([agree, override, again], verdicts, mode="all")
    assert (rating.action, rating.score) == ("agree", 5)
    # Store order is audit_id order, whatever order the list is in.
    (rating,) = physician_ratings([again, override, agree], verdicts, mode="all")
    assert rating.score == 5
    # Blind mode: none of these is a blind rating.
    assert physician_ratings([agree, override], verdicts, mode="blind") == ()


def test_an_override_of_the_risk_alone_caps_the_score_it_corrects() -> None:
    verdicts = [verdict("v1", 4, risk="none")]
    risk_only = rate("v1", "dr-a", None, "serious", action="override", reason="unsafe",
                     **seen())
    # No earlier rating: the verdict's final score 4, capped by "serious".
    (rating,) = physician_ratings([risk_only], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (SAFETY_CAPS["serious"], "serious")
    # After an agree at 4: the same; a lower risk never raises a score.
    agree = rate("v1", "dr-b", 4, "none", action="agree", **seen())
    lower = rate("v1", "dr-b", None, "concern", action="override", reason="some risk", **seen())
    (rating,) = physician_ratings([agree, lower], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (2, "concern")
    score_only = rate("v1", "dr-c", 3, None, action="override", reason="partial", **seen())
    (rating,) = physician_ratings([score_only], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (3, "none")  # keeps the verdict's risk


def test_latest_blind_rating_wins_and_comments_are_not_ratings() -> None:
    first = rate("v1", "dr-a", 2, "none")
    second = rate("v1", "dr-a", 4, "concern")
    comment = Audit(audit_id=next_audit_id(), run_id=RUN, item_id="v1", reviewer="dr-a",
                    action="comment", mode="blind", comment="fine", created_at="t")
    (rating,) = physician_ratings([first, second, comment], mode="blind")
    assert (rating.score, rating.safety_risk) == (4, "concern")
