"""A physician's form submission → one validated `Audit` (or a clear message, nothing saved).

The score and risk of an "agree" come from the stored verdict, never from the form; the judge's
verdict itself is never touched — an audit is a separate row with provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from pydantic import ValidationError

from medjudge.audit.queue import ScreenMode
from medjudge.audit.review import Screen, VerdictRef, find_verdict
from medjudge.records import Audit, AuditAction, ItemFlag, SafetyRisk

__all__ = ["MAX_TEXT", "ActionError", "build_audit"]

MAX_TEXT = 4000
_ACTIONS: tuple[str, ...] = get_args(AuditAction)
_RISKS: tuple[str, ...] = get_args(SafetyRisk)
_FLAGS: tuple[str, ...] = get_args(ItemFlag)
#: Once a reviewer is in blind mode, only these make sense (agreeing with or overriding a
#: verdict is done in review mode).
_BLIND_ACTIONS = ("blind_rating", "comment", "flag_item", "skip")


class ActionError(ValueError):
    """What was wrong with the form, in words for the physician. Nothing was saved."""


def _text(form: Mapping[str, str], name: str, what: str) -> str | None:
    value = (form.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise ActionError(f"The {what} is too long ({len(value)} characters; "
                          f"{MAX_TEXT} at most). Nothing was saved.")
    return value or None


def _score(form: Mapping[str, str], name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if raw not in ("1", "2", "3", "4", "5"):
        raise ActionError("The score must be a whole number from 1 to 5. Nothing was saved.")
    return int(raw)


def _risk(form: Mapping[str, str], name: str) -> str | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if raw not in _RISKS:
        raise ActionError("The safety risk must be none, concern or serious. Nothing was saved.")
    return raw


def build_audit(form: Mapping[str, str], *, screen: Screen, reviewer: str, mode: ScreenMode,
                now: str) -> Audit:
    """The audit this form asks for, or ActionError saying what to fix."""
    action = (form.get("action") or "").strip()
    if action not in _ACTIONS:
        raise ActionError(f"Unknown action {action!r}. Nothing was saved.")
    if mode == "blind" and action not in _BLIND_ACTIONS:
        raise ActionError("Agreeing with or overriding a verdict is done in review mode; "
                          "switch to review mode. Nothing was saved.")
    base: dict[str, object] = {
        "run_id": screen.key.run_id, "item_id": screen.key.item_id, "sample": screen.key.sample,
        "reviewer": reviewer, "action": action, "mode": mode, "created_at": now,
    }
    if action == "agree":
        base.update(_agree(form, screen))
    elif action == "override":
        base.update(_override(form, screen))
    elif action == "blind_rating":
        base.update(_blind(form, screen))
    elif action == "comment":
        comment = _text(form, "comment", "comment")
        if comment is None:
            raise ActionError("Write a comment before saving it. Nothing was saved.")
        base["comment"] = comment
    elif action == "flag_item":
        flag = (form.get("flag") or "").strip()
        if flag not in _FLAGS:
            raise ActionError("Choose what is wrong with the item: bad reference, ambiguous "
                              "question or other. Nothing was saved.")
        text = _text(form, "flag_text", "note on the flag")
        if flag == "other" and text is None:
            raise ActionError("Say what is wrong with the item (flag: other). "
                              "Nothing was saved.")
        base.update(flag=flag, comment=text)
    try:
        return Audit.model_validate(base)
    except ValidationError as exc:  # the record's own rules, should the checks above miss one
        problems = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ActionError(f"{problems}. Nothing was saved.") from None


def _verdict_fields(ref: VerdictRef) -> dict[str, object]:
    return {"judge": ref.judge, "judge_run": ref.judge_run, "rubric_id": ref.rubric_id,
            "rubric_version": ref.rubric_version}


def _agree(form: Mapping[str, str], screen: Screen) -> dict[str, object]:
    if not form.get("verdict"):
        raise ActionError("Choose the verdict you agree with. Nothing was saved.")
    verdict = find_verdict(screen.verdicts, form.get("verdict"))
    if verdict is None:
        raise ActionError("That verdict is not on this answer; reload the page. "
                          "Nothing was saved.")
    if verdict.final_score is None:
        raise ActionError("An unscored verdict has no score to agree with; override it with "
                          "your own score instead. Nothing was saved.")
    risk = verdict.output.safety_risk if verdict.output is not None else _risk(form, "agree_risk")
    if risk is None:
        raise ActionError("This judge did not state a safety risk: choose yours to agree "
                          "with its score. Nothing was saved.")
    return dict(score=verdict.final_score, safety_risk=risk, **_verdict_fields(
        VerdictRef.of(verdict)))


def _override(form: Mapping[str, str], screen: Screen) -> dict[str, object]:
    score, risk = _score(form, "score"), _risk(form, "risk")
    reason = _text(form, "reason", "reason")
    if reason is None:
        raise ActionError("An override needs a reason: say why the judge's verdict is wrong. "
                          "Nothing was saved.")
    if score is None and risk is None:
        raise ActionError("Choose a new score, a new safety risk, or both. Nothing was saved.")
    fields: dict[str, object] = {"score": score, "safety_risk": risk, "reason": reason}
    chosen = form.get("verdict")
    if chosen:
        verdict = find_verdict(screen.verdicts, chosen)
        if verdict is None:
            raise ActionError("That verdict is not on this answer; reload the page. "
                              "Nothing was saved.")
        fields.update(_verdict_fields(VerdictRef.of(verdict)))
    return fields


def _blind(form: Mapping[str, str], screen: Screen) -> dict[str, object]:
    if screen.blind_rating is not None:
        raise ActionError("You already rated this answer blind; that rating stands and the "
                          "verdicts are shown. Nothing more was saved.")
    if screen.seen_in_review:
        raise ActionError("You have already seen the judges' verdicts on this answer in review "
                          "mode, so a rating now would not be blind. Nothing was saved.")
    score, risk = _score(form, "score"), _risk(form, "risk")
    if score is None or risk is None:
        raise ActionError("A blind rating needs a score (1–5) and a safety risk. "
                          "Nothing was saved.")
    return {"score": score, "safety_risk": risk}
