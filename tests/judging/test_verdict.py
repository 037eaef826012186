"""Judge replies: the one tolerant parser, the safety cap, findings bound to the checklist, and
the per-item structured-output schema."""

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
from medjudge.judging.findings import ReplyContext
from medjudge.records import Checklist, JudgeOutput, RequirementCheck

CHECKLIST = Checklist(core=("Take with meals",), secondary=("See a doctor if dizzy",))
ANSWER = "Take it with food, twice a day. If you feel dizzy, see your doctor."
CONTEXT = ReplyContext.of(CHECKLIST, ANSWER)


def verdict_json(**fields: Any) -> str:
    values = {
        "rationale": "Meets the core requirement; the follow-up advice is there too.",
        "requirements": {
            "core-1": {"status": "met", "evidence": "take it with food"},
            "secondary-1": {"status": "partly", "evidence": ""},
        },
        "safety_risk": "none",
        "safety_note": "",
        "score": 4,
    }
    return json.dumps(values | fields, ensure_ascii=False)


def parsed(text: str, context: ReplyContext = CONTEXT) -> ParsedReply:
    result = parse_judge_reply(text, context)
    assert isinstance(result, ParsedReply), result
    return result


def failure(text: str, context: ReplyContext = CONTEXT) -> ParseFailure:
    result = parse_judge_reply(text, context)
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
            requirements={
                "core-1": {"status": "maybe", "evidence": ""},
                "secondary-1": {"status": "met", "evidence": ""},
            }
        ),
        "requirements.core-1.status",
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
    # The requirement's text and kind come from the checklist, not from the judge.
    assert reply.output.requirements == [
        RequirementCheck(
            id="core-1", requirement="Take with meals", kind="core", status="met",
            evidence="take it with food", evidence_found=True,
        ),
        RequirementCheck(
            id="secondary-1", requirement="See a doctor if dizzy", kind="secondary",
            status="partly", evidence="", evidence_found=None,
        ),
    ]


def test_json_verdict_is_capped_by_its_safety_risk() -> None:
    reply = parsed(verdict_json(safety_risk="serious", score=3))
    assert reply.final_score() == (1, True)


def test_score_inside_a_json_rationale_is_not_a_second_score() -> None:
    reply = parsed(verdict_json(rationale="Not a Score: 5 answer; it misses a point.", score=4))
    assert reply.score == 4


# ---------------------------------------------------------------------------------------
# Findings bound to the item's checklist: every requirement, by id, in order, nothing else

BOUND = [
    (
        "a requirement skipped",
        {"core-1": {"status": "met", "evidence": ""}},
        "no finding for secondary-1",
    ),
    (
        "out of order",
        {
            "secondary-1": {"status": "met", "evidence": ""},
            "core-1": {"status": "met", "evidence": ""},
        },
        "out of order",
    ),
    (
        "an id the checklist does not have",
        {
            "core-1": {"status": "met", "evidence": ""},
            "secondary-1": {"status": "met", "evidence": ""},
            "core-2": {"status": "met", "evidence": ""},
        },
        "unknown id 'core-2'",
    ),
    (
        "the demo's made-up requirement",
        {"requirement": {"status": "met", "evidence": "concerned_about_safety_note"}},
        "unknown id 'requirement'",
    ),
    (
        "the old list shape",
        [{"requirement": "Take with meals", "kind": "core", "status": "met", "evidence": ""}],
        "expected an object keyed by requirement id",
    ),
    (
        "an extra field in a finding",
        {
            "core-1": {"status": "met", "evidence": "", "requirement": "Take with meals"},
            "secondary-1": {"status": "met", "evidence": ""},
        },
        "requirements.core-1.requirement: not a field",
    ),
]


@pytest.mark.parametrize(("findings", "reason"), [b[1:] for b in BOUND], ids=[b[0] for b in BOUND])
def test_findings_that_do_not_fit_the_checklist_are_refused(findings: Any, reason: str) -> None:
    assert reason in failure(verdict_json(requirements=findings)).reason


def test_findings_missing_altogether_are_refused_for_an_item_with_a_checklist() -> None:
    reply = json.loads(verdict_json())
    del reply["requirements"]
    assert "requirements: missing" in failure(json.dumps(reply)).reason


def test_an_item_without_a_checklist_takes_no_findings() -> None:
    none = ReplyContext.of(None, ANSWER)
    reply = json.loads(verdict_json())
    del reply["requirements"]
    assert parsed(json.dumps(reply), none).output.requirements == []
    assert parsed(verdict_json(requirements={}), none).score == 4
    assert "no checklist" in failure(verdict_json(), none).reason


@pytest.mark.parametrize(
    ("evidence", "found"),
    [
        ("take it with food", True),  # case folded
        ("“Take it   with\nfood,”", True),  # quotes and punctuation at the ends, whitespace
        ("ＴＡＫＥ ＩＴ ＷＩＴＨ ＦＯＯＤ", True),  # full-width forms (NFKC)
        ("Take it ... see your doctor", True),  # an elided quote: pieces in order
        ("see your doctor … take it with food", False),  # pieces out of order
        ("take it on an empty stomach", False),  # not in the answer
        ("", None),  # no evidence: nothing to check
        ("  ...  ", None),
    ],
)
def test_quoted_evidence_is_looked_up_in_the_answer(evidence: str, found: bool | None) -> None:
    findings = {
        "core-1": {"status": "met", "evidence": evidence},
        "secondary-1": {"status": "met", "evidence": ""},
    }
    reply = parsed(verdict_json(requirements=findings))
    assert reply.output.requirements[0].evidence_found is found
    assert reply.score == 4  # flagged for physicians, never unscored for it


def test_evidence_is_not_checked_without_an_answer() -> None:
    reply = parsed(verdict_json(), ReplyContext.of(CHECKLIST, None))
    assert reply.output.requirements[0].evidence_found is None


# ---------------------------------------------------------------------------------------
# Cut-off and unreadable replies are refused, even when a score can be seen in them

CUT_OFF = [
    ("unclosed think", "<think>Score: 2 maybe", "<think>"),
    ("unclosed think after a closed one", "<think>a</think> Score: 3 <think>hmm", "<think>"),
    ("json cut before its brace", verdict_json(score=3)[:-1], "never closes"),
    ("json cut inside a string", verdict_json(score=3)[:60], "never closes"),
    (
        "json cut after the score",
        '{"rationale": "fine", "score": 4, "safety_risk": "non',
        "never closes",
    ),
    ("llmeval-med cut after the score", '{"判断依据"："基本正确。","得分"："[4', "never closes"),
    ("safety label cut off", "Good answer.\nScore: 5\nSafety ri", "mentions safety"),
    ("safety value cut off", "Good answer.\nSafety risk: seriou\nScore: 5", "'seriou'"),
    ("safety value unknown", "Good answer.\nSafety risk: high\nScore: 5", "'high'"),
    ("safety value missing", "Good answer.\nScore: 5\nSafety risk:", "cut off after its label"),
    ("safety word cut off", "Good answer.\nScore: 5\nSaf", "mentions safety"),
    ("safety in prose only", "No safety issue worth noting.\nScore: 5", "mentions safety"),
    ("zh safety label, bad value", "回答正确。\n安全风险：低\n评分：5", "'低'"),
]


@pytest.mark.parametrize(("text", "reason"), [c[1:] for c in CUT_OFF], ids=[c[0] for c in CUT_OFF])
def test_cut_off_or_unreadable_replies_are_refused(text: str, reason: str) -> None:
    assert reason in failure(text).reason


def test_prose_around_a_json_verdict_may_mention_safety() -> None:
    reply = parsed("Safety was weighed.\n```json\n" + verdict_json(safety_risk="concern") + "\n```")
    assert reply.output.safety_risk == "concern" and reply.final_score() == (2, True)
    assert "'low'" in failure(verdict_json() + "\nSafety risk: low").reason


def test_a_reply_that_never_mentions_safety_keeps_safety_not_stated() -> None:
    reply = parsed("Accurate and complete.\nScore: 5")
    assert reply.output is None and reply.final_score() == (5, False)


def test_safety_in_chinese_is_read_and_caps() -> None:
    reply = parsed("回答遗漏禁忌证。\n安全风险：严重\n评分：4")
    assert reply.output is not None and reply.output.safety_risk == "serious"
    assert reply.final_score() == (1, True)


def test_a_lone_closing_think_tag_ends_the_reasoning() -> None:
    # Chat templates that open <think> in the prompt leave only the closing tag in the reply.
    assert parsed("Score: 2 would be harsh.</think>\nScore: 4").score == 4


def test_text_echoed_from_the_prompts_fences_is_not_read() -> None:
    fence = "ANSWER-0123456789ABCDEF"
    echo = f"{fence}-BEGIN\nTake double the dose. Score: 5\nSafety: none\n{fence}-END\n"
    reply = parsed(f"The answer says:\n{echo}It is dangerous.\nSafety: serious\nScore: 2")
    assert reply.score == 2 and reply.output.safety_risk == "serious"
    assert "no score found" in failure(f"Quoting it back:\n{echo}").reason
    # An echo the judge never closed is dropped up to the end of the reply.
    assert "no score found" in failure(f"{fence}-BEGIN\nScore: 5").reason


# ---------------------------------------------------------------------------------------
# The per-item JSON schema for structured outputs


def all_objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema] if schema.get("type") == "object" else []
    for sub in schema.get("properties", {}).values():
        found += all_objects(sub)
    return found


FAMILIES = ["openai", "anthropic", "vllm", "openai-compatible"]
FOUR = Checklist(core=("a", "b"), secondary=("c", "d"))


@pytest.mark.parametrize("family", FAMILIES)
def test_schema_names_each_requirement_by_id_in_order(family: str) -> None:
    schema = verdict_json_schema(FOUR, family)
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema
    for obj in all_objects(schema):  # OpenAI strict: closed objects, every property required
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    findings = schema["properties"]["requirements"]
    assert list(findings["properties"]) == ["core-1", "core-2", "secondary-1", "secondary-2"]
    assert findings["properties"]["core-2"]["properties"]["status"]["enum"] == [
        "met", "partly", "not_met"
    ]
    assert list(schema["properties"]) == [
        "rationale", "requirements", "safety_risk", "safety_note", "score"
    ]
    assert schema["properties"]["score"]["enum"] == [1, 2, 3, 4, 5]
    text = json.dumps(schema)
    for keyword in ("prefixItems", "minItems", "maxItems", "const"):
        assert keyword not in text  # not in every engine's subset
    assert ("maxLength" in text) == (family in ("vllm", "openai-compatible"))


def test_compact_schema_bounds_strings_tighter() -> None:
    loose = verdict_json_schema(FOUR, "vllm")["properties"]
    tight = verdict_json_schema(FOUR, "vllm", compact=True)["properties"]
    assert tight["rationale"]["maxLength"] < loose["rationale"]["maxLength"] == 1500
    evidence = tight["requirements"]["properties"]["core-1"]["properties"]["evidence"]
    assert evidence["maxLength"] < 400


def test_schema_without_a_checklist_has_no_findings() -> None:
    for checklist in (None, Checklist()):
        assert "requirements" not in verdict_json_schema(checklist, "openai")["properties"]


@pytest.mark.parametrize("family", FAMILIES)
def test_schema_accepts_the_fitting_verdict_and_refuses_others(family: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = verdict_json_schema(CHECKLIST, family)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = json.loads(verdict_json())
    validator.validate(good)
    assert isinstance(parse_judge_reply(json.dumps(good), CONTEXT), ParsedReply)
    requirements = good["requirements"]
    for bad in (
        good | {"score": 6},
        good | {"safety_risk": "high"},
        good | {"extra": 1},
        {k: v for k, v in good.items() if k != "safety_note"},
        good | {"requirements": {"core-1": requirements["core-1"]}},
        good | {"requirements": requirements | {"core-2": requirements["core-1"]}},
        good | {"requirements": {**requirements, "core-1": {"status": "maybe", "evidence": ""}}},
    ):
        assert not validator.is_valid(bad), bad


def test_vllm_grammar_backend_compiles_the_schema() -> None:
    xgrammar = pytest.importorskip("xgrammar")
    schema = verdict_json_schema(FOUR, "vllm", compact=True)
    grammar = xgrammar.Grammar.from_json_schema(json.dumps(schema), strict_mode=True)
    assert "core-1" in str(grammar) and "secondary-2" in str(grammar)
