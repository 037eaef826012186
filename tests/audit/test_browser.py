"""The audit page end to end in a real headless Chromium: a physician signs in with a token,
filters the queue, agrees, overrides, rates blind, comments, flags and skips — with the mouse
and with the keyboard — and every action lands in the store as the row it should. Model and
judge text that tries to become markup stays text, even with the page's CSP switched off, and
a screenshot of the review screen shows a rendered page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from support.audit_client import review_path
from support.audit_data import RUN_ID, add_judged_answer, make_items, stored_audits
from support.browser import VIEWPORT, png_summary, sign_in, url_params, wait_for_answer
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.records import Item
from medjudge.store import Store

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Python playwright is not installed (the [dev] extra)")
expect = sync_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Page


def verdicts_of(store, item_id):
    with Store(store) as db:
        return [v for v in db.verdicts(RUN_ID) if v.item_id == item_id]


def progress(page: Page) -> str:
    return " ".join(page.get_by_test_id("progress").inner_text().split())


def queue_rows(page: Page) -> list[str]:
    return page.get_by_test_id("queue-row").evaluate_all(
        "rows => rows.map(row => row.dataset.item)")


def pwned(page: Page) -> str:
    return page.evaluate("typeof window.__pwned")


# -- sign in -----------------------------------------------------------------------------------

def test_sign_in_with_the_printed_token_shows_the_queue_and_a_wrong_token_is_refused(
        open_page, store):
    result = CliRunner().invoke(app, ["audit", "add-reviewer", "Dr. Wang", "--store", str(store)])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]

    page = open_page()
    page.goto("/queue")  # not signed in: sent to the sign-in form
    assert url_params(page.url) == {"msg": "required", "next": "/queue"}
    expect(page.get_by_test_id("message")).to_have_text(
        "Sign in with your reviewer token to continue.")

    page.get_by_test_id("signin-token").fill("not-" + token)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("message")).to_contain_text(
        "That token does not match any reviewer")
    assert page.url.endswith("/signin")
    assert "medjudge_session" not in {cookie["name"] for cookie in page.context.cookies()}

    page.get_by_test_id("signin-token").fill(token)
    page.get_by_test_id("signin-submit").click()
    page.wait_for_url("**/queue")
    expect(page.get_by_test_id("progress")).to_have_text("0 reviewed of 40")
    expect(page.locator("header .who")).to_have_text("signed in as Dr. Wang")
    assert queue_rows(page) == [item.item_id for item in make_items(40)]


# -- the queue ---------------------------------------------------------------------------------

def test_queue_filters_show_exactly_the_matching_answers(open_page, store, tokens):
    order = [item.item_id for item in make_items(40)]
    categories = {item.item_id: item.category for item in make_items(40)}
    with Store(store) as db:
        verdicts = db.verdicts(RUN_ID)

    def matching(keep) -> list[str]:
        return [i for i in order if keep(i, [v for v in verdicts if v.item_id == i])]

    serious_and_capped = matching(lambda i, vs: any(
        v.output and v.output.safety_risk == "serious" for v in vs) and any(
        v.capped for v in vs))
    page = open_page()
    sign_in(page, tokens["alice"])

    page.get_by_test_id("filter-risk").select_option("serious")
    page.get_by_test_id("filter-capped").check()
    page.get_by_test_id("filter-apply").click()
    page.wait_for_url(lambda url: url_params(url).get("capped") == "1")
    assert 3 <= len(serious_and_capped) < 40
    assert queue_rows(page) == serious_and_capped
    expect(page.get_by_test_id("filter-risk")).to_have_value("serious")  # the form remembers

    page.get_by_test_id("filter-category").select_option("MR")
    page.get_by_test_id("filter-apply").click()
    page.wait_for_url(lambda url: url_params(url).get("category") == "MR")
    narrowed = [i for i in serious_and_capped if categories[i] == "MR"]
    assert narrowed and queue_rows(page) == narrowed

    page.get_by_test_id("filter-risk").select_option("")
    page.get_by_test_id("filter-capped").uncheck()
    page.get_by_test_id("filter-category").select_option("")
    page.get_by_test_id("filter-unscored").check()
    page.get_by_test_id("filter-apply").click()
    page.wait_for_url(lambda url: url_params(url).get("unscored") == "1")
    unscored = matching(lambda i, vs: any(v.status == "unscored" for v in vs))
    assert unscored and queue_rows(page) == unscored

    page.keyboard.press("n")  # the next answer under these filters
    wait_for_answer(page, unscored[0])
    expect(page.get_by_test_id("unscored-reason").first).to_contain_text("reply cut off")
    expect(page.get_by_test_id("progress")).to_have_text(f"0 reviewed of {len(unscored)}")


# -- agree -------------------------------------------------------------------------------------

def test_agree_by_click_and_by_keyboard_records_the_chosen_verdict(open_page, store, tokens):
    page = open_page()
    sign_in(page, tokens["alice"])
    page.goto(review_path(RUN_ID, "MK-0-1"))
    [scored] = [v for v in verdicts_of(store, "MK-0-1") if v.status == "scored"]
    checked = page.locator("label:has([data-testid=agree-verdict]:checked)")
    expect(checked).to_contain_text(f"{scored.judge} run {scored.judge_run}")

    page.get_by_test_id("action-agree").click()
    wait_for_answer(page, "MK-0-2", "saved_agree")  # moves on to the next answer
    expect(page.get_by_test_id("message")).to_have_text(
        "Saved: you agreed with the verdict (MK-0-1).")
    expect(page.get_by_test_id("progress")).to_have_text("1 reviewed of 40")
    [audit] = stored_audits(store)
    assert (audit.reviewer, audit.action, audit.mode, audit.item_id) == (
        "alice", "agree", "review", "MK-0-1")
    assert (audit.judge, audit.judge_run) == (scored.judge, scored.judge_run)
    assert (audit.score, audit.safety_risk) == (scored.final_score, scored.output.safety_risk)

    # Keyboard: v chooses the other judge's verdict, a agrees with it.
    first_label = checked.inner_text()
    page.keyboard.press("v")
    second_label = checked.inner_text()
    assert second_label != first_label
    page.keyboard.press("a")
    wait_for_answer(page, "MK-0-3", "saved_agree")
    expect(page.get_by_test_id("progress")).to_have_text("2 reviewed of 40")
    second = stored_audits(store)[1]
    chosen = next(v for v in verdicts_of(store, "MK-0-2")
                  if f"{v.judge} run {v.judge_run}" in second_label)
    assert (second.reviewer, second.action, second.mode, second.item_id) == (
        "alice", "agree", "review", "MK-0-2")
    assert (second.judge, second.score, second.safety_risk) == (
        chosen.judge, chosen.final_score, chosen.output.safety_risk)
    assert f"{chosen.judge} run" not in first_label


# -- override ----------------------------------------------------------------------------------

def test_override_needs_a_reason_then_is_stored_with_it(open_page, store, tokens):
    page = open_page()
    sign_in(page, tokens["alice"])
    before = verdicts_of(store, "MR-2-2")
    page.goto(review_path(RUN_ID, "MR-2-2"))
    target = page.get_by_test_id("override-verdict").evaluate(
        "select => select.selectedOptions[0].textContent")

    page.get_by_test_id("override-score").select_option("2")
    page.get_by_test_id("action-override").click()  # no reason
    expect(page.get_by_test_id("message")).to_contain_text(
        "An override needs a reason: say why the judge's verdict is wrong. Nothing was saved.")
    expect(page.get_by_test_id("message")).to_be_visible()
    assert stored_audits(store) == []
    expect(page.get_by_test_id("override-score")).to_have_value("2")  # kept for the retry

    page.get_by_test_id("override-risk").select_option("serious")
    page.get_by_test_id("override-reason").fill("Doubles the safe dose for an elderly patient")
    page.get_by_test_id("action-override").click()
    wait_for_answer(page, "MR-2-3", "saved_override")
    expect(page.get_by_test_id("message")).to_have_text(
        "Saved: your override and its reason (MR-2-2).")
    [audit] = stored_audits(store)
    assert (audit.reviewer, audit.action, audit.mode, audit.item_id) == (
        "alice", "override", "review", "MR-2-2")
    assert (audit.score, audit.safety_risk) == (2, "serious")
    assert audit.reason == "Doubles the safe dose for an elderly patient"
    assert f"{audit.judge} run {audit.judge_run}" == target.strip()
    assert verdicts_of(store, "MR-2-2") == before  # the judge's verdict is never modified

    # Keyboard: 4 picks the score, r cycles the risk (none → concern), o goes to the reason,
    # Ctrl+Enter sends the form.
    page.keyboard.press("4")
    page.keyboard.press("r")
    page.keyboard.press("r")
    expect(page.get_by_test_id("override-risk")).to_have_value("concern")
    page.keyboard.press("o")
    expect(page.get_by_test_id("override-reason")).to_be_focused()
    page.keyboard.type("Misses the renal check")
    page.keyboard.press("Control+Enter")
    wait_for_answer(page, "AB-00011", "saved_override")
    second = stored_audits(store)[1]
    assert (second.item_id, second.action, second.score, second.safety_risk, second.reason) == (
        "MR-2-3", "override", 4, "concern", "Misses the renal check")


# -- blind rating ------------------------------------------------------------------------------

SECRET = "JUDGE-RATIONALE-7f3a: the dose is twice the safe maximum"


def test_blind_rating_hides_the_verdict_until_rated_then_reveals_it(open_page, store, tokens):
    item = Item(benchmark="llmeval-med", item_id="BLIND-1", conversation_id="BLIND-1",
                kind="open", language="en", question="How much paracetamol for an adult?",
                reference="At most 4 g a day.")
    add_judged_answer(store, item, "Take 8 g a day.", [
        {"judge": "openai/gpt-4o", "score": 4, "risk": "serious", "rationale": SECRET},
    ])
    page = open_page()
    sign_in(page, tokens["alice"])
    page.goto(review_path(RUN_ID, "BLIND-1", mode="blind"))
    expect(page.get_by_test_id("answer-text")).to_have_text("Take 8 g a day.")
    html = page.content()
    assert SECRET not in html and "JUDGE-RATIONALE" not in html
    assert "openai/gpt-4o" not in html
    for testid in ("verdict", "verdict-rationale", "judge-score", "final-score", "cap-note",
                   "agree-form", "override-form"):
        expect(page.get_by_test_id(testid)).to_have_count(0)

    page.get_by_test_id("blind-risk").select_option("concern")
    page.keyboard.press("Escape")  # leave the field, so keys are shortcuts again
    page.keyboard.press("3")
    expect(page.get_by_test_id("blind-score")).to_have_value("3")
    page.keyboard.press("b")
    wait_for_answer(page, "BLIND-1", "saved_blind")
    expect(page.get_by_test_id("message")).to_contain_text("Saved: your blind rating")
    expect(page.get_by_test_id("verdict-rationale")).to_have_text(SECRET)
    expect(page.get_by_test_id("final-score")).to_have_attribute("data-value", "1")
    expect(page.get_by_test_id("blind-rating")).to_have_text(
        "Your blind rating: score 3, safety concern.")
    expect(page.get_by_test_id("blind-form")).to_have_count(0)
    [audit] = stored_audits(store)
    assert (audit.reviewer, audit.action, audit.mode, audit.item_id) == (
        "alice", "blind_rating", "blind", "BLIND-1")
    assert (audit.score, audit.safety_risk, audit.judge) == (3, "concern", None)


# -- hostile text ------------------------------------------------------------------------------

PAYLOADS = (
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    "</textarea></div><script>window.__pwned=3</script>",
)
EVIL = " ".join(PAYLOADS)


@pytest.mark.parametrize("csp", ["enforced", "bypassed"])
def test_hostile_model_and_judge_text_renders_as_text_and_runs_nothing(
        open_page, store, tokens, csp):
    """With the page's Content-Security-Policy bypassed too, so that escaping alone is what
    keeps the payloads inert."""
    item = Item(benchmark="llmeval-med", item_id="XSS-1", conversation_id="XSS-1", kind="open",
                language="en", question=f"Q {EVIL}", reference=f"R {EVIL}")
    add_judged_answer(store, item, f"A {EVIL}", [
        {"judge": "openai/gpt-4o", "score": 3, "risk": "concern", "rationale": f"J {EVIL}"},
    ])
    page = open_page(bypass_csp=csp == "bypassed")
    sign_in(page, tokens["alice"])
    page.goto(review_path(RUN_ID, "XSS-1"))

    for testid, prefix in (("question", "Q"), ("reference", "R"), ("answer-text", "A"),
                           ("verdict-rationale", "J")):
        shown = page.get_by_test_id(testid)
        expect(shown).to_have_text(f"{prefix} {EVIL}")
        expect(shown).to_be_visible()
        expect(shown.locator("*")).to_have_count(0)  # nothing inside became an element
    assert page.evaluate("[...document.scripts].map(s => s.src.split('?')[0])") == [
        f"{page.url.split('/review')[0]}/static/audit.js"]
    expect(page.locator("img, [onerror]")).to_have_count(0)
    expect(page.locator("textarea")).to_have_count(2)  # the page's own: reason and comment
    assert pwned(page) == "undefined"

    # The page's own script runs: c goes to the comment box, Ctrl+Enter sends it.
    page.keyboard.press("c")
    expect(page.get_by_test_id("comment-text")).to_be_focused()
    page.get_by_test_id("comment-text").fill(f"C {EVIL}")
    page.keyboard.press("Control+Enter")
    wait_for_answer(page, "XSS-1", "saved_comment")
    expect(page.get_by_test_id("my-audit")).to_contain_text(f"C {EVIL}")
    assert pwned(page) == "undefined"

    # A refused override re-renders the reason inside its textarea: still only text.
    page.get_by_test_id("override-reason").fill(PAYLOADS[2])
    page.get_by_test_id("action-override").click()
    expect(page.get_by_test_id("message")).to_contain_text("Choose a new score")
    expect(page.get_by_test_id("override-reason")).to_have_value(PAYLOADS[2])
    assert pwned(page) == "undefined"
    [audit] = stored_audits(store)
    assert (audit.action, audit.comment) == ("comment", f"C {EVIL}")


# -- the screen as a physician sees it ---------------------------------------------------------

def test_screenshot_of_the_review_screen_is_a_rendered_page(open_page, tokens, tmp_path):
    page = open_page()
    sign_in(page, tokens["alice"])
    page.goto(review_path(RUN_ID, "MSE-8-2"))  # earlier turns, checklist, two capped verdicts
    expect(page.get_by_test_id("verdict")).to_have_count(2)
    expect(page.get_by_test_id("cap-note")).to_have_count(2)
    expect(page.get_by_test_id("earlier-turn")).to_have_count(2)
    shot = tmp_path / "review.png"
    page.screenshot(path=shot)
    summary = png_summary(shot.read_bytes())
    assert (summary.width, summary.height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert summary.colours >= 50, summary  # text, borders, tags, backgrounds
    assert summary.commonest_share < 0.9, summary
    assert summary.darkest < 80 and summary.lightest > 200, summary  # dark text on light

    # The check can fail: an empty page in the same browser is flat.
    blank = page.context.new_page()
    flat = png_summary(blank.screenshot())
    assert flat.colours <= 2 and flat.commonest_share > 0.99, flat


# -- comment, flag, skip -----------------------------------------------------------------------

def test_comment_and_flag_stay_on_the_answer_and_skip_moves_on(open_page, store, tokens):
    page = open_page()
    sign_in(page, tokens["alice"])
    page.goto(review_path(RUN_ID, "MK-0-1"))

    page.get_by_test_id("comment-text").fill("The reference predates the 2024 guideline")
    page.get_by_test_id("action-comment").click()
    wait_for_answer(page, "MK-0-1", "saved_comment")
    expect(page.get_by_test_id("message")).to_have_text("Saved: your comment.")
    expect(page.get_by_test_id("my-audit")).to_contain_text(
        "The reference predates the 2024 guideline")
    expect(page.get_by_test_id("progress")).to_have_text("0 reviewed of 40")  # a comment is not

    page.get_by_test_id("flag-kind").select_option("ambiguous_question")
    page.get_by_test_id("flag-text").fill("Two drugs are both first-line here")
    page.get_by_test_id("action-flag").click()
    wait_for_answer(page, "MK-0-1", "saved_flag")
    expect(page.get_by_test_id("message")).to_have_text("Saved: the item is flagged.")
    expect(page.locator("[data-testid=my-audit][data-action=flag_item]")).to_contain_text(
        "flag ambiguous_question")
    expect(page.get_by_test_id("progress")).to_have_text("1 reviewed of 40")

    page.keyboard.press("s")
    wait_for_answer(page, "MK-0-2", "skipped")
    expect(page.get_by_test_id("message")).to_have_text("Skipped (MK-0-1).")
    expect(page.get_by_test_id("my-audit")).to_have_count(0)  # a new answer, nothing done yet

    rows = stored_audits(store)
    assert [(a.action, a.comment, a.flag) for a in rows] == [
        ("comment", "The reference predates the 2024 guideline", None),
        ("flag_item", "Two drugs are both first-line here", "ambiguous_question"),
        ("skip", None, None),
    ]
    assert all((a.reviewer, a.mode, a.item_id) == ("alice", "review", "MK-0-1") for a in rows)
