"""Blind EN/ZH MCQ answers, written without reading the extractor or its cases (2026-12-02)."""
from __future__ import annotations

# ---------------------------------------------------------------- English options
_NMB = {"A": "Succinylcholine", "B": "Rocuronium", "C": "Vecuronium", "D": "Cisatracurium"}
_IND = {"A": "Propofol", "B": "Etomidate", "C": "Ketamine", "D": "Thiopental"}
_SUG = {"A": "2 mg/kg", "B": "4 mg/kg", "C": "16 mg/kg", "D": "8 mg/kg"}
_LVL = {"A": "T10", "B": "T4", "C": "L1", "D": "T6"}
_MH = {"A": "Dantrolene", "B": "Sugammadex", "C": "Neostigmine", "D": "Naloxone"}
_MAC = {"A": "1.15%", "B": "2.0%", "C": "6.0%", "D": "0.75%"}
_ISB = {"A": "Phrenic nerve", "B": "Recurrent laryngeal nerve", "C": "Long thoracic nerve", "D": "Vagus nerve"}
_LID = {"A": "3 mg/kg", "B": "4.5 mg/kg", "C": "7 mg/kg", "D": "10 mg/kg"}
_LAST = {"A": "Intralipid 20%", "B": "Sodium bicarbonate", "C": "Calcium gluconate", "D": "Propranolol"}
_MALL = {"A": "Class I", "B": "Class II", "C": "Class III", "D": "Class IV"}
_HORN = {"A": "Ptosis", "B": "Miosis", "C": "Anhidrosis", "D": "Mydriasis"}
_NPO = {"A": "2 hours", "B": "4 hours", "C": "6 hours", "D": "8 hours"}
_PONV = {"A": "5-HT3 receptor antagonist", "B": "D2 receptor antagonist", "C": "H1 receptor antagonist", "D": "NK1 receptor antagonist"}
_NERVE = {"A": "Ulnar nerve", "B": "Brachial plexus", "C": "Common peroneal nerve", "D": "Radial nerve", "E": "Sciatic nerve"}
_DABI = {"A": "Protamine", "B": "Idarucizumab", "C": "Vitamin K", "D": "Andexanet alfa"}
_TEST = {"A": "5 mcg", "B": "15 mcg", "C": "50 mcg", "D": "100 mcg"}
_FLUSH = {"A": "5-10 L/min", "B": "15-25 L/min", "C": "35-75 L/min", "D": "100-150 L/min"}
_PORPH = {"A": "Propofol", "B": "Thiopental", "C": "Fentanyl", "D": "Rocuronium"}
_ETT = {"A": "4.0 mm", "B": "4.5 mm", "C": "5.0 mm", "D": "6.0 mm"}
_TONGUE = {"A": "Glossopharyngeal nerve", "B": "Lingual nerve", "C": "Hypoglossal nerve", "D": "Superior laryngeal nerve"}
_LMWH = {"A": "4 hours", "B": "12 hours", "C": "24 hours", "D": "48 hours"}
_VOL = {"A": "Desflurane", "B": "Sevoflurane", "C": "Isoflurane", "D": "Nitrous oxide"}
_BG = {"A": "Desflurane", "B": "Sevoflurane", "C": "Isoflurane", "D": "Halothane"}
_CHAS = {"A": "C4", "B": "C6", "C": "C7", "D": "T4"}
_PPI = {"A": "10 mg", "B": "20 mg", "C": "40 mg", "D": "80 mg"}

# ---------------------------------------------------------------- Chinese options
_Z_IND = {"A": "丙泊酚", "B": "依托咪酯", "C": "氯胺酮", "D": "硫喷妥钠"}
_Z_NMB = {"A": "琥珀胆碱", "B": "罗库溴铵", "C": "维库溴铵", "D": "顺阿曲库铵"}
_Z_LVL = {"A": "T4", "B": "T6", "C": "T10", "D": "L1"}
_Z_MH = {"A": "丹曲林", "B": "舒更葡糖钠", "C": "新斯的明", "D": "纳洛酮"}
_Z_NPO = {"A": "2小时", "B": "4小时", "C": "6小时", "D": "8小时"}
_Z_ISB = {"A": "膈神经", "B": "喉返神经", "C": "胸长神经", "D": "迷走神经"}
_Z_LAST = {"A": "20%脂肪乳剂", "B": "碳酸氢钠", "C": "葡萄糖酸钙", "D": "普萘洛尔"}
_Z_HORN = {"A": "上睑下垂", "B": "瞳孔缩小", "C": "面部无汗", "D": "瞳孔散大"}
_Z_LID = {"A": "1.5 mg/kg", "B": "3 mg/kg", "C": "4.5 mg/kg", "D": "7 mg/kg"}
_Z_NERVE = {"A": "尺神经", "B": "臂丛神经", "C": "腓总神经", "D": "桡神经", "E": "坐骨神经"}
_Z_PONV = {"A": "5-HT3受体拮抗剂", "B": "多巴胺D2受体拮抗剂", "C": "H1受体拮抗剂", "D": "NK1受体拮抗剂"}
_Z_VOL = {"A": "地氟烷", "B": "七氟烷", "C": "异氟烷", "D": "氧化亚氮"}
_Z_DABI = {"A": "鱼精蛋白", "B": "依达赛珠单抗", "C": "维生素K", "D": "新鲜冰冻血浆"}
_Z_MALL = {"A": "Ⅰ级", "B": "Ⅱ级", "C": "Ⅲ级", "D": "Ⅳ级"}
_Z_DEX = {"A": "1 mg", "B": "4 mg", "C": "10 mg", "D": "20 mg"}
_Z_K = {"A": "高钾血症", "B": "低钾血症", "C": "高钙血症", "D": "低钠血症"}
_Z_AIR = {"A": "喉痉挛", "B": "支气管痉挛", "C": "误吸", "D": "恶性高热", "E": "过敏反应"}
_Z_MAC = {"A": "0.5 MAC", "B": "1.0 MAC", "C": "1.3 MAC", "D": "2.0 MAC"}
_Z_NEUR = {"A": "硬膜外血肿", "B": "硬脊膜穿破后头痛", "C": "短暂神经症状", "D": "马尾综合征"}
_Z_SED = {"A": "氯胺酮", "B": "右美托咪定", "C": "咪达唑仑", "D": "芬太尼"}


BLIND: list[tuple[str, dict[str, str], str | None]] = [
    # ============================================================ ENGLISH
    # --- Hofmann elimination (cisatracurium = D)
    ("D", _NMB, "D"),
    ("The answer is D.", _NMB, "D"),
    ("**Answer: D. Cisatracurium**\n\nCisatracurium undergoes Hofmann elimination, which is independent of hepatic and renal function.", _NMB, "D"),
    ("Let's analyze each option:\n\n1. **A. Succinylcholine** – metabolized by plasma cholinesterase.\n2. **B. Rocuronium** – mainly hepatic uptake and biliary excretion.\n3. **C. Vecuronium** – hepatic metabolism, renal excretion of metabolites.\n4. **D. Cisatracurium** – Hofmann elimination and ester hydrolysis.\n\nTherefore, the correct answer is **D**.", _NMB, "D"),
    ("Cisatracurium", _NMB, "D"),
    ("cisatracurium, because it undergoes Hofmann degradation at physiological pH and temperature.", _NMB, "D"),
    ("Answer: B (cisatracurium)", _NMB, None),
    ("It's between B and D; without more clinical context I can't pick one.", _NMB, None),
    ("I would pick D over C, since vecuronium depends on the liver and kidneys for clearance.", _NMB, "D"),
    ("Not C — vecuronium's metabolites accumulate in renal failure. It's D.", _NMB, "D"),
    ("Rocuronium relies on hepatic clearance, and vecuronium has an active metabolite that is renally excreted. Cisatracurium breaks down spontaneously in plasma.\n\nD", _NMB, "D"),
    ("Initially I thought C (vecuronium), but 3-desacetylvecuronium accumulates in renal failure. Correct answer: D.", _NMB, "D"),
    ("Let me think through each option.\n\nA. Succinylcholine — hydrolyzed by butyrylcholinesterase; duration is prolonged in pseudocholinesterase deficiency.\nB. Rocuronium — steroidal, eliminated largely unchanged in bile.\nC. Vecuronium — ", _NMB, None),
    ("I cannot determine the answer without more information about the patient's renal and hepatic function.", _NMB, None),
    ("B and D are both correct.", _NMB, None),
    # --- adrenal suppression (etomidate = B)
    ("B. Etomidate inhibits 11β-hydroxylase, causing adrenocortical suppression. Propofol (A) and ketamine (C) do not have this effect.", _IND, "B"),
    ("<think>\nThe question asks which induction agent causes adrenal suppression. Propofol? No. Ketamine is sympathomimetic. Thiopental - no. Etomidate inhibits 11-beta-hydroxylase. So B.\n</think>\n\nThe answer is **B. Etomidate**.", _IND, "B"),
    ("<think>\nOkay, adrenal suppression... I remember etomidate blocks 11β-hydroxylase. Wait, could thiopental do it? No. So etomidate, option B. Let me double check: A propofol, B etomidate, C ketamine, D thiopental. Yes.\n</think>\n\n**B**", _IND, "B"),
    ("<think>\nHmm, ketamine maybe? C... no wait, the question says adrenal suppression, not sympathetic stimulation. That's etomidate.\n</think>\n\nAnswer: B", _IND, "B"),
    ("<think>\nAdrenal suppression after a single induction dose... Propofol is mostly known for hypotension and pain on injection. Ketamine increases sympathetic tone. Thiopental can precipitate porphyria. Etomidate, on the other hand, is known for myoclonus and", _IND, None),
    ("Final answer: etomidate", _IND, "B"),
    ("ETOMIDATE", _IND, "B"),
    ("Answer: C (etomidate)", _IND, None),
    ("The answer is C. Ketamine... wait, no. Ketamine does not suppress the adrenal axis; that's etomidate. Correct answer: B.", _IND, "B"),
    ('{"answer": "B", "explanation": "Etomidate inhibits 11β-hydroxylase."}', _IND, "B"),
    ('{"reasoning": "A causes hypotension; C raises blood pressure; D can release histamine. B inhibits 11-beta-hydroxylase.", "answer": "B"}', _IND, "B"),
    ("Answer:B\nExplanation: Etomidate cause adrenal suppression by inhibit 11-beta hydroxylase enzyme.", _IND, "B"),
    ("The answer is not A. Propofol causes dose-dependent hypotension; in a hypovolemic trauma patient etomidate is preferred for its hemodynamic stability, so I choose B.", _IND, "B"),
    # --- asthma induction (ketamine = C)
    ("For a patient in status asthmaticus, ketamine is preferred due to its bronchodilating properties.\n\nAnswer: C", _IND, "C"),
    ("The best choice is the NMDA antagonist (option C), which also relaxes bronchial smooth muscle.", _IND, "C"),
    ("| Option | Drug | Bronchodilation |\n|---|---|---|\n| A | Propofol | Mild |\n| B | Etomidate | None |\n| **C** | **Ketamine** | **Strong ✓** |\n| D | Thiopental | No (may cause bronchospasm) |\n\nConclusion: **C. Ketamine**", _IND, "C"),
    ("### Correct option: **C** — Ketamine\n\n- **A** (propofol) may cause hypotension.\n- **B** (etomidate) has no bronchodilatory effect.\n- **D** (thiopental) can release histamine.", _IND, "C"),
    ("Both propofol and ketamine are acceptable in asthmatic patients; A or C would be reasonable.", _IND, None),
    ("I'm not able to provide medical advice. Please consult a qualified anesthesiologist.", _IND, None),
    # --- sugammadex
    ("Sugammadex 4 mg/kg is recommended for deep blockade (1–2 post-tetanic counts). 2 mg/kg (A) is for moderate block and 16 mg/kg (C) is for immediate reversal.\n\nAnswer: B", _SUG, "B"),
    ("4 mg/kg", _SUG, "B"),
    ("The recommended dose is 16 mg/kg (option C) when reversal is needed immediately after 1.2 mg/kg rocuronium.", _SUG, "C"),
    ("Ans: A", _SUG, "A"),
    # --- cesarean spinal level (T4 = B)
    ("A sensory block to T4 is required for cesarean section. **Answer: B**", _LVL, "B"),
    ("T4", _LVL, "B"),
    ("The level should reach T4 (option B); a T10 level (A) is sufficient only for labor analgesia.", _LVL, "B"),
    ("Answer: T6", _LVL, "D"),
    ("Either T4 or T6 is commonly quoted in textbooks, so B or D.", _LVL, None),
    ("B.", _LVL, "B"),
    # --- malignant hyperthermia (dantrolene = A)
    ("A. Dantrolene", _MH, "A"),
    ("The specific treatment for malignant hyperthermia is dantrolene 2.5 mg/kg IV, repeated as needed. Sugammadex (B), neostigmine (C) and naloxone (D) have no role.\n\nFinal: A", _MH, "A"),
    ("## Answer\n\n**A — Dantrolene**\n\n## Explanation\n\nDantrolene blocks the ryanodine receptor (RyR1) and reduces calcium release from the sarcoplasmic reticulum. Neostigmine (C) would be of no benefit.", _MH, "A"),
    ("<answer>A</answer>", _MH, "A"),
    ("Answer: A, C", _MH, None),
    ("dantrolene sodium", _MH, "A"),
    # --- MAC sevoflurane (2.0% = B)
    ("The MAC of sevoflurane in a 40-year-old is approximately 2.0% (option B). Isoflurane is 1.15% and desflurane 6.0%.", _MAC, "B"),
    ("About 2%.", _MAC, "B"),
    ("Sevoflurane MAC ≈ 2.0%. Option A (1.15%) corresponds to isoflurane, C (6%) to desflurane, D (0.75%) to halothane. So the answer is B.", _MAC, "B"),
    ("| Agent | MAC (%) |\n|---|---|\n| Isoflurane | 1.15 |\n| Sevoflurane | 2.0 ✓ |\n| Desflurane | 6.0 |\n| Halothane | 0.75 |\n\nThe MAC of sevoflurane is 2.0%, so the answer is B.", _MAC, "B"),
    ("Answer: B (1.15%)", _MAC, None),
    # --- interscalene (phrenic = A)
    ("Interscalene block causes ipsilateral phrenic nerve palsy in nearly 100% of cases.\n\nThe answer is A.", _ISB, "A"),
    ("phrenic", _ISB, "A"),
    ("Answer: A\n\nExplanation: Hemidiaphragmatic paresis is almost universal. Recurrent laryngeal nerve block (B) causes hoarseness and occurs less often. C and D are unrelated.", _ISB, "A"),
    ("Hoarseness from recurrent laryngeal involvement (B) is common, but the structure blocked almost universally is the phrenic nerve — **A**.", _ISB, "A"),
    # --- lidocaine max dose (4.5 mg/kg = B)
    ("The maximum dose of plain lidocaine is 4.5 mg/kg (option B); with epinephrine it increases to 7 mg/kg (C).", _LID, "B"),
    ("4.5 mg/kg", _LID, "B"),
    ("Max dose: 7 mg/kg with epi, 4.5 without. Since the question asks about lidocaine without epinephrine: **B**.", _LID, "B"),
    ("Some sources say 3 mg/kg, others 4.5 mg/kg; I'd go with either A or B.", _LID, None),
    # --- LAST (lipid = A)
    ("Intralipid 20% — 1.5 mL/kg bolus followed by an infusion of 0.25 mL/kg/min.\n\nOption A", _LAST, "A"),
    ("A is correct. B (bicarbonate) may be used for acidosis but is not first-line; C and D are not indicated.", _LAST, "A"),
    ("Lipid emulsion therapy is the treatment of choice.", _LAST, "A"),
    ("Both lipid emulsion and bicarbonate have been used, but I would pick A over B.", _LAST, "A"),
    # --- Mallampati (class IV = D)
    ("Class IV", _MALL, "D"),
    ("When only the hard palate is visible, it is Mallampati class IV. Class III (C) shows the soft palate and base of the uvula.\n\nAnswer: D", _MALL, "D"),
    ("Only the hard palate is visible → class IV.\nFinal: D", _MALL, "D"),
    ("D) Class IV", _MALL, "D"),
    ("answer: d", _MALL, "D"),
    # --- Horner NOT feature (mydriasis = D)
    ("Horner syndrome presents with ptosis, miosis and anhidrosis. The one not included is D, mydriasis.", _HORN, "D"),
    ("The one not included is mydriasis.", _HORN, "D"),
    ("Ptosis (A) – present\nMiosis (B) – present\nAnhidrosis (C) – present\nMydriasis (D) – absent; the pupil is constricted, not dilated\n\nAnswer: D", _HORN, "D"),
    ("All of A, B and C are features; the exception is D.", _HORN, "D"),
    ("Answers: B, C, D", _HORN, None),
    # --- fasting
    ("Clear fluids may be taken up to 2 hours before elective anesthesia (ASA guidelines). Breast milk 4 hours, light meal 6 hours, fatty meal 8 hours.\n\n**Answer: A**", _NPO, "A"),
    ("2 hours", _NPO, "A"),
    ("Two hours.", _NPO, "A"),
    ("The correct fasting time for clear liquids is 2 h (option A).", _NPO, "A"),
    ("Clear fluids: 2 hours. Breast milk: 4 hours.\nSo the answer for infant formula is C (6 hours).", _NPO, "C"),
    # --- ondansetron (5-HT3 = A)
    ("Ondansetron is a selective 5-HT3 receptor antagonist.\n\nAnswer: A", _PONV, "A"),
    ("A selective serotonin 5-HT3 receptor antagonist", _PONV, "A"),
    ("Answer: A or B", _PONV, None),
    ("Metoclopramide is a D2 antagonist (B), promethazine an H1 antagonist (C), aprepitant an NK1 antagonist (D). Ondansetron therefore corresponds to A.", _PONV, "A"),
    # --- perioperative nerve injury (5 options)
    ("The ulnar nerve is the most commonly injured peripheral nerve during general anesthesia (ASA Closed Claims).\n\nAnswer: A", _NERVE, "A"),
    ("Ulnar neuropathy is most common overall, but in the lithotomy position the common peroneal nerve is most at risk.\n\nFor this patient in lithotomy: **C**", _NERVE, "C"),
    ("E", _NERVE, "E"),
    ("Answer: Sciatic nerve", _NERVE, "E"),
    # --- dabigatran reversal (idarucizumab = B)
    ("Idarucizumab (Praxbind) is a monoclonal antibody fragment that binds dabigatran. Andexanet alfa (D) reverses factor Xa inhibitors, not dabigatran.\n\nAnswer: **B**", _DABI, "B"),
    ("B. Idarucizumab", _DABI, "B"),
    ("Not D — andexanet is for apixaban/rivaroxaban. The correct choice is B.", _DABI, "B"),
    ("Idarucizumab", _DABI, "B"),
    ("Answer: A (Idarucizumab)", _DABI, None),
    ("The correct answer is option (B).", _DABI, "B"),
    # --- epidural test dose (15 mcg = B)
    ("15 mcg of epinephrine (option B) — an increase in HR ≥ 10 bpm suggests intravascular injection.", _TEST, "B"),
    ("The standard test dose is 3 mL of 1.5% lidocaine with 1:200,000 epinephrine, which contains 15 µg of epinephrine.\n\nFinal answer: B", _TEST, "B"),
    ("15 mcg", _TEST, "B"),
    # --- O2 flush (35-75 = C)
    ("35-75 L/min", _FLUSH, "C"),
    ("The oxygen flush delivers 35–75 L/min of 100% O2, bypassing the vaporizers. So C.", _FLUSH, "C"),
    ("C is the answer. A (5-10 L/min) is a typical fresh gas flow; B is too low; D is far too high.", _FLUSH, "C"),
    ("Correct option: (c) 35-75 L/min", _FLUSH, "C"),
    # --- porphyria (thiopental = B)
    ("Barbiturates such as thiopental induce ALA synthase and can precipitate an acute porphyric crisis.\n\nAnswer: B", _PORPH, "B"),
    ("Thiopental is contraindicated. Propofol, fentanyl and rocuronium are considered safe.", _PORPH, "B"),
    ("**Thiopental (B)**", _PORPH, "B"),
    # --- ETT size, 4-year-old
    ("Using the formula (age/4) + 4 = (4/4) + 4 = 5.0 mm uncuffed tube.\n\nAnswer: C", _ETT, "C"),
    ("(4/4) + 4 = 5 → 5.0 mm. For a cuffed tube you would subtract 0.5 (4.5 mm, option B), but the question asks for uncuffed, so C.", _ETT, "C"),
    ("5.0 mm", _ETT, "C"),
    ("For a cuffed tube: (age/4) + 3.5 = 4.5 mm.\n\nFinal: B", _ETT, "B"),
    ("Based on the information provided, the most likely answer is C) 5.0 mm.", _ETT, "C"),
    # --- tongue sensation (lingual = B)
    ("The lingual nerve (branch of V3) provides general sensation to the anterior two-thirds of the tongue. The glossopharyngeal nerve (A) supplies the posterior third.\n\nAnswer: B", _TONGUE, "B"),
    ("lingual nerve", _TONGUE, "B"),
    ("Answer: B\n\nWhy not the others:\n- A: posterior one-third\n- C: motor only\n- D: supraglottic larynx", _TONGUE, "B"),
    # --- LMWH timing
    ("For prophylactic-dose enoxaparin, wait at least 12 hours before neuraxial puncture; for therapeutic dosing wait 24 hours.\n\nAnswer: B", _LMWH, "B"),
    ("12 hours (B). The 24-hour interval (C) applies to therapeutic doses.", _LMWH, "B"),
    ("24 hours", _LMWH, "C"),
    # --- compound A (sevoflurane = B)
    ("Compound A is produced when sevoflurane reacts with CO2 absorbents (especially Baralyme) at low fresh gas flows.\n\nB", _VOL, "B"),
    ("Sevoflurane. (Desflurane, by contrast, produces carbon monoxide with desiccated absorbent.)", _VOL, "B"),
    # --- lowest blood:gas coefficient (desflurane = A)
    ("Desflurane has the lowest blood:gas partition coefficient (0.42) among the listed agents, giving the fastest onset and offset.\n\n**Answer: A. Desflurane**", _BG, "A"),
    ("\\boxed{A}", _BG, "A"),
    # --- Chassaignac's tubercle
    ("Chassaignac's tubercle is the anterior tubercle of the C6 transverse process.\n\nAnswer: C6", _CHAS, "B"),
    ("The stellate ganglion lies at C7 but the block is performed at C6. I would answer B or C depending on interpretation.", _CHAS, None),
    # --- esomeprazole IV dose (40 mg = C)
    ("The usual IV dose is 40 mg (option C) once daily.", _PPI, "C"),
    ("Give esomeprazole 40 mg IV once daily.", _PPI, "C"),
    # --- replies committing to nothing
    ("The answer is", _PPI, None),
    ("I'm sorry, but I can't help with that.", _PONV, None),

    # ============================================================ CHINESE
    # --- 诱导药物：肾上腺抑制（依托咪酯 = B）
    ("答案：B", _Z_IND, "B"),
    ("答案：B。依托咪酯抑制11β-羟化酶，导致肾上腺皮质功能抑制。", _Z_IND, "B"),
    ("依托咪酯", _Z_IND, "B"),
    ("B。依托咪酯可抑制肾上腺皮质激素合成，丙泊酚（A）和氯胺酮（C）无此作用。", _Z_IND, "B"),
    ("<think>\n题目问哪种诱导药物会抑制肾上腺皮质功能。丙泊酚主要是低血压，氯胺酮兴奋交感，硫喷妥钠可诱发卟啉症。依托咪酯抑制11β-羟化酶。所以选B。\n</think>\n\n**答案：B. 依托咪酯**", _Z_IND, "B"),
    ("<think>\n嗯，这个问题是关于诱导药物的。依托咪酯……不对，先想想丙泊酚。丙泊酚对循环抑制明显。氯胺酮会升高血压。依托咪酯对肾上腺", _Z_IND, None),
    ("B 依托咪酯", _Z_IND, "B"),
    # --- 哮喘诱导（氯胺酮 = C）
    ("因此选C。氯胺酮具有支气管扩张作用，适用于哮喘患者。", _Z_IND, "C"),
    ("哮喘患者首选氯胺酮（选项C），因其具有拟交感作用，可扩张支气管。", _Z_IND, "C"),
    ("起初选B，但依托咪酯并无支气管扩张作用……更正为C，氯胺酮。", _Z_IND, "C"),
    ("答案：A（氯胺酮）", _Z_IND, None),
    ("丙泊酚和氯胺酮都可以用于哮喘患者，A和C均可。", _Z_IND, None),
    ("| 选项 | 药物 | 支气管扩张 |\n|---|---|---|\n| A | 丙泊酚 | 轻度 |\n| B | 依托咪酯 | 无 |\n| C | 氯胺酮 | 明显 ✓ |\n| D | 硫喷妥钠 | 无，可致支气管痉挛 |\n\n综上，答案为C。", _Z_IND, "C"),
    ("## 答案\n\n**C. 氯胺酮**\n\n## 解析\n\n- A. 丙泊酚：可能导致低血压\n- B. 依托咪酯：无支气管扩张作用\n- D. 硫喷妥钠：可释放组胺", _Z_IND, "C"),
    # --- 肌松药（顺阿曲库铵 = D；烧伤禁用琥珀胆碱 = A）
    ("答案是D，顺阿曲库铵经霍夫曼消除，不依赖肝肾功能。", _Z_NMB, "D"),
    ("顺阿曲库铵", _Z_NMB, "D"),
    ("逐项分析：\n1. A. 琥珀胆碱——由血浆胆碱酯酶水解。\n2. B. 罗库溴铵——主要经肝胆排泄。\n3. C. 维库溴铵——经肝代谢、肾排泄。\n4. D. 顺阿曲库铵——霍夫曼消除。\n\n故正确答案为D。", _Z_NMB, "D"),
    ("肝肾功能衰竭患者应选择不依赖器官代谢的肌松药，即为选项D。", _Z_NMB, "D"),
    ("大面积烧伤患者使用琥珀胆碱可导致严重高钾血症，故不宜使用的是A。", _Z_NMB, "A"),
    ("答案：B、D", _Z_NMB, None),
    ("最可能的是D。", _Z_NMB, "D"),
    ("D。顺阿曲库铵在生理pH和体温下自发降解。", _Z_NMB, "D"),
    ("我倾向于选D而不是C，因为维库溴铵的代谢产物在肾衰时会蓄积。", _Z_NMB, "D"),
    ("正确答案：D\n\n解析：A项琥珀胆碱由血浆胆碱酯酶水解；B项罗库溴铵主要经肝脏代谢；C项维库溴铵的代谢产物经肾排泄。", _Z_NMB, "D"),
    ("答案：B。\n\n等等，重新考虑一下：题目问的是不依赖肝肾功能的肌松药，罗库溴铵主要经肝脏排泄，不符合。应改为D。", _Z_NMB, "D"),
    # --- 阻滞平面（剖宫产 T4 = A；分娩镇痛 T10 = C）
    ("剖宫产腰麻阻滞平面需达到T4。\n\n答案：A", _Z_LVL, "A"),
    ("T4", _Z_LVL, "A"),
    ("阻滞平面应达T4（选项A）；T10（C）仅适用于分娩镇痛。", _Z_LVL, "A"),
    ("分娩镇痛第一产程所需阻滞平面为T10。因此选C。", _Z_LVL, "C"),
    ("T4或T6都有教材提到，A和B都可以。", _Z_LVL, None),
    ("答案：T10", _Z_LVL, "C"),
    ("<think>\n用户问的是剖宫产麻醉平面。一般需要T4……但也有说T6的。我觉得T4更准确。\n</think>\n\n答案：A", _Z_LVL, "A"),
    ("答：C（T10）", _Z_LVL, "C"),
    # --- 恶性高热（丹曲林 = A）
    ("A. 丹曲林", _Z_MH, "A"),
    ("恶性高热的特效治疗药物是丹曲林，首剂2.5 mg/kg静注。舒更葡糖钠（B）、新斯的明（C）、纳洛酮（D）均无治疗作用。\n\n答案：A", _Z_MH, "A"),
    ("丹曲林钠", _Z_MH, "A"),
    ("分析：恶性高热是骨骼肌兰尼碱受体异常导致的高代谢危象，需要立即停用触发药物并给予特效药。\n<answer>A</answer>", _Z_MH, "A"),
    ("答案：C（丹曲林）", _Z_MH, None),
    ("本题选 **A**。", _Z_MH, "A"),
    ("<think>\n首先看选项B，舒更葡糖钠是罗库溴铵的拮抗剂，和恶性高热无关。选项C新斯的明也无关。选项D纳洛酮是阿片拮抗剂。所以只有A丹曲林。\n</think>\n\n恶性高热的特效药是丹曲林。\n\n**答案：A**", _Z_MH, "A"),
    ("选项分析：\nA. 丹曲林——\nB. 舒更葡糖钠——", _Z_MH, None),
    # --- 术前禁食（清饮料 2小时 = A；母乳 4小时 = B）
    ("清饮料术前禁饮2小时即可。\n答案：A", _Z_NPO, "A"),
    ("2小时", _Z_NPO, "A"),
    ("两小时", _Z_NPO, "A"),
    ("母乳喂养的婴儿术前需禁食4小时（选项B），配方奶为6小时。", _Z_NPO, "B"),
    ("答案：B。清饮料2小时（A）、配方奶6小时（C）、油炸脂肪食物8小时（D）均不符合题意。", _Z_NPO, "B"),
    ("禁食时间4小时或6小时均有指南推荐，B或C。", _Z_NPO, None),
    ("母乳喂养：4小时 ✓\n\n所以选B。", _Z_NPO, "B"),
    # --- 肌间沟阻滞（膈神经 = A）
    ("肌间沟臂丛阻滞几乎100%会阻滞同侧膈神经。\n\n答案为A。", _Z_ISB, "A"),
    ("膈神经", _Z_ISB, "A"),
    ("答：A\n解析：喉返神经（B）阻滞可致声音嘶哑，但发生率较低；C、D与肌间沟阻滞关系不大。", _Z_ISB, "A"),
    ("最常被阻滞的是膈神经，不是喉返神经，选A。", _Z_ISB, "A"),
    ("最终答案：A", _Z_ISB, "A"),
    # --- 局麻药中毒（脂肪乳 = A）
    ("局麻药全身毒性的特异性治疗是20%脂肪乳剂，首剂1.5 mL/kg。\n\n**答案：A**", _Z_LAST, "A"),
    ("脂肪乳剂", _Z_LAST, "A"),
    ("答案：D（20%脂肪乳剂）", _Z_LAST, None),
    ("A正确。碳酸氢钠（B）可纠正酸中毒但不是首选，C、D无指征。", _Z_LAST, "A"),
    # --- 霍纳综合征不包括（瞳孔散大 = D）
    ("霍纳综合征表现为上睑下垂、瞳孔缩小和面部无汗，不包括瞳孔散大，故选D。", _Z_HORN, "D"),
    ("瞳孔散大", _Z_HORN, "D"),
    ("不属于霍纳综合征表现的是D。", _Z_HORN, "D"),
    ("A、B、C均为霍纳综合征的表现，答案为D。", _Z_HORN, "D"),
    ("答案：A、B、C", _Z_HORN, None),
    # --- 利多卡因最大剂量
    ("不加肾上腺素时利多卡因最大剂量为4.5 mg/kg（选项C），加肾上腺素可增至7 mg/kg（D）。", _Z_LID, "C"),
    ("4.5 mg/kg", _Z_LID, "C"),
    ("加肾上腺素时为7 mg/kg，因此本题选D。", _Z_LID, "D"),
    # --- 围术期神经损伤（5个选项）
    ("全麻期间最常见的周围神经损伤是尺神经损伤。\n\n答案：A", _Z_NERVE, "A"),
    ("截石位最易损伤腓总神经，选C。", _Z_NERVE, "C"),
    ("髋关节置换术后出现足下垂、小腿后侧感觉减退，最可能损伤坐骨神经。\n\nE", _Z_NERVE, "E"),
    # --- 昂丹司琼（5-HT3 = A）
    ("昂丹司琼为选择性5-HT3受体拮抗剂，答案A。", _Z_PONV, "A"),
    ("5-HT3受体拮抗剂", _Z_PONV, "A"),
    ("甲氧氯普胺是D2受体拮抗剂（B），异丙嗪是H1受体拮抗剂（C），阿瑞匹坦是NK1受体拮抗剂（D）。因此昂丹司琼对应A。", _Z_PONV, "A"),
    ("A或B", _Z_PONV, None),
    # --- 吸入麻醉药（复合物A = B 七氟烷；血/气分配系数最低 = A 地氟烷）
    ("七氟烷与钠石灰反应生成复合物A。\n答案：B", _Z_VOL, "B"),
    ("七氟烷", _Z_VOL, "B"),
    ("地氟烷血/气分配系数最低（0.42），起效和苏醒最快。\n\n\\boxed{A}", _Z_VOL, "A"),
    ("$\\boxed{\\text{A}}$", _Z_VOL, "A"),
    # --- 达比加群拮抗（依达赛珠单抗 = B）
    ("达比加群的特异性拮抗剂为依达赛珠单抗（B）。鱼精蛋白（A）用于肝素，维生素K（C）用于华法林。\n\n答案：B", _Z_DABI, "B"),
    ("依达赛珠单抗", _Z_DABI, "B"),
    ("不是A，鱼精蛋白只能拮抗肝素。正确答案是B。", _Z_DABI, "B"),
    ("综上所述，最佳答案是B，依达赛珠单抗。", _Z_DABI, "B"),
    # --- Mallampati（Ⅳ级 = D）
    ("仅能看到硬腭，为Mallampati Ⅳ级。答案：D", _Z_MALL, "D"),
    ("Ⅳ级", _Z_MALL, "D"),
    ("Mallampati分级为4级。", _Z_MALL, "D"),
    ("正确选项为（D）", _Z_MALL, "D"),
    # --- 地塞米松预防PONV（4 mg = B）
    ("预防PONV的地塞米松推荐剂量为4~5 mg静注，诱导后给药。\n\n答案：B", _Z_DEX, "B"),
    ("4 mg（选项B）", _Z_DEX, "B"),
    ("推荐剂量为4 mg。", _Z_DEX, "B"),
    # --- 琥珀胆碱与烧伤（高钾血症 = A）
    ("琥珀胆碱用于烧伤患者可引起严重高钾血症，甚至心搏骤停。故答案为A。", _Z_K, "A"),
    ("高钾血症", _Z_K, "A"),
    ("答案：高钾血症（A）", _Z_K, "A"),
    # --- 围术期气道/危象（5个选项）
    ("拔管后出现吸气性喘鸣、胸骨上凹陷，最可能的是A，喉痉挛。", _Z_AIR, "A"),
    ("最可能的是喉痉挛。", _Z_AIR, "A"),
    ("术中突发气道压升高、呼气末CO2波形呈鲨鱼鳍样，提示支气管痉挛。答案：B", _Z_AIR, "B"),
    ("使用抗生素后出现低血压、皮疹和气道压升高，考虑过敏反应（E）。支气管痉挛（B）只是其表现之一。\n\n答案：E", _Z_AIR, "E"),
    ("可能是支气管痉挛，也可能是过敏反应，需要进一步鉴别，B和E都有可能。", _Z_AIR, None),
    ("体温急剧升高、EtCO2持续上升、肌强直——恶性高热，选D。", _Z_AIR, "D"),
    ("这个问题需要结合患者具体情况判断，无法给出单一答案。", _Z_AIR, None),
    # --- MAC（1.3 MAC = C）
    ("1.3 MAC可使95%的患者切皮时无体动。\n\n答案：C", _Z_MAC, "C"),
    ("1.3 MAC", _Z_MAC, "C"),
    ("1.0 MAC是50%患者无体动（B），1.3 MAC是95%（C）。本题问95%，故选C。", _Z_MAC, "C"),
    ("答案是B（1.3 MAC）", _Z_MAC, None),
    ("故本题答案为：C", _Z_MAC, "C"),
    ("选项C正确，其余选项均错误。", _Z_MAC, "C"),
    # --- 椎管内并发症（硬脊膜穿破后头痛 = B）
    ("患者腰麻后第2天出现体位性头痛，坐起加重、平卧缓解，诊断为硬脊膜穿破后头痛。\n\n答案：B", _Z_NEUR, "B"),
    ("硬脊膜穿刺后头痛", _Z_NEUR, "B"),
    ("B。典型的体位性头痛。硬膜外血肿（A）表现为进行性神经功能障碍，而非头痛。", _Z_NEUR, "B"),
    ("根据题意，答案是", _Z_NEUR, None),
    # --- α2受体激动剂（右美托咪定 = B）
    ("右美托咪定是高选择性α2肾上腺素受体激动剂。答案：B", _Z_SED, "B"),
    ("选B。", _Z_SED, "B"),
    ('{"答案": "B", "解析": "右美托咪定为α2受体激动剂"}', _Z_SED, "B"),
    ('{"answer": "B", "reason": "右美托咪定选择性激动α2受体，咪达唑仑（C）作用于GABA受体"}', _Z_SED, "B"),
    ("抱歉，我无法回答医疗相关问题，请咨询专业医生。", _Z_SED, None),
]
