"""Answer-letter extraction and exact-match scoring of multiple-choice answers."""

from __future__ import annotations

import pytest

from medjudge.errors import DatasetError
from medjudge.records import Answer, Item
from medjudge.scoring.mcq import (
    Extraction,
    extract,
    extract_choice,
    majority_vote,
    score_answer,
    strict_choice,
)

DRUGS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam", "E": "Thiopental"}
FOUR = {k: DRUGS[k] for k in "ABCD"}
SIX = {**DRUGS, "F": "Methohexital"}
VITAMINS = {"A": "Vitamin A", "B": "Vitamin C", "C": "Vitamin D", "D": "Vitamin K"}
ZH = {"A": "阿司匹林", "B": "维生素C", "C": "肝素", "D": "华法林"}
FULLWIDTH_KEYS = {"Ａ": "甲", "Ｂ": "乙", "Ｃ": "丙", "Ｄ": "丁"}

# (reply, options, expected letter, expected rule or None when any rule will do)
CASES = [
    # --- explicit English markers
    ("Answer: C", DRUGS, "C", "answer-marker"),
    ("The answer is (b)", DRUGS, "B", "answer-marker"),
    ("The answer is b.", DRUGS, "B", "answer-marker"),
    ("Final answer: D) Midazolam", DRUGS, "D", "answer-marker"),
    ("**Answer:** **C**", DRUGS, "C", "answer-marker"),
    ("ANSWER - E", DRUGS, "E", "answer-marker"),
    ("The correct answer is option D.", DRUGS, "D", "answer-marker"),
    ("The correct option is (A).", DRUGS, "A", "answer-marker"),
    ("The best choice would be B because it preserves airway reflexes.", DRUGS, "B", None),
    ("The answer to this question is C.", DRUGS, "C", "answer-marker"),
    ("## Final Answer\n\nB", DRUGS, "B", "answer-marker"),
    ("Answer: I think it's C", DRUGS, "C", "answer-marker"),
    ("The answer is A.", DRUGS, "A", "answer-marker"),
    ("Answer: F", SIX, "F", "answer-marker"),
    ("Correct: C", DRUGS, "C", "answer-marker"),
    # --- boxed and JSON
    (r"\boxed{D}", DRUGS, "D", "boxed"),
    (r"So the final result is $\boxed{\text{(B)}}$.", DRUGS, "B", "boxed"),
    (r"\boxed{Etomidate}", DRUGS, "C", "boxed"),
    ('{"answer": "B"}', DRUGS, "B", "json"),
    ('```json\n{"final_answer": "E. Thiopental", "confidence": 0.8}\n```', DRUGS, "E", "json"),
    ("{'choice': 'a'}", DRUGS, "A", "json"),
    ('{"答案": "C"}', ZH, "C", "json"),
    # --- full-width letters and punctuation
    ("Answer：Ｃ", DRUGS, "C", "answer-marker"),
    ("（Ｃ）", DRUGS, "C", "bare-letter"),
    ("答案：（Ｂ）", ZH, "B", "zh-marker"),
    ("答案：Ｂ", FULLWIDTH_KEYS, "B", "zh-marker"),
    # --- Chinese markers
    ("答案：B", ZH, "B", "zh-marker"),
    ("答案是D。", ZH, "D", "zh-marker"),
    ("综上所述，故选D", ZH, "D", "zh-marker"),
    ("选C", ZH, "C", "zh-marker"),
    ("正确答案是 B", ZH, "B", "zh-marker"),
    ("【答案】A", ZH, "A", "zh-marker"),
    ("正确选项为C。", ZH, "C", "zh-marker"),
    ("本题答案应选A。", ZH, "A", "zh-marker"),
    ("答：C", ZH, "C", "zh-marker"),
    ("选项A、B、D均错误，故选C。", ZH, "C", "zh-marker"),
    ("A和B都不对，应选C", ZH, "C", "zh-marker"),
    ("A选项错误，B选项错误，C选项正确，D选项错误。", ZH, "C", "conclusion"),
    ("阿司匹林会增加出血风险，所以B项正确。", ZH, "B", "conclusion"),
    ("答案：维生素C", ZH, "B", "option-text"),
    # --- step-by-step discussion: the last explicit conclusion wins
    (
        (
            "A. Propofol causes hypotension, so it is wrong. B. Ketamine raises ICP. "
            "C. Etomidate suppresses the adrenals. Therefore the answer is D."
        ),
        DRUGS,
        "D",
        "answer-marker",
    ),
    (
        "Option A is incorrect. Option B is incorrect. Option C is correct. Option D is wrong.",
        DRUGS,
        "C",
        "conclusion",
    ),
    ("A is incorrect. B is incorrect. Hence, C.", DRUGS, "C", "conclusion"),
    ("I would go with option E.", DRUGS, "E", "conclusion"),
    ("I think C.", DRUGS, "C", "conclusion"),
    ("It's A.", DRUGS, "A", "conclusion"),
    ("Shock favours a stable agent, which corresponds to option C.", DRUGS, "C", "conclusion"),
    ("分析：A错误，B错误，D错误。因此答案为C。", ZH, "C", "zh-marker"),
    # --- self-corrections
    ("Answer: B. Wait, actually the answer is C.", DRUGS, "C", "answer-marker"),
    ("Answer: B\n\nWait, actually D is correct.", DRUGS, "D", "conclusion"),
    ("答案：B。不对，应该选C。", ZH, "C", "zh-marker"),
    (
        "Answer: B\n\nExplanation: A is incorrect; option C is correct only in children.",
        DRUGS,
        "B",
        "answer-marker",
    ),
    # --- negations
    ("The answer is not A; it is D.", DRUGS, "D", "negation"),
    ("not A; it is D", DRUGS, "D", "negation"),
    ("The answer is not A but D.", DRUGS, "D", "negation"),
    ("It's D, not A.", DRUGS, "D", "negation"),
    ("The answer is D, not A.", DRUGS, "D", "answer-marker"),
    ("A is incorrect.", DRUGS, None, "no-answer"),
    ("A is not correct because propofol causes hypotension.", DRUGS, None, None),
    ("答案不是A，而是D。", ZH, "D", "negation"),
    ("不选A，选D。", ZH, "D", "zh-marker"),
    ("不应该选A。", ZH, None, "no-answer"),
    ("The incorrect answer is A.", DRUGS, None, "no-answer"),
    # --- <think> blocks
    ("<think>The answer is A... hmm.</think>\nAnswer: C", DRUGS, "C", "answer-marker"),
    ("<think>Answer: A</think>", DRUGS, None, "no-answer"),
    ("Long reasoning that mentions B.\n</think>\n\n**B**", DRUGS, "B", "bare-letter"),
    ("<think>A fits, so the answer is probably A", DRUGS, None, "truncated-reasoning"),
    ("<think>x</think>Answer: C<think>Now the answer is", DRUGS, None, "truncated-reasoning"),
    ("<think>嗯，我认为是B</think>答案：D", ZH, "D", "zh-marker"),
    # --- bare letters
    ("C", DRUGS, "C", "bare-letter"),
    ("C.", DRUGS, "C", "bare-letter"),
    ("(C)", DRUGS, "C", "bare-letter"),
    ("C) Etomidate", DRUGS, "C", "bare-letter"),
    # C is etomidate: a letter that quotes another option's text commits to neither
    ("C) Propofol", DRUGS, None, "contradiction"),
    ("  b  ", DRUGS, "B", "bare-letter"),
    ("A", DRUGS, "A", "bare-letter"),
    ('"D"', DRUGS, "D", "bare-letter"),
    (
        "E. Thiopental\n\nThiopental is the classic barbiturate induction agent.",
        DRUGS,
        "E",
        "bare-letter",
    ),
    ("选项C", ZH, "C", "bare-letter"),
    ("C项", ZH, "C", "bare-letter"),
    ("A. Propofol\nB. Ketamine\nC. Etomidate", DRUGS, None, None),
    ("C\n\nA. Propofol is wrong here because of hypotension.", DRUGS, "C", "bare-letter"),
    ("C\n\nI cannot provide medical advice; consult a doctor.", DRUGS, "C", "bare-letter"),
    ("F", DRUGS, None, "no-answer"),
    ("Answer: F", DRUGS, None, "no-answer"),
    # --- option text without its letter
    ("Etomidate", DRUGS, "C", "option-text"),
    ("The best induction agent here is etomidate, given the shock.", DRUGS, "C", "option-text"),
    ("Vitamin C", VITAMINS, "B", "option-text"),
    ("It is definitely not propofol.", DRUGS, None, "no-answer"),
    ("Propofol or ketamine would both work.", DRUGS, None, "no-answer"),
    (
        "Etomidate keeps the pressure up. " + "Haemodynamics matter in shock. " * 15,
        DRUGS,
        None,
        "no-answer",
    ),
    ("华法林", ZH, "D", "option-text"),
    # --- letters inside medical terms are not answers
    ("Patients with hemophilia A have factor VIII deficiency.", DRUGS, None, "no-answer"),
    ("Hemophilia A is X-linked, so the answer is C.", DRUGS, "C", "answer-marker"),
    ("This patient is ASA III. The answer is B.", DRUGS, "B", "answer-marker"),
    ("Vitamin C is correct.", DRUGS, None, "no-answer"),
    ("Vitamin C is correct.", VITAMINS, "B", "option-text"),
    ("Type B dissection is managed medically. Answer: A", DRUGS, "A", "answer-marker"),
    ("Type B dissection is the most likely answer here.", DRUGS, None, "no-answer"),
    ("Hepatitis B is correct.", DRUGS, None, "no-answer"),
    ("Child-Pugh class C is correct, so liver reserve is poor.", DRUGS, None, "no-answer"),
    ("Group A strep is the cause; the answer is (c).", DRUGS, "C", "answer-marker"),
    ("Therefore, group A strep.", DRUGS, None, "no-answer"),
    ("HbA1c is 9% and there is IgA deficiency; Mallampati IV airway.", DRUGS, None, "no-answer"),
    ("So B cells are involved.", DRUGS, None, "no-answer"),
    ("Answer: B-cells", DRUGS, None, "no-answer"),
    ("The answer is Class C.", DRUGS, None, "no-answer"),
    ("E. coli is the most common cause.", DRUGS, None, "no-answer"),
    ("The answer is C. difficile colitis.", DRUGS, None, "no-answer"),
    ("腹部B超提示胆囊结石，答案：C", ZH, "C", "zh-marker"),
    ("首选B超检查。", ZH, None, "no-answer"),
    ("患者为血友病A，凝血因子VIII缺乏。", ZH, None, "no-answer"),
    ("答案：B。该患者为A型血。", ZH, "B", "zh-marker"),
    # --- the article "A" is not an answer
    ("A patient presents with chest pain and hypotension.", DRUGS, None, "no-answer"),
    ("A common cause of hypoxemia is V/Q mismatch.", DRUGS, None, "no-answer"),
    ("A 45-year-old man is best induced with a careful dose.", DRUGS, None, "no-answer"),
    ("The answer is a common misconception; the correct answer is E.", DRUGS, "E", "answer-marker"),
    ("A patient presents with shock. The answer is D.", DRUGS, "D", "answer-marker"),
    ("Answer: A patient like this needs etomidate.", DRUGS, "C", "option-text"),
    # --- several answers to a single-answer question
    ("Answer: A and C", DRUGS, None, "multiple-answers"),
    ("答案：AC", ZH, None, "multiple-answers"),
    ("答案：A、C", ZH, None, "multiple-answers"),
    ("B or C", DRUGS, None, "multiple-answers"),
    ("The answer could be B or C.", DRUGS, None, "multiple-answers"),
    ("So the answer is either B or D.", DRUGS, None, "hedge"),
    ("答案可能是B或C", ZH, None, "multiple-answers"),
    (r"\boxed{A, C}", DRUGS, None, "multiple-answers"),
    ('{"answer": ["A", "C"]}', DRUGS, None, "multiple-answers"),
    ("A and C are correct.", DRUGS, None, "multiple-answers"),
    ("The answer could be B or C. On reflection, the answer is C.", DRUGS, "C", "answer-marker"),
    ("Answer: D, A is wrong because it drops the pressure.", DRUGS, "D", "answer-marker"),
    # --- refusals, empty replies and no answer
    ("I cannot provide medical advice.", DRUGS, None, "refusal"),
    ("I'm sorry, but I can't help with that.", DRUGS, None, "refusal"),
    ("I cannot recommend propofol for this patient.", DRUGS, None, "refusal"),
    ("我无法回答这个问题。", ZH, None, "refusal"),
    ("抱歉，作为AI我不能提供医疗建议。", ZH, None, "refusal"),
    ("I cannot provide medical advice, but the answer is C.", DRUGS, "C", "answer-marker"),
    ("", DRUGS, None, "empty"),
    ("   \n ", DRUGS, None, "empty"),
    ("This depends on the hemodynamic status of the patient.", DRUGS, None, "no-answer"),
]


@pytest.mark.parametrize(("reply", "options", "letter", "rule"), CASES)
def test_extract_finds_the_final_letter_or_none(
    reply: str, options: dict[str, str], letter: str | None, rule: str | None
) -> None:
    found = extract(reply, options)
    assert found.choice == letter, found
    if rule is not None:
        assert found.rule == rule, found
    assert extract_choice(reply, options) == letter


# (reply, strict letter, lenient letter): strict only trusts explicit markers.
STRICT = [
    ("Answer: C", "C", "C"),
    ("答案：B", "B", "B"),
    (r"\boxed{D}", "D", "D"),
    ('{"answer": "E"}', "E", "E"),
    ("C", None, "C"),
    ("Option C is correct.", None, "C"),
    ("Etomidate", None, "C"),
    ("The answer is not A; it is D.", None, "D"),
    ("Answer: B. Wait, actually C is correct.", "B", "C"),
    ("<think>Answer: A", None, None),
    ("Answer: A or B", None, None),
]


@pytest.mark.parametrize(("reply", "strict", "lenient"), STRICT)
def test_strict_and_lenient_side_by_side(reply: str, strict: str | None, lenient: str | None):
    assert strict_choice(reply, DRUGS) == strict
    assert extract_choice(reply, DRUGS) == lenient


def test_strict_extraction_says_why_it_found_nothing() -> None:
    assert extract("C", DRUGS, strict=True) == Extraction(None, "no-answer")
    assert extract("I cannot answer that.", DRUGS, strict=True) == Extraction(None, "refusal")


def test_extraction_is_immutable() -> None:
    found = extract("Answer: C", DRUGS)
    with pytest.raises(AttributeError):
        found.choice = "A"  # type: ignore[misc]


def test_none_text_is_empty() -> None:
    assert extract(None, DRUGS) == Extraction(None, "empty")


def test_long_reasoning_is_read_to_its_end() -> None:
    """A 20 kB reply full of letters in terms still gives its final answer. (Speed is
    measured outside the tests: a wall-clock limit here would race the machine's load.)"""
    reply = "A is incorrect because hemophilia A and vitamin C matter. " * 350 + "Answer: D"
    assert extract_choice(reply, DRUGS) == "D"
    assert extract_choice(reply.replace("Answer: D", ""), DRUGS) is None


# ------------------------------------------------------------ score_answer ---


def _item(**changes: object) -> Item:
    fields: dict[str, object] = {
        "benchmark": "anesbench",
        "item_id": "q1",
        "conversation_id": "q1",
        "kind": "mcq",
        "question": "Best induction agent in septic shock?",
        "language": "en",
        "options": DRUGS,
        "answer_key": "C",
        "source": "anesbench.json#1",
    }
    fields.update(changes)
    return Item.model_validate(fields)


def _answer(text: str | None, status: str = "ok", **changes: object) -> Answer:
    fields: dict[str, object] = {
        "run_id": "r1",
        "item_id": "q1",
        "sample": 2,
        "status": status,
        "text": text,
    }
    fields.update(changes)
    return Answer.model_validate(fields)


def test_score_correct_answer() -> None:
    score = score_answer(_item(), _answer("The answer is (c)."))
    assert (score.run_id, score.item_id, score.sample) == ("r1", "q1", 2)
    assert (score.choice, score.rule, score.correct) == ("C", "answer-marker", True)


def test_score_wrong_answer() -> None:
    score = score_answer(_item(), _answer("Answer: A"))
    assert (score.choice, score.correct) == ("A", False)


def test_score_lowercase_answer_key_matches() -> None:
    assert score_answer(_item(answer_key="c"), _answer("C")).correct is True


def test_score_no_single_answer_is_never_correct() -> None:
    score = score_answer(_item(), _answer("Answer: A and C"))
    assert (score.choice, score.rule, score.correct) == (None, "multiple-answers", False)


@pytest.mark.parametrize(
    "answer",
    [_answer(None, status="failed", error="timeout"), _answer(None), _answer("C", "failed")],
)
def test_score_failed_answer(answer: Answer) -> None:
    score = score_answer(_item(), answer)
    assert (score.choice, score.rule, score.correct) == (None, "failed-answer", False)


def test_score_rejects_answer_key_outside_options() -> None:
    with pytest.raises(DatasetError, match="anesbench.json#1.*answer_key"):
        score_answer(_item(answer_key="F"), _answer("C"))


def test_score_rejects_open_items() -> None:
    with pytest.raises(DatasetError, match="open item.*cannot be scored as a multiple-choice"):
        score_answer(_item(kind="open", options={}, answer_key=None), _answer("C"))


def test_score_rejects_answer_of_another_item() -> None:
    with pytest.raises(ValueError, match="q2"):
        score_answer(_item(), _answer("C", item_id="q2"))


# ----------------------------------------------------------- majority_vote ---


@pytest.mark.parametrize(
    ("choices", "winner"),
    [
        (["C", "C", "A"], "C"),
        (["A", None, None, "A", "B"], "A"),
        (["B"], "B"),
        (["A", "B"], None),
        (["A", "A", "B", "B", "C"], None),
        ([None, None], None),
        ([], None),
    ],
)
def test_majority_vote(choices: list[str | None], winner: str | None) -> None:
    assert majority_vote(choices) == winner
