"""Judging open answers: rubrics (data), prompts, verdict parsing, the safety cap, grading."""

from medjudge.judging.grade import GradeConfig, GradeSummary, grade, read_judge_reply
from medjudge.judging.prompt import JudgePrompt, render_judge_prompt
from medjudge.judging.rubric import (
    AppliesTo,
    Rubric,
    RubricSet,
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
    "GradeConfig",
    "GradeSummary",
    "JudgePrompt",
    "ParseFailure",
    "ParsedReply",
    "Rubric",
    "RubricSet",
    "RubricText",
    "ScoreDescriptors",
    "apply_safety_cap",
    "builtin_rubrics",
    "grade",
    "load_rubric",
    "parse_judge_reply",
    "parse_rubric",
    "read_judge_reply",
    "render_judge_prompt",
    "rubric_for",
    "verdict_json_schema",
]
