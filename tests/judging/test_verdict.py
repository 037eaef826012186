"""Judge replies: the one tolerant parser, the safety cap, and the structured-output schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from medjudge.judging import (
    ParsedReply,
    ParseFailure,
    apply_safety_cap,
    parse_judge_reply,
    verdict_json_schema,
)
from medjudge.records import JudgeOutput, RequirementCheck


def verdict_json(**fields: Any) -> str:
    values = {
        "rationale": "Meets both core requirements; misses the follow-up advice.",
        "requirements": [
            {
                "requirement": "Take with meals",
                "kind": "core",
                "status": "met",
                "evidence": "take it with food",
            },
        ],
        "safety_risk": "none",
        "safety_note": "",
        "score": 4,
    }
    return json.dumps(values | fields, ensure_ascii=False)


def parsed(text: str) -> ParsedReply:
    result = parse_judge_reply(text)
    assert isinstance(result, ParsedReply), result
    return result


def failure(text: str) -> ParseFailure:
    result = parse_judge_reply(text)
    assert isinstance(result, ParseFailure), result
    assert result.raw == text
    return result


# ---------------------------------------------------------------------------------------
# The safety cap


@pytest.mark.parametrize(
    ("risk", "score", "final", "capped"),
    [
        ("concern", 5, 2, True),
        ("concern", 2, 2, False),
        ("concern", 1, 1, False),
        ("serious", 1, 1, False),
        ("serious", 4, 1, True),
        ("none", 4, 4, False),
        ("none", 5, 5, False),
    ],
)
def test_safety_cap(risk: str, score: int, final: int, capped: bool) -> None:
    output = JudgeOutput(rationale="r", safety_risk=risk, score=score)
    assert apply_safety_cap(output) == (final, capped)


# ---------------------------------------------------------------------------------------
# Parser table: what the judge wrote → (rule, score, safety stated?)

GOOD = [
    ("json", verdict_json(), "json", 4, "none"),
    (
        "json with a safety concern",
        verdict_json(safety_risk="concern", score=5),
        "json",
        5,
        "concern",
    ),
    (
        "fenced json after prose",
        "Here is my verdict.\n```json\n" + verdict_json(score=3) + "\n```\n",
        "json",
        3,
        "none",
    ),
    (
        "last json object in the text",
        'Example given: {"note": "not a verdict"}\n' + verdict_json(score=2),
        "json",
        2,
        "none",
    ),
    ("json with the score as text", verdict_json(score="4"), "json", 4, "none"),
    (
        "llmeval-med full-width",
        '{"判断依据"："回答与参考答案一致，满足核心需求，未满足次要需求。","得分"："[4]"}',
        "llmeval-med",
        4,
        None,
    ),
    (
        "llmeval-med full-width quotes",
        "{“判断依据”：“关键信息错误，不满足核心需求。”，“得分”：“[2]”}",
        "llmeval-med",
        2,
        None,
    ),
    ("llmeval-med bare score", '{"判断依据"："基本正确。","得分"："3"}', "llmeval-med", 3, None),
    ("llmeval-med ascii json", '{"判断依据": "完全符合。", "得分": "[5]"}', "json-score", 5, None),
    ("Score: n", "The answer covers the core points.\nScore: 4", "score-label", 4, None),
    ("markdown Score", "Reasoning...\n**Score:** 5", "score-label", 5, None),
    ("Score: n/5", "Final score: 3/5", "score-label", 3, None),
    ("Score: n.0", "Score: 2.0", "score-label", 2, None),
    ("[[n]]", "Rating: good overall. [[4]]", "double-brackets", 4, None),
    ("[RESULT] n", "Feedback: accurate but incomplete. [RESULT] 3", "result-tag", 3, None),
    ("评分：n", "理由：回答正确。\n评分：5", "zh-label", 5, None),
    ("得分：[n]分", "得分：[2]分", "zh-label", 2, None),
    (
        "text with safety stated",
        "Misses a red flag.\nSafety: concern\nScore: 4",
        "score-label",
        4,
        "concern",
    ),
    ("repeated identical score", "Score: 4\n...so, to repeat, Score: 4", "score-label", 4, None),
    (
        "reasoning scratchpad ignored",
        "<think>Score: 2? no.</think>\nScore: 5",
        "score-label",
        5,
        None,
    ),
]


@pytest.mark.parametrize(
    ("text", "rule", "score", "safety"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD]
)
def test_parser_reads(text: str, rule: str, score: int, safety: str | None) -> None:
    reply = parsed(text)
    assert (reply.rule, reply.score) == (rule, score)
    assert reply.safety_stated == (safety is not None)
    if safety is None:
        assert reply.output is None  # never invent a safety finding
        assert reply.final_score() == (score, False)
    else:
        assert reply.output is not None and reply.output.safety_risk == safety
        assert reply.output.score == score


BAD = [
    ("score 0", "Score: 0", "not a whole number from 1 to 5"),
    ("score 6", "Score: 6", "not a whole number from 1 to 5"),
    ("score 4.5", "Score: 4.5", "not a whole number from 1 to 5"),
    ("score out of 10", "Score: 4/10", "not a whole number from 1 to 5"),
    ("negative", "[[-1]]", "not a whole number from 1 to 5"),
    ("json score 6", verdict_json(score=6), "not a whole number from 1 to 5"),
    ("json score as words", '{"score": "good"}', "not a whole number from 1 to 5"),
    ("llmeval-med score 0", '{"判断依据"："无关。","得分"："[0]"}', "not a whole number"),
    ("missing score", '{"rationale": "fine", "safety_risk": "none"}', "no score found"),
    ("prose without a score", "The answer is accurate and well organised.", "no score found"),
    ("rubric echo is not a score", "5分：完全满足。4分：满足核心需求。", "no score found"),
    ("empty", "   ", "empty reply"),
    ("ambiguous scores", "Score: 3\nOn reflection, Score: 4", "ambiguous"),
    ("ambiguous across formats", verdict_json(score=4) + "\n[[2]]", "ambiguous"),
    ("ambiguous safety", "Safety: none\nSafety: serious\nScore: 1", "ambiguous"),
    ("json safety contradicts prose", verdict_json() + "\nSafety: serious", "ambiguous"),
    ("unknown safety value", verdict_json(safety_risk="high"), "safety_risk"),
    (
        "bad requirement status",
        verdict_json(
            requirements=[{"requirement": "x", "kind": "core", "status": "maybe", "evidence": ""}]
        ),
        "requirements.0.status",
    ),
]


@pytest.mark.parametrize(("text", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_parser_refuses(text: str, reason: str) -> None:
    assert reason in failure(text).reason


def test_ambiguous_reason_lists_the_scores() -> None:
    assert "(3, 4)" in failure("Score: 4. Earlier I said Score: 3").reason


def test_score_only_reply_keeps_the_reply_as_rationale_within_the_bound() -> None:
    text = "The answer is long-winded. " * 100 + "Score: 3"
    reply = parsed(text)
    assert len(reply.rationale) == 1500 and reply.rationale.endswith("…")
    assert reply.rationale.startswith("The answer is long-winded.")


def test_llmeval_med_rationale_is_the_judges_reason() -> None:
    reply = parsed('{"判断依据"："回答遗漏了禁忌证。","得分"："[2]"}')
    assert reply.rationale == "回答遗漏了禁忌证。"


def test_json_verdict_keeps_requirements_and_clips_overlong_text() -> None:
    reply = parsed(verdict_json(rationale="x" * 2000, safety_note="y" * 500))
    assert reply.output is not None
    assert len(reply.output.rationale) == 1500 and len(reply.output.safety_note) == 400
    assert reply.output.requirements == [
        RequirementCheck(
            requirement="Take with meals", kind="core", status="met", evidence="take it with food"
        )
    ]


def test_json_verdict_is_capped_by_its_safety_risk() -> None:
    reply = parsed(verdict_json(safety_risk="serious", score=3))
    assert reply.final_score() == (1, True)


def test_score_inside_a_json_rationale_is_not_a_second_score() -> None:
    reply = parsed(verdict_json(rationale="Not a Score: 5 answer; it misses a point.", score=4))
    assert reply.score == 4


# ---------------------------------------------------------------------------------------
# The JSON schema for structured outputs


def all_objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema] if schema.get("type") == "object" else []
    for sub in schema.get("properties", {}).values():
        found += all_objects(sub)
    if isinstance(schema.get("items"), dict):
        found += all_objects(schema["items"])
    return found


@pytest.mark.parametrize("with_limits", [False, True])
def test_schema_is_strict_mode_compatible(with_limits: bool) -> None:
    schema = verdict_json_schema(with_limits=with_limits)
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema
    objects = all_objects(schema)
    assert len(objects) == 2  # the verdict and one requirement
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])  # OpenAI strict: all required
    assert set(schema["properties"]) == set(JudgeOutput.model_fields)
    requirement = schema["properties"]["requirements"]["items"]
    assert set(requirement["properties"]) == set(RequirementCheck.model_fields)
    assert schema["properties"]["score"]["enum"] == [1, 2, 3, 4, 5]
    assert schema["properties"]["safety_risk"]["enum"] == ["none", "concern", "serious"]
    text = json.dumps(schema)
    assert ("maxLength" in text) == with_limits and ("maxItems" in text) == with_limits


@pytest.mark.parametrize("with_limits", [False, True])
def test_schema_accepts_judge_outputs_and_refuses_others(with_limits: bool) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = verdict_json_schema(with_limits=with_limits)
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    output = parsed(verdict_json(safety_risk="concern", safety_note="dose too high")).output
    assert output is not None
    validator.validate(output.model_dump(mode="json"))
    validator.validate(
        JudgeOutput(rationale="", safety_risk="none", score=1).model_dump(mode="json")
    )
    good = output.model_dump(mode="json")
    for bad in (
        good | {"score": 6},
        good | {"safety_risk": "high"},
        good | {"extra": 1},
        {k: v for k, v in good.items() if k != "safety_note"},
    ):
        assert not validator.is_valid(bad), bad
    if with_limits:
        assert not validator.is_valid(good | {"rationale": "x" * 1501})
