"""A judge's per-requirement findings, bound to the item's checklist, and the evidence check.

A verdict's `requirements` must name every requirement of the checklist the judge was shown,
by id, in order, and nothing else (see `verdict_schema`). `bind_findings` turns the judge's
`{"core-1": {"status": …, "evidence": …}, …}` into `RequirementCheck`s carrying the
requirement's text and kind from the checklist, or says why the findings do not fit it.

Evidence is checked, not trusted: each finding records whether its quoted evidence occurs in
the answer (`evidence_found`), after normalising both sides — Unicode NFKC (full-width forms
to ASCII), case folding, whitespace collapsed, quotes and punctuation stripped at the ends of
the quote; a quote elided with "..." / "…" is found when its pieces occur in order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from medjudge.judging.verdict_schema import ChecklistEntry, checklist_entries, max_length
from medjudge.records import Checklist, RequirementCheck

__all__ = ["ReplyContext", "bind_findings", "evidence_occurs", "normalise_quote"]


class ReplyContext(BaseModel):
    """What a judge's reply is checked against: the checklist it was shown, the answer text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: tuple[ChecklistEntry, ...] = ()
    answer: str | None = None

    @classmethod
    def of(cls, checklist: Checklist | None, answer: str | None) -> ReplyContext:
        return cls(entries=checklist_entries(checklist), answer=answer)


_EVIDENCE_MAX = max_length(RequirementCheck, "evidence")

#: Characters stripped from the ends of a quote: whitespace, quotes, brackets, punctuation.
_ENDS = " \t\r\n\"'`“”‘’«»「」『』()[]<>.,;:!?…-—–、。，；：！？"

_ELLIPSIS = re.compile(
    r"""
    \s*(?:\.{3,}|…+)\s*       # "..." or "…": the judge left words out of the quote here
    """,
    re.VERBOSE,
)

_SPACE = re.compile(
    r"""
    \s+                        # any run of whitespace, newlines included
    """,
    re.VERBOSE,
)


def normalise_quote(text: str) -> str:
    """NFKC, casefold, whitespace collapsed to one space, quotes/punctuation off the ends."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", folded).strip(_ENDS)


@functools.lru_cache(maxsize=64)
def _normalised_answer(answer: str) -> str:
    """The answer normalised once for all of its findings' quotes (one verdict has several)."""
    return normalise_quote(answer)


def evidence_occurs(evidence: str, answer: str | None) -> bool | None:
    """Whether the quoted evidence occurs in the answer; None when there is nothing to check."""
    pieces = [normalise_quote(p) for p in _ELLIPSIS.split(evidence)]
    pieces = [p for p in pieces if p]
    if not pieces or answer is None:
        return None
    haystack = _normalised_answer(answer)
    position = 0
    for piece in pieces:
        found = haystack.find(piece, position)
        if found == -1:
            return False
        position = found + len(piece)
    return True


def bind_findings(raw: Any, context: ReplyContext) -> list[RequirementCheck] | str:
    """The judge's findings as RequirementChecks in checklist order, or why they do not fit.

    `raw` is the verdict's `requirements` value (absent: None). Without a checklist it must be
    absent or empty.
    """
    if not context.entries:
        if raw in (None, {}, []):
            return []
        return "requirements: the item has no checklist, but the reply lists findings"
    if raw is None:
        ids = ", ".join(entry.id for entry in context.entries)
        return f"requirements: missing (expected one finding for each of {ids})"
    if not isinstance(raw, dict):
        return "requirements: expected an object keyed by requirement id (core-1, ...)"
    problem = _id_problem(list(raw), [entry.id for entry in context.entries])
    if problem is not None:
        return f"requirements: {problem}"
    checks = []
    for entry in context.entries:
        check = _finding(entry, raw[entry.id], context.answer)
        if isinstance(check, str):
            return f"requirements.{entry.id}.{check}"
        checks.append(check)
    return checks


def _id_problem(given: list[str], expected: list[str]) -> str | None:
    unknown = [key for key in given if key not in expected]
    if unknown:
        return f"unknown id {unknown[0]!r} (the checklist's ids are {', '.join(expected)})"
    missing = [key for key in expected if key not in given]
    if missing:
        return f"no finding for {', '.join(missing)}"
    if given != expected:
        return f"findings out of order: {', '.join(given)} (expected {', '.join(expected)})"
    return None


def _finding(entry: ChecklistEntry, value: Any, answer: str | None) -> RequirementCheck | str:
    if not isinstance(value, dict):
        return "(finding): expected an object with status and evidence"
    extra = sorted(set(value) - {"status", "evidence"})
    if extra:
        return f"{extra[0]}: not a field of a finding (only status and evidence)"
    evidence = value.get("evidence", "")
    if not isinstance(evidence, str):
        return "evidence: expected a string"
    evidence = evidence if len(evidence) <= _EVIDENCE_MAX else evidence[: _EVIDENCE_MAX - 1] + "…"
    try:
        return RequirementCheck(
            id=entry.id,
            requirement=entry.text[: max_length(RequirementCheck, "requirement")],
            kind=entry.kind,
            status=value.get("status"),
            evidence=evidence,
            evidence_found=evidence_occurs(evidence, answer),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
