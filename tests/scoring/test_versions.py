"""One rubric version per rubric id: ordering of versions and the --rubric-version syntax."""

from __future__ import annotations

import pytest

from medjudge.errors import ConfigError
from medjudge.records import Verdict
from medjudge.scoring.versions import (
    VersionPick,
    parse_version_choice,
    select_rubric_versions,
    version_key,
)


def test_versions_compare_numbers_as_numbers() -> None:
    ordered = sorted(["1.10", "1.9", "2", "1.2.1", "1.2", "10"], key=version_key)
    assert ordered == ["1.2", "1.2.1", "1.9", "1.10", "2", "10"]


def _verdict(rubric_id: str, version: str, item: str = "a") -> Verdict:
    return Verdict(run_id="r", item_id=item, judge="j", rubric_id=rubric_id,
                   rubric_version=version, prompt_hash="h", status="scored",
                   judge_score=4, final_score=4)


def test_latest_per_rubric_id_independently() -> None:
    verdicts = [_verdict("MK", "1.9"), _verdict("MK", "1.10"), _verdict("MSE", "3"),
                _verdict("MSE", "2", item="b")]
    used, choices = select_rubric_versions(verdicts)
    assert [(v.rubric_id, v.rubric_version) for v in used] == [("MK", "1.10"), ("MSE", "3")]
    assert [(c.rubric_id, c.version, c.left_out) for c in choices] == [
        ("MK", "1.10", ("1.9",)), ("MSE", "3", ("2",))]


def test_pick_by_id_and_for_every_rubric() -> None:
    pick = parse_version_choice(["MK=1.9", "3"])
    assert pick == VersionPick(by_id={"MK": "1.9"}, every="3")
    verdicts = [_verdict("MK", "1.9"), _verdict("MK", "1.10"), _verdict("MSE", "3")]
    used, _ = select_rubric_versions(verdicts, pick)
    assert [(v.rubric_id, v.rubric_version) for v in used] == [("MK", "1.9"), ("MSE", "3")]


@pytest.mark.parametrize("texts", [["MK=1", "MK=2"], ["1", "2"], ["MK="], ["=1"]])
def test_contradictory_or_empty_choices_are_refused(texts: list[str]) -> None:
    with pytest.raises(ConfigError, match="--rubric-version"):
        parse_version_choice(texts)
