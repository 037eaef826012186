"""Every kind of answer issue 7 §2 names, EN and ZH, written the way models write them.

Each row is (reply, options, expected letter or None, expected rule). The rules say which
family decided, so a regression that reads the right letter for the wrong reason shows.
"""

from __future__ import annotations

import pytest

from medjudge.scoring.mcq import extract, extract_choice, strict_choice

AGENTS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Dexmedetomidine"}
LOCALS = {"A": "Lidocaine", "B": "Bupivacaine", "C": "Ropivacaine", "D": "Chloroprocaine"}
REVERSAL = {"A": "Neostigmine", "B": "Sugammadex", "C": "Naloxone", "D": "Flumazenil"}
MORPHINE = {"A": "10 mg", "B": "20 mg", "C": "40 mg", "D": "80 mg"}
SATURATION = {"A": "88%", "B": "92%", "C": "95%", "D": "99%"}
FASTING = {"A": "1 hour", "B": "2 hours", "C": "4 hours", "D": "6 hours"}
BLOCK = {"A": "T4", "B": "T6", "C": "T10", "D": "S2"}
SIGNS = {
    "A": "Tachycardia and hypertension",
    "B": "Bradycardia and hypotension",
    "C": "Hypercarbia and muscle rigidity",
    "D": "Urticaria and wheeze",
}
ZH_AGENTS = {"A": "丙泊酚", "B": "氯胺酮", "C": "依托咪酯", "D": "右美托咪定"}
ZH_TOX = {"A": "心律失常", "B": "惊厥", "C": "高铁血红蛋白血症", "D": "过敏反应"}
ZH_DOSE = {"A": "0.1 mg", "B": "0.4 mg", "C": "1 mg", "D": "2 mg"}
ZH_TIME = {"A": "30分钟", "B": "1小时", "C": "2小时", "D": "6小时"}
ZH_SIGNS = {"A": "心动过缓", "B": "低血压", "C": "皮肤瘙痒", "D": "尿潴留"}

ANALYSIS_EN = (
    "Let's evaluate each option:\n\n"
    "**A. Propofol** – causes vasodilation and myocardial depression; poor choice in shock.\n"
    "**B. Ketamine** – sympathomimetic, but raises myocardial oxygen demand.\n"
    "**C. Etomidate** – haemodynamically neutral; single dose adrenal suppression is minor.\n"
    "**D. Dexmedetomidine** – not an induction agent.\n\n"
)
TABLE_EN = (
    "| Option | Agent | Comment |\n"
    "|---|---|---|\n"
    "| A | Propofol | Hypotension ✗ |\n"
    "| B | Ketamine | Tachycardia ✗ |\n"
    "| **C** | **Etomidate** | **Stable ✓** |\n"
    "| D | Dexmedetomidine | Slow onset ✗ |\n"
)
TABLE_ZH = (
    "| 选项 | 毒性 | 与布比卡因相关 |\n"
    "|---|---|---|\n"
    "| A | 心律失常 | ✔ 心脏毒性最突出 |\n"
    "| B | 惊厥 | 有，但非最主要 |\n"
    "| C | 高铁血红蛋白血症 | 丙胺卡因相关 |\n"
    "| D | 过敏反应 | 少见 |\n"
)

KINDS = [
    # ---- letters in tags or after short markers
    ("<answer>B</answer>", AGENTS, "B", "answer-tag"),
    ("<answer> (d) </answer>", LOCALS, "D", "answer-tag"),
    ("Thinking about onset and duration...\n<answer>\nA\n</answer>", REVERSAL, "A", "answer-tag"),
    ("<answer>Sugammadex</answer>", REVERSAL, "B", "answer-tag"),
    ("<answer>A, C</answer>", REVERSAL, None, "multiple-answers"),
    ("Ans: C", MORPHINE, "C", "answer-marker"),
    ("ans - d", FASTING, "D", "answer-marker"),
    ("Final: B", SATURATION, "B", "answer-marker"),
    ("**Final:** (A)", BLOCK, "A", "answer-marker"),
    ("Conclusion: D", LOCALS, "D", "answer-marker"),
    ("My answer: B", SIGNS, "B", "answer-marker"),
    ("Selected answer: C", AGENTS, "C", "answer-marker"),
    ("最终答案：C", ZH_AGENTS, "C", "zh-marker"),
    ("结论：A", ZH_TOX, "A", "zh-marker"),
    # ---- a lone letter on the last line
    (
        (
            "Bupivacaine is the most cardiotoxic amide because of its slow dissociation from "
            "sodium channels.\n\nB"
        ),
        LOCALS,
        "B",
        "last-line",
    ),
    (ANALYSIS_EN + "C", AGENTS, "C", "last-line"),
    (
        "Considering the fasting guidelines for clear fluids in adults…\n\n(B)",
        FASTING,
        "B",
        "last-line",
    ),
    ("综合分析，布比卡因的心脏毒性最强。\n\nA", ZH_TOX, "A", "last-line"),
    ("A patient with a full stomach is a concern.\n\nA", AGENTS, "A", "last-line"),
    # ---- a letter in parentheses after the chosen value
    ("The usual dose is 40 mg (option C).", MORPHINE, "C", "value-letter"),
    ("Keep the saturation above 92% (B) in COPD.", SATURATION, "B", "value-letter"),
    (
        "Clear fluids are allowed up to 2 hours (choice B) before induction.",
        FASTING,
        "B",
        "value-letter",
    ),
    ("A T4 level (A) is needed for caesarean section.", BLOCK, "A", "value-letter"),
    ("纳洛酮的初始剂量为0.4 mg（B）。", ZH_DOSE, "B", "value-letter"),
    ("应选用依托咪酯（选项C）。", ZH_AGENTS, "C", "value-letter"),
    ("Propofol (A) drops the pressure, ketamine (B) raises it.", AGENTS, None, "no-answer"),
    # ---- sentences that name the option
    ("Given the haemodynamics, that is option C.", AGENTS, "C", "conclusion"),
    (
        "I would pick B over C because sugammadex works at any depth of block.",
        REVERSAL,
        "B",
        "conclusion",
    ),
    ("We'd choose D rather than A here.", LOCALS, "D", "conclusion"),
    ("The one not included in the triad is D.", SIGNS, "D", "conclusion"),
    ("The exception here is C.", LOCALS, "C", "conclusion"),
    ("The best answer is option A.", REVERSAL, "A", "answer-marker"),
    ("Choice D is correct.", BLOCK, "D", "conclusion"),
    ("因此选C", ZH_AGENTS, "C", "zh-marker"),
    ("即为选项A。", ZH_TOX, "A", "zh-marker"),
    ("最可能的是D。", ZH_SIGNS, "D", "conclusion"),
    ("最合适的选择是B。", ZH_DOSE, "B", "zh-marker"),
    ("所以应该选择选项C。", ZH_TIME, "C", "zh-marker"),
    ("故正确的是A。", ZH_SIGNS, "A", "conclusion"),
    # ---- replies that begin with the letter and a full stop
    (
        "C. Etomidate is haemodynamically stable and is preferred in this hypotensive patient.",
        AGENTS,
        "C",
        "bare-letter",
    ),
    (
        (
            "B. Sugammadex encapsulates rocuronium.\n\nIt works even from a deep block, unlike "
            "neostigmine."
        ),
        REVERSAL,
        "B",
        "bare-letter",
    ),
    ("D.", FASTING, "D", "bare-letter"),
    ("A。心律失常是布比卡因最严重的毒性反应。", ZH_TOX, "A", "bare-letter"),
    ("B．0.4 mg静脉注射。", ZH_DOSE, "B", "bare-letter"),
    ("(C) 40 mg", MORPHINE, "C", "bare-letter"),
    ("A. Propofol\nB. Ketamine\nC. Etomidate\nD. Dexmedetomidine", AGENTS, None, "no-answer"),
    # ---- only the option's content: exact, other case, paraphrased, its value
    ("Ropivacaine", LOCALS, "C", "option-text"),
    ("NEOSTIGMINE", REVERSAL, "A", "option-text"),
    ("chloroprocaine, because of its very short half-life in plasma.", LOCALS, "D", "option-text"),
    ("Give 20 mg.", MORPHINE, "B", "option-text"),
    ("20mg", MORPHINE, "B", "option-text"),
    ("Forty milligrams.", MORPHINE, "C", "option-text"),
    ("Target 95 percent.", SATURATION, "C", "option-text"),
    ("Four hours for breast milk.", FASTING, "C", "option-text"),
    ("Six hours.", FASTING, "D", "option-text"),
    ("It should reach T6.", BLOCK, "B", "option-text"),
    ("You would see bradycardia with hypotension.", SIGNS, "B", "option-paraphrase"),
    ("Expect muscle rigidity and hypercarbia.", SIGNS, "C", "option-paraphrase"),
    ("惊厥", ZH_TOX, "B", "option-text"),
    ("最常见的是皮肤瘙痒。", ZH_SIGNS, "C", "option-text"),
    ("两小时", ZH_TIME, "C", "option-text"),
    ("禁饮清液至少2 小时。", ZH_TIME, "C", "option-text"),
    ("1mg", ZH_DOSE, "C", "option-text"),
    ("Not propofol and not ketamine.", AGENTS, None, "no-answer"),
    ("Either lidocaine or bupivacaine would work.", LOCALS, None, "no-answer"),
    ("Give 2.5 mg.", ZH_DOSE, None, "no-answer"),
    # ---- markdown tables with the chosen row bolded or ticked, then a conclusion
    (TABLE_EN + "\nConclusion: **C**", AGENTS, "C", "answer-marker"),
    (TABLE_EN + "\nEtomidate is the agent of choice.", AGENTS, "C", "option-text"),
    (TABLE_EN, AGENTS, "C", "table-row"),
    (TABLE_ZH + "\n故选A。", ZH_TOX, "A", "zh-marker"),
    (TABLE_ZH, ZH_TOX, "A", "table-row"),
    (
        (
            "| Option | Dose | Appropriate? |\n|---|---|---|\n| A | 10 mg | yes |\n"
            "| B | 20 mg | yes |\n| C | 40 mg | no |\n| D | 80 mg | no |\n"
        ),
        MORPHINE,
        None,
        "no-answer",
    ),
    # ---- option-by-option analyses that end in a conclusion
    (ANALYSIS_EN + "Therefore, C is the best choice in septic shock.", AGENTS, "C", "conclusion"),
    (ANALYSIS_EN + "**Answer: C**", AGENTS, "C", "answer-marker"),
    (ANALYSIS_EN + "C fits best.", AGENTS, "C", "conclusion"),
    (
        (
            "A. Lidocaine – least cardiotoxic of the amides.\nB. Bupivacaine – binds cardiac "
            "sodium channels avidly, causes refractory VF.\nC. Ropivacaine – less cardiotoxic.\n"
            "D. Chloroprocaine – ester, rapidly hydrolysed.\n\nSo B is the most cardiotoxic."
        ),
        LOCALS,
        "B",
        "conclusion",
    ),
    (
        (
            "Option A: neostigmine cannot reverse a deep block.\nOption C: naloxone reverses "
            "opioids.\nOption D: flumazenil reverses benzodiazepines.\nThat leaves B as the "
            "correct choice."
        ),
        REVERSAL,
        "B",
        "conclusion",
    ),
    (
        (
            "A is wrong because 88% is too low. B is wrong because 92% is the COPD target. "
            "D is wrong because 99% risks hyperoxia. So C."
        ),
        SATURATION,
        "C",
        "conclusion",
    ),
    (
        (
            "逐一分析：\nA. 丙泊酚——血压下降明显；\nB. 氯胺酮——升高心率和血压；\n"
            "C. 依托咪酯——循环稳定；\nD. 右美托咪定——不用于诱导。\n\n因此选C。"
        ),
        ZH_AGENTS,
        "C",
        "zh-marker",
    ),
    ("A项错误。B项错误。C项错误。D项正确，尿潴留与鞘内吗啡有关。", ZH_SIGNS, "D", "conclusion"),
    ("A不是，B不是，C也不是，所以答案是D。", ZH_TIME, "D", "zh-marker"),
    ("排除A、B、D，答案为C。", ZH_DOSE, "C", "zh-marker"),
    # ---- the final answer wins over letters discussed before
    (
        "A is wrong because it vasodilates, B is wrong because it raises ICP, so C.",
        AGENTS,
        "C",
        "conclusion",
    ),
    ("At first D looks right, but the answer is B.", BLOCK, "B", "answer-marker"),
    ("Although option A is commonly used, option D is correct here.", LOCALS, "D", "conclusion"),
    # ---- Chinese self-corrections
    ("起初选B……更正为C", ZH_AGENTS, "C", "zh-marker"),
    ("答案：A\n\n等等，重新考虑后，应该是B。", ZH_TOX, "B", "conclusion"),
    ("我一开始选了D，但仔细看题后改为A。", ZH_SIGNS, "A", "zh-marker"),
    (
        (
            "Answer: A\n\nWait — actually, the block needs to reach T4 for this, so the answer is "
            "A... no, for a hip it is T10: C."
        ),
        BLOCK,
        "C",
        "conclusion",
    ),
    # ---- contradictions: the letter contradicts the option text it quotes
    ("Answer: B (propofol)", AGENTS, None, "contradiction"),
    ("The answer is A. Bupivacaine.", LOCALS, None, "contradiction"),
    ("答案：D（氯胺酮）", ZH_AGENTS, None, "contradiction"),
    ("<answer>C (20 mg)</answer>", MORPHINE, None, "contradiction"),
    ("C) 92%", SATURATION, None, "contradiction"),
    ("Answer: B (Ketamine)", AGENTS, "B", "answer-marker"),
    ("Answer: C, etomidate, because it keeps the pressure.", AGENTS, "C", "answer-marker"),
    # ---- negations never choose
    ("The answer is not B.", LOCALS, None, "no-answer"),
    ("A is incorrect.", REVERSAL, None, "no-answer"),
    ("排除A。", ZH_TOX, None, "no-answer"),
    ("不选C。", ZH_AGENTS, None, "no-answer"),
    ("Definitely not D; the answer is A.", FASTING, "A", "answer-marker"),
    ("It is not A but C.", AGENTS, "C", "negation"),
    # ---- hedges
    ("Either B or C.", REVERSAL, None, "hedge"),
    ("B or maybe C.", LOCALS, None, "hedge"),
    ("Probably A, but D could also be right.", FASTING, None, "hedge"),
    ("I can't decide between B and D.", SIGNS, None, "hedge"),
    ("可能是B也可能是C", ZH_TOX, None, "hedge"),
    ("可能是A，也可能是D。", ZH_TIME, None, "hedge"),
    ("The answer is either A or C.", AGENTS, None, "hedge"),
    (
        "Either B or C. After checking the onset times, the answer is B.",
        REVERSAL,
        "B",
        "answer-marker",
    ),
    # ---- several letters
    ("Answer: B and D", LOCALS, None, "multiple-answers"),
    ("答案：ACD", ZH_SIGNS, None, "multiple-answers"),
    ("B and C are both correct.", SIGNS, None, "multiple-answers"),
    # ---- refusals and truncations
    (
        "I'm unable to provide dosing for a real patient; please ask your anaesthetist.",
        MORPHINE,
        None,
        "refusal",
    ),
    ("As an AI language model I cannot give medical advice.", AGENTS, None, "refusal"),
    ("很抱歉，我无法回答这个问题。", ZH_DOSE, None, "refusal"),
    (
        "<think>\nThe block height for caesarean section is T4, so",
        BLOCK,
        None,
        "truncated-reasoning",
    ),
    ("<think>先看A：丙泊酚会导致低血压，再看B", ZH_AGENTS, None, "truncated-reasoning"),
    # ---- think blocks: only the text after </think> counts
    (
        "<think>Option A? Option D? I'll say A.</think>\n\nThe answer is **D**.",
        LOCALS,
        "D",
        "answer-marker",
    ),
    ("<think>\n考虑到老年患者，选C。\n</think>\n\n答案：B", ZH_DOSE, "B", "zh-marker"),
    ("<think>reasoning</think>\n\n**B. Sugammadex**", REVERSAL, "B", "bare-letter"),
    # ---- letters in terms are not answers
    ("The answer is vitamin C deficiency.", AGENTS, None, "no-answer"),
    ("Type A aortic dissection needs surgery.", BLOCK, None, "no-answer"),
    ("A 70-year-old needs less. Answer: A", MORPHINE, "A", "answer-marker"),
]


@pytest.mark.parametrize(("reply", "options", "letter", "rule"), KINDS)
def test_every_kind_of_answer(
    reply: str, options: dict[str, str], letter: str | None, rule: str
) -> None:
    found = extract(reply, options)
    assert (found.choice, found.rule) == (letter, rule)
    assert extract_choice(reply, options) == letter


def test_the_table_is_broad() -> None:
    assert len(KINDS) >= 120
    assert sum(letter is None for _, _, letter, _ in KINDS) >= 25
    assert sum(any("\u4e00" <= ch <= "\u9fff" for ch in r) for r, _, _, _ in KINDS) >= 35


# (reply, options, strict letter, lenient letter): strict reads only explicit markers.
STRICT = [
    ("<answer>B</answer>", AGENTS, "B", "B"),
    ("Ans: C", MORPHINE, "C", "C"),
    ("最终答案：C", ZH_AGENTS, "C", "C"),
    (ANALYSIS_EN + "C", AGENTS, None, "C"),
    ("The usual dose is 40 mg (option C).", MORPHINE, None, "C"),
    ("Ropivacaine", LOCALS, None, "C"),
    (TABLE_EN, AGENTS, None, "C"),
    ("最可能的是D。", ZH_SIGNS, None, "D"),
    ("Answer: B (propofol)", AGENTS, None, None),
    ("起初选B……更正为C", ZH_AGENTS, "C", "C"),
]


@pytest.mark.parametrize(("reply", "options", "strict", "lenient"), STRICT)
def test_strict_beside_lenient(
    reply: str, options: dict[str, str], strict: str | None, lenient: str | None
) -> None:
    assert strict_choice(reply, options) == strict
    assert extract_choice(reply, options) == lenient


def test_strict_names_a_contradiction() -> None:
    assert extract("Answer: B (propofol)", AGENTS, strict=True).rule == "contradiction"


# Edge cases met while checking the rules: listings, negated values, tentative answers.
EDGES = [
    (ANALYSIS_EN, AGENTS, None, "no-answer"),
    (ANALYSIS_EN + "Each option has merits and drawbacks.", AGENTS, None, "no-answer"),
    ("The answer depends: if hypotensive, C; otherwise A.", AGENTS, None, "no-answer"),
    ("I think the answer is C, but I'm not sure.", AGENTS, "C", "answer-marker"),
    (
        "Answer: C\n\nA. Propofol: hypotension.\nB. Ketamine: ICP.\nD. Dex: slow.",
        AGENTS,
        "C",
        "answer-marker",
    ),
    (
        "Propofol is the best choice for most patients, but in shock etomidate is preferred.",
        AGENTS,
        "C",
        "option-text",
    ),
    (
        "Ketamine (B) raises ICP, so avoid it. Etomidate is the agent of choice.",
        AGENTS,
        "C",
        "option-text",
    ),
    (
        "Question: Which agent...?\nA. Propofol\nB. Ketamine\nC. Etomidate\nD. Dexmedetomidine\n\nAnswer: C",
        AGENTS,
        "C",
        "answer-marker",
    ),
    ("A. Propofol\nB. Ketamine\nC. Etomidate\nD. Dexmedetomidine\n\nC", AGENTS, "C", "last-line"),
    ("答案：C。A选项丙泊酚会降低血压。", ZH_AGENTS, "C", "zh-marker"),
    ("C is wrong. A is wrong. D is wrong.", AGENTS, None, "no-answer"),
    ("选项A、B、C都不对。", ZH_AGENTS, None, "no-answer"),
    ("Option C, etomidate.", AGENTS, "C", "option-text"),
    ("the answer is c", AGENTS, "C", "answer-marker"),
    ("答案选C", ZH_AGENTS, "C", "zh-marker"),
    ("I'd rather not answer.", AGENTS, None, "no-answer"),
    ("It's B.\n\nWait, no — it's C.", AGENTS, "C", "conclusion"),
    ("B?", AGENTS, None, "no-answer"),
    ("Is it A? No. Is it B? No. It's C.", AGENTS, "C", "conclusion"),
    ("The correct answer is C (Etomidate).", AGENTS, "C", "answer-marker"),
    ("The correct answer is C (Propofol is wrong).", AGENTS, "C", "answer-marker"),
    ("Answer: C — etomidate. Propofol (A) would drop the pressure.", AGENTS, "C", "answer-marker"),
    ("A and B are wrong; C is correct.", AGENTS, "C", "conclusion"),
    ("Both A and C are wrong, the answer is B.", AGENTS, "B", "answer-marker"),
    ("A or B? Neither: the answer is D.", AGENTS, "D", "answer-marker"),
    ("Final Answer: The final answer is $\\boxed{C}$", AGENTS, "C", "boxed"),
    (
        "**Answer:** C. Etomidate\n\n**Explanation:** Propofol causes hypotension.",
        AGENTS,
        "C",
        "answer-marker",
    ),
    ("Answer: Etomidate (C)", AGENTS, "C", "value-letter"),
    ("Answer: Propofol (C)", AGENTS, None, "contradiction"),
    ("Correct answer: 40 mg", MORPHINE, "C", "option-text"),
    ("The dose is 40 mg, not 80 mg.", MORPHINE, "C", "option-text"),
    ("Avoid 80 mg; use 40 mg.", MORPHINE, "C", "option-text"),
    ("I'm not sure, maybe B.", AGENTS, "B", "conclusion"),
    ("Sorry, the answer is C.", AGENTS, "C", "answer-marker"),
    ("抱歉，答案是C。", ZH_AGENTS, "C", "zh-marker"),
    ("A 45-year-old with shock: C.", AGENTS, "C", "conclusion"),
    ("Dexmedetomidine", AGENTS, "D", "option-text"),
    (
        "Local anaesthetic systemic toxicity is most likely with bupivacaine.",
        LOCALS,
        "B",
        "option-text",
    ),
    ("Answer: (C) Etomidate. Not (A) propofol.", AGENTS, "C", "answer-marker"),
]


@pytest.mark.parametrize(("reply", "options", "letter", "rule"), EDGES)
def test_edge_cases(reply: str, options: dict[str, str], letter: str | None, rule: str) -> None:
    found = extract(reply, options)
    assert (found.choice, found.rule) == (letter, rule)
