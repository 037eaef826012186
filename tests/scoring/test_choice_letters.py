"""Word gates: the cheap test that lets the extractor skip a pattern must never skip one
that would have matched, whatever the case or alphabet of the reply."""

from __future__ import annotations

import pytest

from medjudge.scoring.choice_letters import folded, gate, may_match
from medjudge.scoring.mcq import extract, extract_both

DRUGS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}


def test_a_gate_needs_one_word_of_every_group() -> None:
    words = gate(("are", "would"), ("correct", "true"))
    assert may_match(words, folded("A and C ARE both CORRECT"))
    assert not may_match(words, folded("A and C are both wrong"))
    assert not may_match(words, folded("C is correct"))


def test_a_text_that_lowercasing_cannot_stand_for_is_never_gated() -> None:
    # re.IGNORECASE reads the dotless "ı" as "i"; str.lower() keeps it: no gate is trusted
    assert folded("D ıs rıght") is None
    assert may_match(gate(("right",)), folded("D ıs rıght"))
    assert folded("D IS RIGHT") == "d is right"


@pytest.mark.parametrize(
    ("reply", "lenient", "strict"),
    [
        ("Propofol drops the pressure. D IS CORRECT.", ("D", "conclusion"), (None, "no-answer")),
        ("Propofol drops the pressure. D ıs rıght.", ("D", "conclusion"), (None, "no-answer")),
        ("Answer: B. Waıt, D ıs rıght.", ("D", "conclusion"), ("B", "answer-marker")),
        ("NOT A; IT IS D.", ("D", "negation"), (None, "no-answer")),
        ("Answer: B. Wait, actually C is correct.", ("C", "conclusion"), ("B", "answer-marker")),
        ("I CANNOT PROVIDE MEDICAL ADVICE.", (None, "refusal"), (None, "refusal")),
        ("答案：C", ("C", "zh-marker"), ("C", "zh-marker")),
        ("不是A，而是D", ("D", "negation"), (None, "no-answer")),
    ],
)
def test_gated_patterns_still_read_upper_case_and_dotless_replies(
    reply: str, lenient: tuple[str | None, str], strict: tuple[str | None, str]
) -> None:
    found, strict_found = extract_both(reply, DRUGS)
    assert (found.choice, found.rule) == lenient
    assert (strict_found.choice, strict_found.rule) == strict
    assert extract(reply, DRUGS) == found and extract(reply, DRUGS, strict=True) == strict_found
