"""Whole-word gates: a pattern is skipped only when a word it reads between non-letters is
not a whole word of the reply; words it may read glued to the next one are parts."""

from __future__ import annotations

import pytest

from medjudge.scoring.mcq import extract_both
from medjudge.scoring.word_gates import either, folded, gate, may_match, words_of

DRUGS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}


def test_a_whole_word_is_not_part_of_a_longer_one_but_a_stem_is() -> None:
    fold = folded("Also, the goals: correctly")
    assert fold is not None
    assert words_of(fold) == {b"also", b"the", b"goals", b"correctly"}
    assert not may_match(gate(("so",)), fold)
    assert not may_match(gate(("go",)), fold)
    assert may_match(gate(("correct*",)), fold)
    assert may_match(gate((":",)), fold)
    assert may_match(either(gate(("so",)), gate(("the",), ("goals",))), fold)
    assert not may_match(either(gate(("so",)), gate(("the",), ("go",))), fold)


def test_a_gate_item_must_say_whether_it_is_a_word() -> None:
    with pytest.raises(ValueError, match="I'd"):
        gate(("I'd",))


@pytest.mark.parametrize(
    ("reply", "lenient", "strict"),
    [
        # the marker glued to its verb: "answer" is not a whole word here
        ("The answeris C.", ("C", "answer-marker"), ("C", "answer-marker")),
        ("A and C are correctly chosen.", (None, "multiple-answers"), (None, "no-answer")),
        ("soA is the drug of choice.", ("A", "conclusion"), (None, "no-answer")),
        ("Propofol lowers the pressure; thus D.", ("D", "conclusion"), (None, "no-answer")),
        ("Propofol lowers the pressure. Maybe B.", ("B", "conclusion"), (None, "no-answer")),
        ("Also, the pressure drops: B.", ("B", "conclusion"), (None, "no-answer")),
        ("I'd say B or C.", (None, "hedge"), (None, "hedge")),
        ("Ketamine goes with the goals: the one we need is B.", ("B", "conclusion"),
         (None, "no-answer")),
        # "waiting" has no cue, the later "Wait" is one
        ("The patient was waiting. Answer: B. Wait, actually D is correct.",
         ("D", "conclusion"), ("B", "answer-marker")),
        ("The pain is severe; I cannot help.", (None, "refusal"), (None, "refusal")),
    ],
)
def test_gated_patterns_read_words_glued_or_inside_longer_ones(
    reply: str, lenient: tuple[str | None, str], strict: tuple[str | None, str]
) -> None:
    found, strict_found = extract_both(reply, DRUGS)
    assert (found.choice, found.rule) == lenient
    assert (strict_found.choice, strict_found.rule) == strict
