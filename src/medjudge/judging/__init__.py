"""Judging open answers: rubrics (data), verdict parsing and the safety cap."""

from medjudge.judging.rubric import (
    AppliesTo,
    Rubric,
    RubricText,
    ScoreDescriptors,
    builtin_rubrics,
    load_rubric,
    parse_rubric,
    rubric_for,
)
from medjudge.judging.verdict import (
    ParsedReply,
    ParseFailure,
    apply_safety_cap,
    parse_judge_reply,
    verdict_json_schema,
)

__all__ = [
    "AppliesTo",
    "ParseFailure",
    "ParsedReply",
    "Rubric",
    "RubricText",
    "ScoreDescriptors",
    "apply_safety_cap",
    "builtin_rubrics",
    "load_rubric",
    "parse_judge_reply",
    "parse_rubric",
    "rubric_for",
    "verdict_json_schema",
]
