"""Stores of judged answers for the audit page's tests and bench, built from the records.

`build_store(path, answers=N)` writes N answers (LLMEval-Med-like conversations across the five
categories, and AnesBench-like open items by language × level), each graded by two judges, some
capped, some unscored, some where the judges disagree. Deterministic: the same N gives the same
store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medjudge.records import (
    SAFETY_CAPS,
    Answer,
    Audit,
    Checklist,
    Item,
    JudgeOutput,
    Message,
    RequirementCheck,
    Run,
    SamplingConfig,
    Verdict,
)
from medjudge.store import Store

__all__ = [
    "JUDGES", "RUN_ID", "add_judged_answer", "build_store", "make_items", "make_verdict",
    "stored_audits",
]

RUN_ID = "run-a"
JUDGES = ("openai/gpt-4o", "anthropic/claude-x")
CATEGORIES = ("MK", "MLU", "MR", "MSE", "MTG")
RISKS = ("none", "none", "none", "concern", "serious")
FILLER = (
    "The answer names first-line therapy and the usual starting dose, checks renal function "
    "and potassium, and tells the patient when to come back. "
)


def make_items(n: int) -> list[Item]:
    """n items: 3-turn LLMEval-Med-like conversations, then AnesBench-like open items."""
    items: list[Item] = []
    for index in range(n):
        if index % 4 == 3:
            language = "zh" if index % 8 == 3 else "en"
            items.append(Item(
                benchmark="anesbench", item_id=f"AB-{index:05d}",
                conversation_id=f"AB-{index:05d}", kind="open", language=language,
                question=f"Which induction agent for case {index}?",
                reference="Etomidate, for haemodynamic stability.",
                level=("System 1", "System 1.x", "System 2")[index % 3],
            ))
            continue
        conversation, turn = divmod(index, 4)
        category = CATEGORIES[conversation % len(CATEGORIES)]
        items.append(Item(
            benchmark="llmeval-med", item_id=f"{category}-{conversation}-{turn + 1}",
            conversation_id=f"{category}-{conversation}", turn=turn + 1, kind="open",
            language="zh", category=category,
            question=f"问题 {index}: 高血压患者应如何用药？",
            reference="首选 ACEI/ARB 或 CCB，监测血压与肾功能。" * 3,
            checklist=Checklist(core=("names first-line drug", "monitoring"),
                                secondary=("lifestyle advice",)),
        ))
    return items


def make_verdict(answer: Answer, judge: str, *, score: int | None, risk: str = "none",
                 rationale: str = "Core requirement met. " + FILLER * 8,
                 judge_run: int = 0) -> Verdict:
    base = {"run_id": answer.run_id, "item_id": answer.item_id, "sample": answer.sample,
            "judge": judge, "judge_run": judge_run, "rubric_id": "llmeval-med/MK",
            "rubric_version": "1", "prompt_hash": "h" * 16,
            "created_at": "2026-01-01T00:00:00+00:00"}
    if score is None:
        return Verdict(status="unscored", unscored_reason="reply cut off at max_tokens",
                       raw_reply='{"rationale": "The answer', **base)
    output = JudgeOutput(
        rationale=rationale,
        requirements=[
            RequirementCheck(requirement="names first-line drug", kind="core", status="met",
                             evidence="amlodipine 5 mg"),
            RequirementCheck(requirement="lifestyle advice", kind="secondary",
                             status="partly", evidence="reduce salt"),
        ],
        safety_risk=risk, safety_note="" if risk == "none" else "dose too high for the elderly",
        score=score,
    )
    final = min(score, SAFETY_CAPS[risk])
    return Verdict(status="scored", output=output, judge_score=score, final_score=final,
                   capped=final < score, **base)


def _answers(items: list[Item]) -> Iterator[Answer]:
    history: list[Message] = []
    for item in items:
        if item.turn == 1:
            history = []
        messages = (*history, Message(role="user", content=item.question))
        text = f"Answer to {item.item_id}: start amlodipine 5 mg daily. " + FILLER * 4
        yield Answer(run_id=RUN_ID, item_id=item.item_id, sample=0, status="ok", text=text,
                     messages=messages, created_at="2026-01-01T00:00:00+00:00")
        history = [*messages, Message(role="assistant", content=text)]


def _verdicts(answer: Answer, index: int) -> list[Verdict]:
    out = []
    for j, judge in enumerate(JUDGES):
        if (index + j) % 23 == 0:
            out.append(make_verdict(answer, judge, score=None))
            continue
        score = 1 + (index * 7 + j * (index % 5 == 0)) % 5
        risk = RISKS[(index + index // 5 + j * (index % 7 == 0)) % 5]
        out.append(make_verdict(answer, judge, score=score, risk=risk))
    return out


def build_store(path: Path, answers: int = 40) -> Path:
    """A store with `answers` judged answers in one run, two verdicts each."""
    items = make_items(answers)
    run = Run(run_id=RUN_ID, model="demo-model", benchmark="mixed", benchmark_path="mixed.json",
              benchmark_sha256="b" * 64, sampling=SamplingConfig(),
              created_at="2026-01-01T00:00:00+00:00", medjudge_version="0")
    with Store(path) as store:
        store.add_items("d" * 64, items)
        store.add_run(run, "d" * 64)
        all_answers = list(_answers(items))
        store.save_answers(all_answers)
        verdicts = [v for i, a in enumerate(all_answers) for v in _verdicts(a, i)]
        for start in range(0, len(verdicts), 2000):
            store.save_verdicts(verdicts[start:start + 2000])
    return path


def add_judged_answer(path: Path, item: Item, text: str,
                      verdicts: list[dict[str, object]]) -> Answer:
    """One more answer in RUN_ID (its item added to the run's dataset) with the given verdicts
    (keyword arguments of `make_verdict`, each with a `judge`)."""
    answer = Answer(run_id=RUN_ID, item_id=item.item_id, sample=0, status="ok", text=text,
                    messages=(Message(role="user", content=item.question),))
    with Store(path) as store:
        store.add_items("d" * 64, [item])
        store.save_answers([answer])
        store.save_verdicts([make_verdict(answer, **spec) for spec in verdicts])
    return answer


def stored_audits(path: Path) -> list[Audit]:
    with Store(path) as store:
        return store.audits()
