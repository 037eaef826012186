"""Accuracy of the extractor on the held-out answers of `mcq_heldout_cases` (written before
the rules were reworked): at least 97% read right, and every right abstention kept."""

from __future__ import annotations

from scoring.mcq_heldout_cases import HELDOUT

from medjudge.scoring.mcq import extract_choice


def test_heldout_set_is_the_size_described() -> None:
    abstaining = [reply for reply, _, expected in HELDOUT if expected is None]
    assert len(HELDOUT) >= 200 and len(abstaining) >= 30


def test_reads_at_least_97_percent_of_the_heldout_set() -> None:
    wrong = [(reply[:70], expected, got) for reply, options, expected in HELDOUT
             if (got := extract_choice(reply, options)) != expected]
    assert 1 - len(wrong) / len(HELDOUT) >= 0.97, wrong


def test_every_right_abstention_stays_none() -> None:
    guessed = [(reply[:70], got) for reply, options, expected in HELDOUT
               if expected is None and (got := extract_choice(reply, options)) is not None]
    assert guessed == []


def test_never_reads_a_wrong_letter_from_a_committed_answer() -> None:
    wrong = [(reply[:70], expected, got) for reply, options, expected in HELDOUT
             if expected is not None and (got := extract_choice(reply, options)) is not None
             and got != expected]
    assert wrong == []
