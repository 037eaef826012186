"""A small store for the HTML report's tests: an AnesBench-like MCQ run, a judged open run
with hostile text in it, and physicians' audits. Every number the tests check follows from
what is written here.
"""

from __future__ import annotations

from pathlib import Path

from medjudge.records import (
    SAFETY_CAPS,
    Answer,
    Audit,
    Item,
    JudgeOutput,
    Run,
    SamplingConfig,
    Verdict,
)
from medjudge.store import Store

__all__ = ["HOSTILE_ANSWER", "HOSTILE_CATEGORY", "HOSTILE_RATIONALE", "JUDGE", "MCQ_RUN",
           "OPEN_RUN", "build_report_store"]

MCQ_RUN = "mcq-run"
OPEN_RUN = "open-run"
JUDGE = "openai/gpt-4o"
WHEN = "2026-01-01T00:00:00+00:00"
HOSTILE_ANSWER = (
    "Take 5 mg.</div></details></section></body><script>alert(1)</script>"
    "<img src=x onerror=alert(3)>"
)
HOSTILE_RATIONALE = "Fine answer <img src=x onerror=alert(2)> </table>"
HOSTILE_CATEGORY = "<b>MTG</b>"


def _run(run_id: str, benchmark: str) -> Run:
    return Run(run_id=run_id, model="demo-model", benchmark=benchmark,
               benchmark_path=f"{benchmark}.json", benchmark_sha256="a" * 64,
               sampling=SamplingConfig(), created_at=WHEN, medjudge_version="0")


def _mcq_items() -> list[Item]:
    items = []
    for n, (language, level) in enumerate(
        [("en", "1"), ("en", "1"), ("en", "2"), ("en", "3"), ("zh", "1"), ("zh", "3")]
    ):
        items.append(Item(benchmark="anesbench", item_id=f"q{n}", conversation_id=f"q{n}",
                          kind="mcq", question=f"Question {n}?", language=language,
                          options={"A": "yes", "B": "no"}, answer_key="A", level=level))
    return items


def _open_items() -> list[Item]:
    categories = ["MK", "MK", "MSE", "MSE", HOSTILE_CATEGORY, HOSTILE_CATEGORY]
    return [
        Item(benchmark="llmeval-med", item_id=f"o{n}", conversation_id=f"o{n}", kind="open",
             question=f"问题 {n} <i>about dosing</i>", language="zh", category=category,
             reference="参考答案")
        for n, category in enumerate(categories)
    ]


def verdict(item_id: str, score: int | None, *, risk: str = "none", judge_run: int = 0,
            rationale: str = "Meets the core requirements.") -> Verdict:
    base: dict[str, object] = {
        "run_id": OPEN_RUN, "item_id": item_id, "judge": JUDGE, "judge_run": judge_run,
        "rubric_id": "llmeval-med/MK", "rubric_version": "1", "prompt_hash": "h",
        "created_at": WHEN,
    }
    if score is None:
        return Verdict(status="unscored", unscored_reason="reply cut off at max_tokens", **base)
    final = min(score, SAFETY_CAPS[risk])
    return Verdict(status="scored", judge_score=score, final_score=final, capped=final < score,
                   output=JudgeOutput(rationale=rationale, safety_risk=risk, score=score),
                   **base)


def _audit(item_id: str, reviewer: str, action: str, **fields: object) -> Audit:
    mode = "blind" if action == "blind_rating" else "review"
    return Audit(run_id=OPEN_RUN, item_id=item_id, reviewer=reviewer, action=action, mode=mode,
                 created_at=WHEN, **fields)


def build_report_store(path: Path) -> Path:
    """Two runs: `mcq-run` (6 MCQs, 4 answered correctly) and `open-run` (6 open answers in
    three categories, one unscored, one capped; the answer to o4 is hostile HTML), two
    reviewers' blind ratings, an override and a flag."""
    with Store(path) as store:
        mcq_items, open_items = _mcq_items(), _open_items()
        store.add_items("m" * 64, mcq_items)
        store.add_run(_run(MCQ_RUN, "anesbench"), "m" * 64)
        store.add_items("o" * 64, open_items)
        store.add_run(_run(OPEN_RUN, "llmeval-med"), "o" * 64)
        store.save_answers(
            Answer(run_id=MCQ_RUN, item_id=i.item_id, status="ok", text="Answer: A",
                   created_at=WHEN) for i in mcq_items
        )
        correct = {"q0": True, "q1": False, "q2": True, "q3": True, "q4": True, "q5": False}
        # Scores as stored before strict extraction existed (no strict fields).
        store.save_mcq_score_page(
            MCQ_RUN,
            [(k, 0, "A" if ok else "B", "answer-marker", int(ok), None, None, None)
             for k, ok in correct.items()],
            "mcq-extract-v1",
        )
        texts = {i.item_id: f"回答 {i.item_id}" for i in open_items}
        texts["o4"] = HOSTILE_ANSWER
        store.save_answers(
            Answer(run_id=OPEN_RUN, item_id=k, status="ok", text=t, created_at=WHEN)
            for k, t in texts.items()
        )
        store.save_verdicts([
            verdict("o0", 5), verdict("o0", 4, judge_run=1),   # mean 4.5: usable
            verdict("o1", 3), verdict("o1", 4, judge_run=1),   # mean 3.5: not usable
            verdict("o2", 4, risk="serious"),                  # capped to 1
            verdict("o3", None),                               # unscored
            verdict("o4", 5, rationale=HOSTILE_RATIONALE),     # physicians say 1
            verdict("o5", 2),
        ])
        for name in ("dr-a", "dr-b"):
            store.add_reviewer(name, f"hash-{name}")
        for audit in [
            _audit("o0", "dr-a", "blind_rating", score=4, safety_risk="none"),
            _audit("o1", "dr-a", "blind_rating", score=4, safety_risk="none"),
            _audit("o2", "dr-a", "blind_rating", score=1, safety_risk="serious"),
            _audit("o4", "dr-a", "blind_rating", score=1, safety_risk="concern"),
            _audit("o4", "dr-b", "blind_rating", score=2, safety_risk="concern"),
            _audit("o5", "dr-b", "blind_rating", score=2, safety_risk="none"),
            _audit("o1", "dr-a", "override", judge=JUDGE, judge_run=0,
                   rubric_id="llmeval-med/MK", rubric_version="1", score=3,
                   reason="Misses monitoring <script>alert(4)</script>"),
            _audit("o3", "dr-b", "flag_item", flag="bad_reference",
                   comment="Reference is wrong <b>bold</b>"),
        ]:
            store.save_audit(audit)
    return path
