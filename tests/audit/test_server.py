"""The review screen and its actions over real HTTP: each action writes exactly the audit row
it should (or, with a clear message, none), blind mode hides every verdict until the rating,
and model or judge text can never become markup."""

from __future__ import annotations

import pytest
from support.audit_client import location_params, review_path
from support.audit_data import RUN_ID, add_judged_answer, stored_audits

from medjudge.records import Answer, Item
from medjudge.store import Store

MK = review_path(RUN_ID, "MK-0-1")
BLIND = review_path(RUN_ID, "MK-0-1", mode="blind")


def verdicts_of(store, item_id):
    with Store(store) as db:
        return [v for v in db.verdicts(RUN_ID) if v.item_id == item_id]


def test_review_screen_shows_conversation_item_answer_and_every_verdict(client, store, tokens):
    alice = client(tokens["alice"])
    page = alice.get(review_path(RUN_ID, "MK-0-3"))
    assert page.status == 200
    assert page.text("question").startswith("问题 2")
    assert "首选 ACEI/ARB" in page.text("reference")
    assert len(page.texts["checklist-item"]) == 3
    assert page.text("answer-text").startswith("Answer to MK-0-3")
    # turns 1 and 2 with the model's own answers
    assert [t.split()[0] for t in page.texts["earlier-turn"]] == ["Patient", "Model"] * 2
    assert "Answer to MK-0-1" in "".join(page.texts["earlier-turn"])
    stored = verdicts_of(store, "MK-0-3")
    assert len(page.texts["verdict"]) == len(stored) == 2
    scored = [v for v in stored if v.status == "scored"]
    assert sorted(int(s.split()[-1]) for s in page.texts["final-score"]) == sorted(
        v.final_score for v in scored)
    assert len(page.texts["requirement"]) == 2 * len(scored)
    assert "amlodipine 5 mg" in page.html  # quoted evidence
    assert "reviewed of" in page.text("progress")


def test_capped_and_unscored_verdicts_say_so(client, store, tokens):
    alice = client(tokens["alice"])
    with Store(store) as db:
        everything = db.verdicts(RUN_ID)
    capped = next(v for v in everything if v.capped)
    unscored = next(v for v in everything if v.status == "unscored")
    page = alice.get(review_path(RUN_ID, capped.item_id))
    expected = (f"capped from {capped.judge_score} to {capped.final_score} by safety: "
                f"{capped.output.safety_risk}")
    assert expected in page.texts["cap-note"]
    page = alice.get(review_path(RUN_ID, unscored.item_id))
    assert "reply cut off at max_tokens" in page.text("unscored-reason")


def test_agree_records_the_chosen_verdicts_final_score_and_risk(client, store, tokens):
    alice = client(tokens["alice"])
    page = alice.get(MK)
    form = page.form("agree-form")
    assert alice.submit(form, follow=False).status == 303
    [audit] = stored_audits(store)
    verdict = next(v for v in verdicts_of(store, "MK-0-1") if v.judge == audit.judge)
    assert (audit.action, audit.mode, audit.reviewer) == ("agree", "review", "alice")
    assert audit.score == verdict.final_score
    assert audit.safety_risk == verdict.output.safety_risk
    assert (audit.judge_run, audit.rubric_id) == (verdict.judge_run, verdict.rubric_id)


def test_agree_moves_on_to_the_next_answer_and_says_it_saved(client, store, tokens):
    alice = client(tokens["alice"])
    response = alice.http.post("/review", data=alice.get(MK).form("agree-form").fields)
    params = location_params(response)
    assert params["msg"] == "saved_agree" and params["item_id"] == "MK-0-2"
    page = alice.get(response.headers["location"])
    assert "Saved: you agreed with the verdict (MK-0-1)" in page.text("message")
    assert "1 reviewed of 40" in page.text("progress")


def test_the_verdict_text_in_the_form_cannot_change_the_recorded_score(client, store, tokens):
    alice = client(tokens["alice"])
    form = alice.get(MK).form("agree-form")
    alice.submit(form, score="5", safety_risk="none")  # extra fields are ignored
    [audit] = stored_audits(store)
    verdict = next(v for v in verdicts_of(store, "MK-0-1") if v.judge == audit.judge)
    assert audit.score == verdict.final_score


def test_override_with_reason_is_stored_with_provenance(client, store, tokens):
    alice = client(tokens["alice"])
    form = alice.get(MK).form("override-form")
    before = verdicts_of(store, "MK-0-1")
    alice.submit(form, score="1", risk="serious", reason="recommends a dangerous dose")
    [audit] = stored_audits(store)
    assert (audit.action, audit.score, audit.safety_risk) == ("override", 1, "serious")
    assert audit.reason == "recommends a dangerous dose" and audit.judge is not None
    assert audit.created_at and audit.reviewer == "alice"
    assert verdicts_of(store, "MK-0-1") == before  # the judge's verdict is never modified


@pytest.mark.parametrize("changes, words", [
    ({"score": "2", "reason": "  "}, "An override needs a reason"),
    ({"reason": "wrong", "score": "", "risk": ""}, "Choose a new score, a new safety risk"),
    ({"reason": "wrong", "score": "9"}, "whole number from 1 to 5"),
])
def test_an_incomplete_override_says_what_to_fix_and_saves_nothing(client, store, tokens,
                                                                     changes, words):
    alice = client(tokens["alice"])
    page = alice.submit(alice.get(MK).form("override-form"), **changes)
    assert page.status == 400
    assert words in page.text("message") and "Nothing was saved" in page.text("message")
    assert stored_audits(store) == []
    assert page.form("override-form").fields["reason"] == changes["reason"]  # kept for retry


def test_comment_flag_and_skip_write_their_rows(client, store, tokens):
    alice = client(tokens["alice"])
    page = alice.submit(alice.get(MK).form("comment-form"), comment="reference is outdated")
    assert "Saved: your comment" in page.text("message")
    page = alice.submit(page.form("flag-form"), flag="bad_reference", flag_text="old guideline")
    assert "the item is flagged" in page.text("message")
    skipped = alice.http.post("/review", data=page.form("skip-form").fields)
    assert location_params(skipped)["item_id"] == "MK-0-2"
    rows = stored_audits(store)
    assert [(a.action, a.comment, a.flag) for a in rows] == [
        ("comment", "reference is outdated", None),
        ("flag_item", "old guideline", "bad_reference"),
        ("skip", None, None),
    ]
    assert all(a.item_id == "MK-0-1" and a.mode == "review" for a in rows)


@pytest.mark.parametrize("action, changes, words", [
    ("comment", {"comment": ""}, "Write a comment"),
    ("flag_item", {"flag": "other", "flag_text": ""}, "Say what is wrong"),
    ("flag_item", {"flag": "nonsense"}, "Choose what is wrong"),
])
def test_empty_comment_or_flag_is_refused(client, store, tokens, action, changes, words):
    alice = client(tokens["alice"])
    page = alice.submit(alice.get(MK).form_with_action(action), **changes)
    assert page.status == 400 and words in page.text("message")
    assert stored_audits(store) == []


def test_a_form_sent_twice_is_stored_once_and_the_page_says_so(client, store, tokens):
    alice = client(tokens["alice"])
    form = alice.get(MK).form("comment-form")
    first = alice.submit(form, comment="once")
    second = alice.submit(form, comment="once")
    assert "Saved: your comment" in first.text("message")
    assert second.status == 200 and "Already saved" in second.text("message")
    assert len(stored_audits(store)) == 1
    agree = alice.get(MK).form("agree-form")
    alice.submit(agree)
    again = alice.submit(agree)
    assert "Already saved" in again.text("message")
    assert [a.action for a in stored_audits(store)] == ["comment", "agree"]


@pytest.mark.parametrize("path", [
    review_path(RUN_ID, "NO-SUCH-ITEM"),
    review_path("no-such-run", "MK-0-1"),
    review_path(RUN_ID, "MK-0-1", sample=7),
    "/review",
    "/review?run_id=run-a&item_id=MK-0-1&sample=x",
])
def test_a_missing_answer_is_a_404_page_with_a_clear_message(client, tokens, path):
    alice = client(tokens["alice"])
    page = alice.get(path)
    assert page.status == 404 and "Not found" in page.html
    message = page.text("message")
    assert "There is no answer for" in message or "No answer was named" in message


def test_an_action_on_a_missing_answer_is_a_404_and_saves_nothing(client, store, tokens):
    alice = client(tokens["alice"])
    form = alice.get(MK).form("comment-form")
    page = alice.submit(form, item_id="NO-SUCH-ITEM", comment="x")
    assert page.status == 404 and "Nothing was saved" in page.html
    assert stored_audits(store) == []


def test_an_answer_without_verdicts_is_a_404_that_says_grade_it(client, store, tokens):
    with Store(store) as db:
        item = Item(benchmark="b", item_id="UNGRADED", conversation_id="u", kind="open",
                    question="q?", language="en")
        db.add_items("d" * 64, [item])
        db.save_answers([Answer(run_id=RUN_ID, item_id="UNGRADED", status="ok", text="t")])
    page = client(tokens["alice"]).get(review_path(RUN_ID, "UNGRADED"))
    assert page.status == 404 and "no verdict yet" in page.html


def test_blind_mode_has_no_verdict_in_the_html_until_the_rating(client, store, tokens):
    alice = client(tokens["alice"])
    stored = verdicts_of(store, "MK-0-1")
    page = alice.get(BLIND)
    assert page.status == 200
    for verdict in stored:
        assert verdict.judge not in page.html
        if verdict.output:
            assert verdict.output.rationale[:40] not in page.html
    for testid in ("verdict", "verdict-rationale", "judge-score", "final-score", "cap-note",
                   "agree-verdict", "override-verdict"):
        assert f'data-testid="{testid}"' not in page.html
    assert page.text("answer-text").startswith("Answer to MK-0-1")

    revealed = alice.submit(page.form("blind-form"), score="3", risk="concern")
    assert "Saved: your blind rating" in revealed.text("message")
    assert len(revealed.texts["verdict"]) == len(stored)
    assert all(v.judge in revealed.html for v in stored)
    assert "score 3" in revealed.text("blind-rating")
    [audit] = stored_audits(store)
    assert (audit.action, audit.mode, audit.score, audit.safety_risk) == (
        "blind_rating", "blind", 3, "concern")
    assert audit.judge is None

    commented = alice.submit(revealed.form("comment-form"), comment="judge missed the dose")
    assert [(a.action, a.mode) for a in stored_audits(store)] == [
        ("blind_rating", "blind"), ("comment", "blind")]
    assert "blind-form" not in [f.testid for f in commented.forms]


def test_blind_rating_needs_score_and_risk(client, store, tokens):
    alice = client(tokens["alice"])
    page = alice.submit(alice.get(BLIND).form("blind-form"), score="3", risk="")
    assert page.status == 400 and "needs a score" in page.text("message")
    assert 'data-testid="verdict"' not in page.html  # still blind after the error
    assert stored_audits(store) == []


def test_no_blind_rating_after_seeing_the_verdicts(client, store, tokens):
    alice = client(tokens["alice"])
    alice.submit(alice.get(MK).form("comment-form"), comment="seen it")
    page = alice.get(BLIND)
    assert "would not be blind" in page.html and "blind-form" not in [f.testid for f in page.forms]
    assert 'data-testid="verdict"' not in page.html


def test_two_physicians_rate_the_same_answer_independently(client, store, tokens):
    alice, bob = client(tokens["alice"]), client(tokens["bob"])
    alice.submit(alice.get(BLIND).form("blind-form"), score="4", risk="none")
    bobs_page = bob.get(BLIND)
    assert 'data-testid="verdict"' not in bobs_page.html  # alice's rating reveals nothing to bob
    assert "score 4" not in bobs_page.html
    bob.submit(bobs_page.form("blind-form"), score="2", risk="serious")
    rows = {(a.reviewer, a.score, a.safety_risk) for a in stored_audits(store)}
    assert rows == {("alice", 4, "none"), ("bob", 2, "serious")}


EVIL = [
    "<script>window.pwned=1</script>",
    '<img src=x onerror="window.pwned=1">',
    "</textarea><script>window.pwned=2</script>",
    "</div></section><b>bold</b>",
]


def test_model_and_judge_text_is_escaped(client, store, tokens):
    evil = " ".join(EVIL)
    item = Item(benchmark="b", item_id="EVIL-1", conversation_id="e", kind="open",
                question=f"Q {evil}", reference=f"R {evil}", language="en")
    add_judged_answer(store, item, f"A {evil}", [
        {"judge": "judge<script>x</script>", "score": 5, "risk": "concern",
         "rationale": f"Because {evil}"},
    ])
    alice = client(tokens["alice"])
    page = alice.get(review_path(RUN_ID, "EVIL-1"))
    assert page.status == 200
    for raw in EVIL + ["judge<script>"]:
        assert raw not in page.html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page.html
    assert page.html.count("</textarea>") == 2  # only the page's own two text areas
    # The parsed page shows the text exactly as written: nothing became an element.
    assert page.text("answer-text") == f"A {evil}"
    assert page.text("question") == f"Q {evil}"
    assert page.text("reference") == f"R {evil}"
    assert page.text("verdict-rationale") == f"Because {evil}"
    assert "<script" not in page.html.replace('<script src="/static/audit.js', "")
    assert "script-src 'self'" in alice.http.get(review_path(RUN_ID, "EVIL-1")).headers[
        "content-security-policy"]


def test_text_typed_into_a_failed_form_comes_back_escaped(client, store, tokens):
    alice = client(tokens["alice"])
    evil = "</textarea><script>window.pwned=3</script>"
    page = alice.submit(alice.get(MK).form("override-form"), reason=evil, score="", risk="")
    assert page.status == 400 and evil not in page.html
    assert page.form("override-form").fields["reason"] == evil


def test_an_unexpected_error_is_a_friendly_500_page(client, tokens, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("medjudge.audit.app.load_screen", broken)
    page = client(tokens["alice"]).get(MK)
    assert page.status == 500
    assert "saved nothing" in page.html and "disk on fire" not in page.html
