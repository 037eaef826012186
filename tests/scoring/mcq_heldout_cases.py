"""A held-out set of realistic EN/ZH MCQ answers, written before the extraction rules were
reworked and never used to tune them: `test_mcq_heldout.py` measures accuracy on it.

Each row is (reply, options, expected letter or None). None means the reply commits to no
single answer (refusal, hedge, several letters, truncated reasoning, contradiction, none).
"""

from __future__ import annotations

INDUCTION = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}
RELAXANT = {"A": "Succinylcholine", "B": "Rocuronium", "C": "Cisatracurium", "D": "Vecuronium"}
ANTIDOTE = {"A": "Dantrolene", "B": "Sugammadex", "C": "Naloxone", "D": "Flumazenil"}
DOSE = {"A": "0.5 mg/kg", "B": "1 mg/kg", "C": "2 mg/kg", "D": "4 mg/kg"}
PERCENT = {"A": "10%", "B": "25%", "C": "50%", "D": "75%"}
HOURS = {"A": "2 hours", "B": "6 hours", "C": "8 hours", "D": "24 hours"}
LEVEL = {"A": "C5", "B": "T4", "C": "T10", "D": "L1"}
NERVE = {
    "A": "Median nerve",
    "B": "Ulnar nerve",
    "C": "Radial nerve",
    "D": "Musculocutaneous nerve",
    "E": "Axillary nerve",
}
SIGN = {
    "A": "Hypotension and bradycardia",
    "B": "Hypertension and tachycardia",
    "C": "Bronchospasm",
    "D": "Hyperthermia and rigidity",
}
ZH_DRUG = {"A": "丙泊酚", "B": "氯胺酮", "C": "依托咪酯", "D": "咪达唑仑"}
ZH_LYTE = {"A": "低钾血症", "B": "高钾血症", "C": "低钠血症", "D": "高钙血症"}
ZH_DOSE = {"A": "1 mg", "B": "2 mg", "C": "5 mg", "D": "10 mg"}
ZH_SIGN = {"A": "血压下降", "B": "心率增快", "C": "呼吸抑制", "D": "恶心呕吐", "E": "瘙痒"}
ZH_TIME = {"A": "2小时", "B": "4小时", "C": "6小时", "D": "8小时"}

T = "\n"

HELDOUT: list[tuple[str, dict[str, str], str | None]] = [
    # ---- explicit markers, tags, short markers
    ("<answer>C</answer>", INDUCTION, "C"),
    ("Reasoning: hemodynamic stability matters most.\n<answer>\nC\n</answer>", INDUCTION, "C"),
    ("<answer>(B) Ketamine</answer>", INDUCTION, "B"),
    ("Ans: D", INDUCTION, "D"),
    ("Ans. B", RELAXANT, "B"),
    ("Final: A", ANTIDOTE, "A"),
    ("Final - C", INDUCTION, "C"),
    ("**Final Answer: B**", RELAXANT, "B"),
    ("### Answer\n**D** — Vecuronium", RELAXANT, "D"),
    ("Correct answer → B", ANTIDOTE, "B"),
    ("Answer: (c)", DOSE, "C"),
    ("The correct response is A.", ANTIDOTE, "A"),
    ("Response: B", INDUCTION, "B"),
    ("My answer: C", LEVEL, "C"),
    ("Selected option: D", HOURS, "D"),
    (r"$\boxed{\textbf{C}}$", PERCENT, "C"),
    ('{"reasoning": "MH crisis needs dantrolene", "answer": "A"}', ANTIDOTE, "A"),
    ("答案：C", ZH_DRUG, "C"),
    ("【答案】B【解析】氯胺酮具有拟交感作用。", ZH_DRUG, "B"),
    ("正确答案：D", ZH_LYTE, "D"),
    ("答案为：Ａ。", ZH_DOSE, "A"),
    ("最终答案：E", ZH_SIGN, "E"),
    ("答：B", ZH_TIME, "B"),
    # ---- lone letter on the last line
    (
        ("Sepsis with hypotension: propofol drops SVR, midazolam is slow, ketamine keeps the"
        " sympathetic tone but etomidate is the most haemodynamically neutral.\n\nC"),
        INDUCTION,
        "C",
    ),
    ("Let me think about onset.\nRocuronium at 1.2 mg/kg gives conditions in 60 s.\n\n**B**",
     RELAXANT, "B"),
    ("The dermatome at the nipple line is T4.\n\nB.", LEVEL, "B"),
    ("经过分析，应该是硬膜外阻滞平面过高导致的。\n\nA", ZH_SIGN, "A"),
    ("Considering everything above:\n(D)", HOURS, "D"),
    # ---- letter in parentheses after the value
    ("The recommended intubating dose is 1 mg/kg (option B).", DOSE, "B"),
    ("You should wait 6 hours (B) after a light meal.", HOURS, "B"),
    ("Give dantrolene 2.5 mg/kg immediately (choice A).", ANTIDOTE, "A"),
    ("Roughly 50% (C) of patients experience this.", PERCENT, "C"),
    ("术前禁食固体食物一般为8小时（D）。", ZH_TIME, "D"),
    # ---- sentences that name the option
    ("Putting it together, that is option C.", INDUCTION, "C"),
    ("This corresponds to choice D.", LEVEL, "D"),
    ("I'd pick B over A here because of the shorter duration.", RELAXANT, "B"),
    ("I would choose C rather than A.", INDUCTION, "C"),
    ("The one that does not belong is D.", SIGN, "D"),
    ("The exception is A.", RELAXANT, "A"),
    ("Option B fits the scenario best.", ANTIDOTE, "B"),
    ("Choice C is the right one.", HOURS, "C"),
    ("So we go with D.", PERCENT, "D"),
    ("The best response here would be option A.", ANTIDOTE, "A"),
    ("所以选B。", ZH_DRUG, "B"),
    ("综上，本题应选D。", ZH_LYTE, "D"),
    ("故本题选择C。", ZH_SIGN, "C"),
    ("即为选项B。", ZH_TIME, "B"),
    ("最可能的是A。", ZH_LYTE, "A"),
    ("最佳选择是C。", ZH_DRUG, "C"),
    ("因此正确的是D。", ZH_DOSE, "D"),
    ("本题选C项。", ZH_SIGN, "C"),
    ("应当选择选项A。", ZH_TIME, "A"),
    ("结论：B", ZH_LYTE, "B"),
    # ---- replies that begin with the letter and a full stop
    (("B. Ketamine maintains blood pressure through sympathetic stimulation and is preferred"
     " in this hypotensive trauma patient."), INDUCTION, "B"),
    ("A. This is malignant hyperthermia and requires immediate dantrolene.", ANTIDOTE, "A"),
    (("D. The block level needed for a caesarean section is T4, but for this hip surgery T10"
     " suffices... actually L1 is enough for the lower limb."), LEVEL, "D"),
    ("C。依托咪酯对循环影响最小，适用于休克患者。", ZH_DRUG, "C"),
    ("B．高钾血症是琥珀胆碱最严重的不良反应之一。", ZH_LYTE, "B"),
    ("C. 5 mg is the usual starting dose.", ZH_DOSE, "C"),
    ("A) Propofol, because of its antiemetic effect.", INDUCTION, "A"),
    # ---- only the option's content
    ("Rocuronium", RELAXANT, "B"),
    ("sugammadex", ANTIDOTE, "B"),
    ("CISATRACURIUM", RELAXANT, "C"),
    ("The drug of choice is dantrolene.", ANTIDOTE, "A"),
    ("Use cisatracurium, since it undergoes Hofmann elimination.", RELAXANT, "C"),
    ("2 mg/kg", DOSE, "C"),
    ("The dose is 4 mg/kg.", DOSE, "D"),
    ("About 25 percent.", PERCENT, "B"),
    ("75%", PERCENT, "D"),
    ("It lasts around 24 hours.", HOURS, "D"),
    ("Six hours.", HOURS, "B"),
    ("The nipple line corresponds to T4.", LEVEL, "B"),
    ("The level is T10 (umbilicus).", LEVEL, "C"),
    ("The radial nerve.", NERVE, "C"),
    ("Injury to the ulnar nerve at the elbow explains the claw hand.", NERVE, "B"),
    ("It is the axillary nerve, which wraps around the surgical neck.", NERVE, "E"),
    ("Bronchospasm.", SIGN, "C"),
    ("The classic signs are hyperthermia with muscle rigidity.", SIGN, "D"),
    ("You would see hypotension with bradycardia.", SIGN, "A"),
    ("氯胺酮", ZH_DRUG, "B"),
    ("应使用依托咪酯。", ZH_DRUG, "C"),
    ("该患者最可能出现高钾血症。", ZH_LYTE, "B"),
    ("低钠血症", ZH_LYTE, "C"),
    ("剂量为2 mg。", ZH_DOSE, "B"),
    ("10mg", ZH_DOSE, "D"),
    ("主要表现为呼吸抑制。", ZH_SIGN, "C"),
    ("一般需要禁食6小时。", ZH_TIME, "C"),
    ("六小时", ZH_TIME, "C"),
    # ---- markdown tables
    (
        ("| Option | Drug | Suitable? |\n|---|---|---|\n| A | Propofol | ✗ hypotension |\n"
        "| B | Ketamine | ✗ raises ICP |\n| **C** | **Etomidate** | ✓ stable |\n"
        "| D | Midazolam | ✗ slow |\n\nConclusion: **C**"),
        INDUCTION,
        "C",
    ),
    (
        ("| | Agent | Comment |\n|---|---|---|\n| A | Dantrolene | ✓ |\n| B | Sugammadex | ✗ |\n"
        "| C | Naloxone | ✗ |\n| D | Flumazenil | ✗ |\n\nThe answer is dantrolene."),
        ANTIDOTE,
        "A",
    ),
    (
        ("| Choice | Value | Fits |\n|---|---|---|\n| A | 10% | no |\n| B | 25% | no |\n"
        "| C | 50% | **yes** |\n| D | 75% | no |\n\nSo the right option is C."),
        PERCENT,
        "C",
    ),
    (
        ("| 选项 | 药物 | 评价 |\n|---|---|---|\n| A | 丙泊酚 | 降压明显 |\n| B | 氯胺酮 | ✔ 维持血压 |\n"
        "| C | 依托咪酯 | 抑制肾上腺 |\n| D | 咪达唑仑 | 起效慢 |\n\n结论：选B。"),
        ZH_DRUG,
        "B",
    ),
    (
        ("| Option | Onset | Duration |\n|---|---|---|\n| A | 45 s | 8 min |\n| B | 60 s | 40 min |"
        "\n| C | 3 min | 45 min |\n| D | 2 min | 35 min |\n\nFor RSI with contraindication to"
        " succinylcholine, rocuronium is best."),
        RELAXANT,
        "B",
    ),
    # ---- option-by-option analyses ending in a conclusion
    (
        ("Let's go through each option.\n\nA. Propofol — reduces SVR; risky in shock.\n"
        "B. Ketamine — increases catecholamines; acceptable.\nC. Etomidate — minimal"
        " cardiovascular effects.\nD. Midazolam — hypotension at induction doses.\n\n"
        "Given the septic shock and the need for stability, C fits best."),
        INDUCTION,
        "C",
    ),
    (
        ("A: succinylcholine causes hyperkalaemia in burns, so it is contraindicated.\n"
        "B: rocuronium is fine.\nC: cisatracurium is fine.\nD: vecuronium is fine.\n\n"
        "So A is the contraindication."),
        RELAXANT,
        "A",
    ),
    (
        ("Option A (dantrolene) treats MH. Option B reverses rocuronium. Option C reverses"
        " opioids. Option D reverses benzodiazepines. The patient is apnoeic after"
        " fentanyl, so the one we need is C."),
        ANTIDOTE,
        "C",
    ),
    (
        ("- A is wrong: too low.\n- B is wrong: standard but not for this patient.\n"
        "- C is wrong: too high.\n- D is right: obese patients need total body weight.\n"),
        DOSE,
        "D",
    ),
    (
        ("A is incorrect because the median nerve supplies the thenar muscles. B is incorrect,"
        " the ulnar nerve gives the claw hand. D is incorrect. E is incorrect. So C, the"
        " radial nerve, explains the wrist drop."),
        NERVE,
        "C",
    ),
    (
        ("Analysis:\n1. Option A: 2 hours is for clear fluids.\n2. Option B: 6 hours for a"
        " light meal.\n3. Option C: 8 hours for fatty food.\n4. Option D: not required.\n\n"
        "The patient had a light breakfast, so B."),
        HOURS,
        "B",
    ),
    (
        ("逐项分析：\nA. 丙泊酚：可致低血压。\nB. 氯胺酮：升高颅内压。\nC. 依托咪酯：循环稳定。\n"
        "D. 咪达唑仑：起效慢。\n\n因此选C。"),
        ZH_DRUG,
        "C",
    ),
    (
        "A项：低钾血症不符合。B项：琥珀胆碱致血钾升高，符合。C项：无关。D项：无关。\n所以答案是B。",
        ZH_LYTE,
        "B",
    ),
    (
        "分析各选项：A错误，B错误，C错误，D正确。",
        ZH_DOSE,
        "D",
    ),
    (
        ("A. 血压下降——常见；B. 心率增快——少见；C. 呼吸抑制——最危险；D. 恶心呕吐——常见；"
        "E. 瘙痒——最常见。题目问最常见的不良反应，故E最符合。"),
        ZH_SIGN,
        "E",
    ),
    # ---- final answer after discussing others
    ("A is tempting, but B is better. C and D are wrong. Final answer: B.", RELAXANT, "B"),
    ("Although D looks right at first, the dose in the stem is for children; the answer is A.",
     DOSE, "A"),
    ("Not A (too short), not D (too long). The answer is C.", HOURS, "C"),
    ("We can exclude B and D. Between A and C, C is correct.", PERCENT, "C"),
    ("首先排除A和D，B也不对，因此答案是C。", ZH_DRUG, "C"),
    ("A不正确，B不正确，D不正确，故选C。", ZH_DOSE, "C"),
    # ---- self-corrections
    ("起初我选B，但考虑到患者存在休克，更正为C。", ZH_DRUG, "C"),
    ("答案：A。不对，再想一下，应该是D。", ZH_LYTE, "D"),
    ("我先倾向于C……仔细核对剂量后，修正答案为B。", ZH_DOSE, "B"),
    ("Answer: C\n\nOn second thought, the patient is in the prone position, so the answer is B.",
     NERVE, "B"),
    ("Initially I thought A, but actually D is correct.", SIGN, "D"),
    # ---- think blocks
    (("<think>\nThe patient has burns... succinylcholine is out. Rocuronium seems best.\n</think>"
     "\n\nThe answer is B."), RELAXANT, "B"),
    ("<think>Maybe A? No, C.</think>\nC", INDUCTION, "C"),
    ("<think>\n嗯，琥珀胆碱会导致高钾。\n</think>\n\n答案：B", ZH_LYTE, "B"),
    ("<think>Let me consider the percentages carefully</think>\n\n**Answer: (B) 25%**",
     PERCENT, "B"),
    # ---- more explicit / conclusion variants
    ("The answer is **D. Vecuronium**.", RELAXANT, "D"),
    ("Correct option: B", ANTIDOTE, "B"),
    ("Answer - (A) 0.5 mg/kg", DOSE, "A"),
    ("Thus, the most appropriate choice is option C.", NERVE, "C"),
    ("In conclusion, B.", LEVEL, "B"),
    ("Hence the answer must be (D).", SIGN, "D"),
    ("I'm fairly confident it's A.", ANTIDOTE, "A"),
    ("I'll go with C.", PERCENT, "C"),
    ("My pick: B", HOURS, "B"),
    ("B is the best answer here.", DOSE, "B"),
    ("Option D is correct because the musculocutaneous nerve pierces coracobrachialis.",
     NERVE, "D"),
    ("答案应该是C。", ZH_TIME, "C"),
    ("正确选项是B。", ZH_SIGN, "B"),
    ("选 D", ZH_LYTE, "D"),
    ("因此，本题的正确答案为A。", ZH_DRUG, "A"),
    ("综上所述，B项最符合。", ZH_DOSE, "B"),
    ("所以答案选C，6小时。", ZH_TIME, "C"),
    ("C项正确。", ZH_SIGN, "C"),
    ("依托咪酯（C）对循环影响最小。", ZH_DRUG, "C"),
    ("This is T10 (C), the level of the umbilicus.", LEVEL, "C"),
    ("The drug to give is naloxone (C).", ANTIDOTE, "C"),
    ("Reversal with sugammadex, option B, is fastest.", ANTIDOTE, "B"),
    ("The choice is D: 75%.", PERCENT, "D"),
    ("Go with A - propofol.", INDUCTION, "A"),
    ("**C**\n\nEtomidate is preferred in haemodynamic instability.", INDUCTION, "C"),
    ("(A) Dantrolene", ANTIDOTE, "A"),
    ("D) 24 hours", HOURS, "D"),
    ("B — T4", LEVEL, "B"),
    ("Option C.", NERVE, "C"),
    ("选项D。", ZH_TIME, "D"),
    ("D项", ZH_LYTE, "D"),
    ("(B)", ZH_DRUG, "B"),
    ("The answer is the second option, B.", DOSE, "B"),
    ("My final choice would be C.", HOURS, "C"),
    ("The right answer here: A", SIGN, "A"),
    ("It must be B, since the others reverse different drugs.", ANTIDOTE, "B"),
    ("Best answer = D", RELAXANT, "D"),
    ("Answer\nB", PERCENT, "B"),
    ("答案\nC", ZH_DRUG, "C"),
    ("Based on the above, I select option A.", DOSE, "A"),
    ("We should pick D.", INDUCTION, "D"),
    ("That leaves B as the correct choice.", SIGN, "B"),
    ("Only C remains.", LEVEL, "C"),
    ("因此选择B项。", ZH_SIGN, "B"),
    ("应选A，低钾血症。", ZH_LYTE, "A"),
    ("故答案为D。", ZH_DOSE, "D"),
    ("本题正确答案是：B", ZH_TIME, "B"),
    ("E is the correct answer: the axillary nerve.", NERVE, "E"),
    (("Option A — succinylcholine — is contraindicated here, so the answer is the one that is"
     " safe and fast: B."), RELAXANT, "B"),
    ("The correct answer is C. Cisatracurium is organ-independent.", RELAXANT, "C"),
    ("Answer: D\nExplanation: Flumazenil reverses benzodiazepines.", ANTIDOTE, "D"),
    ("Final answer: (C) 50%", PERCENT, "C"),
    ("Answer is A.", HOURS, "A"),
    ("The answer: B", LEVEL, "B"),
    ("\\boxed{B}", SIGN, "B"),
    ('```json\n{"answer": "D", "confidence": "high"}\n```', DOSE, "D"),
    ("答案是 A（丙泊酚）。", ZH_DRUG, "A"),
    ("正确答案：C. 5 mg", ZH_DOSE, "C"),
    ("结论：选项E（瘙痒）最常见。", ZH_SIGN, "E"),
    ("故正确答案选A。", ZH_TIME, "A"),
    ("Answer: B (Ketamine)", INDUCTION, "B"),
    ("Answer: (D) Midazolam", INDUCTION, "D"),
    ("The answer is C, etomidate.", INDUCTION, "C"),
    ("正确答案为B，氯胺酮。", ZH_DRUG, "B"),
    ("A. Dantrolene", ANTIDOTE, "A"),
    ("C - Radial nerve", NERVE, "C"),
    ("Answer: T4", LEVEL, "B"),
    ("答案：高钾血症", ZH_LYTE, "B"),
    ("最终选择：咪达唑仑", ZH_DRUG, "D"),
    ("Final answer: dantrolene", ANTIDOTE, "A"),
    ("Answer: the ulnar nerve", NERVE, "B"),
    ("It should be given over 8 hours, so C.", HOURS, "C"),
    # ---- contradictions: the letter contradicts the option text it quotes
    ("Answer: B (propofol)", INDUCTION, None),
    ("The answer is C. Rocuronium.", RELAXANT, None),
    ("答案：A（氯胺酮）", ZH_DRUG, None),
    ("Final answer: D - 25%", PERCENT, None),
    # ---- refusals
    ("I'm not able to give medical advice. Please consult an anaesthetist.", INDUCTION, None),
    ("As an AI, I cannot make clinical decisions for real patients.", DOSE, None),
    ("抱歉，我无法提供具体的用药建议。", ZH_DOSE, None),
    ("I cannot answer this question.", NERVE, None),
    ("我不能回答这个问题，请咨询专业医生。", ZH_SIGN, None),
    # ---- hedges
    ("It's either B or C, depending on the patient's renal function.", RELAXANT, None),
    ("B, or maybe C.", INDUCTION, None),
    ("Probably A, but D is also possible.", HOURS, None),
    ("可能是B，也可能是C。", ZH_LYTE, None),
    ("答案可能是A或者D。", ZH_DRUG, None),
    ("I can't decide between A and C.", ANTIDOTE, None),
    ("Both B and C could be right here.", LEVEL, None),
    ("The answer is B or D.", SIGN, None),
    # ---- several letters
    ("Answer: A, C", NERVE, None),
    ("答案：BD", ZH_SIGN, None),
    ("A and D are both correct.", PERCENT, None),
    ("正确答案为A、B。", ZH_TIME, None),
    # ---- truncated reasoning
    ("<think>\nThe patient is in shock. Propofol would drop the pressure. Etomidate", INDUCTION,
     None),
    ("<think>先分析A选项：丙泊酚可致低血压。再看B选项", ZH_DRUG, None),
    ("<thinking>Considering the dose, 1 mg/kg is standard, but", DOSE, None),
    # ---- no answer at all / only negations
    ("A is wrong because it is too short.", HOURS, None),
    ("排除A。", ZH_LYTE, None),
    ("The answer is not D.", RELAXANT, None),
    ("It depends on the clinical context and the patient's comorbidities.", ANTIDOTE, None),
    (("Let me analyse each option.\n\nA. Propofol: causes hypotension.\nB. Ketamine: raises"
     " blood pressure.\nC. Etomidate: adrenal suppression."), INDUCTION, None),
    ("这道题需要结合患者的具体情况分析。", ZH_SIGN, None),
    ("Neither propofol nor midazolam is ideal here.", INDUCTION, None),
]
