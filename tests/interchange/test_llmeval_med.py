"""Importing LLMEval-Med's Answer.py outputs and Evaluate.py score files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from medjudge.benchmarks import load_llmeval_med
from medjudge.errors import DatasetError
from medjudge.interchange.llmeval_med import (
    ANSWER_PY_SYSTEM_PROMPT,
    IMPORTED_PROMPT_HASH,
    IMPORTED_RUBRIC_ID,
    LLMEVAL_MED_JUDGE,
    import_llmeval_med_answers,
    import_llmeval_med_scores,
)
from medjudge.records import Message, SamplingConfig
from medjudge.scoring.usability import usability_report

REAL_FILE = Path(__file__).parents[2].parent / "shared/data/llmeval-med/dataset.json"
MK, MSE = "医疗知识", "医疗安全伦理"


def entry(group: int, round_: int, **extra: Any) -> dict[str, Any]:
    return {
        "category1": "医疗知识",
        "round": round_,
        "problem": f"问题{group}-{round_}",
        "groupCode": group,
        "sanswer": "参考答案",
        "checklist": float("nan"),  # written as the bare NaN literal, as in the real file
        **extra,
    }


def dataset() -> dict[str, list[dict[str, Any]]]:
    # MK: a two-turn conversation (groupCode 7) and a single question; MSE reuses groupCode 7.
    return {
        MK: [entry(7, 1), entry(7, 2), entry(8, 1)],
        MSE: [entry(7, 1)],
    }


def answered(data: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out = copy.deepcopy(data)
    for key, items in out.items():
        for item in items:
            item["model_answer"] = f"{key}答{item['groupCode']}-{item['round']}"
    return out


def scored(data: dict[str, list[dict[str, Any]]], scores: list[Any]) -> dict[str, list[dict]]:
    out = copy.deepcopy(data)
    flat = [item for items in out.values() for item in items]
    assert len(flat) == len(scores)
    for item, score in zip(flat, scores, strict=True):
        item["model_answer_judgement"] = f'{{"判断依据":"理由","得分":"[{score}]"}}'
        item["model_answer_score"] = score
    return out


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Answer.py output


def test_answers_import_items_run_and_answers(tmp_path: Path) -> None:
    path = write(tmp_path / "dataset_output.json", answered(dataset()))
    imported = import_llmeval_med_answers(path, model="qwen2.5-7b")
    assert [i.item_id for i in imported.items] == ["MK-7-1", "MK-7-2", "MK-8-1", "MSE-7-1"]
    assert imported.items == load_llmeval_med(path).items
    assert imported.run.model == "qwen2.5-7b"
    assert imported.run.benchmark == "llmeval-med"
    assert imported.run.sampling.max_tokens == 2048
    texts = {a.item_id: a.text for a in imported.answers}
    assert texts == {
        "MK-7-1": "医疗知识答7-1",
        "MK-7-2": "医疗知识答7-2",
        "MK-8-1": "医疗知识答8-1",
        "MSE-7-1": "医疗安全伦理答7-1",
    }
    assert {(a.run_id, a.sample, a.status) for a in imported.answers} == {
        (imported.run.run_id, 0, "ok")
    }


def test_answers_carry_the_messages_answer_py_sent(tmp_path: Path) -> None:
    path = write(tmp_path / "out.json", answered(dataset()))
    answers = {a.item_id: a for a in import_llmeval_med_answers(path, model="m").answers}
    system = Message(role="system", content=ANSWER_PY_SYSTEM_PROMPT)
    assert answers["MK-7-2"].messages == (
        system,
        Message(role="user", content="问题7-1"),
        Message(role="assistant", content="医疗知识答7-1"),
        Message(role="user", content="问题7-2"),
    )
    # groupCode 7 of MSE is another conversation: no history from MK's groupCode 7.
    assert answers["MSE-7-1"].messages == (system, Message(role="user", content="问题7-1"))


def test_run_id_depends_on_model_and_answers_not_file_bytes(tmp_path: Path) -> None:
    data = answered(dataset())
    first = import_llmeval_med_answers(write(tmp_path / "a.json", data), model="m")
    compact = tmp_path / "b.json"
    compact.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert import_llmeval_med_answers(compact, model="m").run.run_id == first.run.run_id
    assert import_llmeval_med_answers(compact, model="other").run.run_id != first.run.run_id
    data[MK][0]["model_answer"] = "另一个回答"
    changed = import_llmeval_med_answers(write(tmp_path / "c.json", data), model="m")
    assert changed.run.run_id != first.run.run_id


def test_sampling_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path / "out.json", answered(dataset()))
    sampling = SamplingConfig(temperature=0.7, top_p=0.8, max_tokens=2048)
    assert import_llmeval_med_answers(path, model="m", sampling=sampling).run.sampling == sampling


def test_missing_model_answer_names_file_line_item_and_field(tmp_path: Path) -> None:
    data = answered(dataset())
    del data[MK][1]["model_answer"]
    path = write(tmp_path / "out.json", data)
    with pytest.raises(DatasetError) as err:
        import_llmeval_med_answers(path, model="m")
    message = str(err.value)
    assert "out.json" in message and "MK-7-2" in message and "'model_answer'" in message
    # The element's "{" is three lines above its "problem" (category1, round come first).
    lines = path.read_text(encoding="utf-8").split("\n")
    problem_line = next(n for n, line in enumerate(lines, 1) if "问题7-2" in line)
    assert err.value.line == problem_line - 3


def test_non_text_model_answer_is_an_error(tmp_path: Path) -> None:
    data = answered(dataset())
    data[MSE][0]["model_answer"] = None
    with pytest.raises(DatasetError, match="MSE-7-1.*'model_answer'.*expected text, found null"):
        import_llmeval_med_answers(write(tmp_path / "out.json", data), model="m")


def test_dataset_errors_still_apply(tmp_path: Path) -> None:
    data = answered(dataset())
    del data[MK][0]["problem"]
    with pytest.raises(DatasetError, match="'problem'"):
        import_llmeval_med_answers(write(tmp_path / "out.json", data), model="m")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.json, line 1: invalid JSON"):
        import_llmeval_med_answers(tmp_path / "bad.json", model="m")


# ---------------------------------------------------------------------------------------
# Evaluate.py score files


def test_scores_import_as_verdicts(tmp_path: Path) -> None:
    path = write(tmp_path / "score.json", scored(answered(dataset()), ["4", "2", 5, "1"]))
    verdicts = import_llmeval_med_scores(path, run_id="run1", judge_run=2)
    assert [(v.item_id, v.final_score) for v in verdicts] == [
        ("MK-7-1", 4),
        ("MK-7-2", 2),
        ("MK-8-1", 5),
        ("MSE-7-1", 1),
    ]
    first = verdicts[0]
    assert first.status == "scored" and first.judge_score == 4 and first.output is None
    assert (first.run_id, first.sample, first.judge, first.judge_run) == (
        "run1",
        0,
        LLMEVAL_MED_JUDGE,
        2,
    )
    assert (first.rubric_id, first.prompt_hash) == (IMPORTED_RUBRIC_ID, IMPORTED_PROMPT_HASH)
    assert first.raw_reply == '{"判断依据":"理由","得分":"[4]"}'
    assert not first.capped


def test_judge_name_can_be_given(tmp_path: Path) -> None:
    path = write(tmp_path / "score.json", scored(answered(dataset()), ["4"] * 4))
    verdicts = import_llmeval_med_scores(path, run_id="r", judge="deepseek-v3")
    assert {v.judge for v in verdicts} == {"deepseek-v3"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "Evaluate.py records an empty score when the call failed"),
        (-1, 'no "[n]" score'),
        ("-1", 'no "[n]" score'),
        (None, "null"),
        ("0", "score 0 is outside the 1-5 scale"),
        ("6", "score 6 is outside the 1-5 scale"),
        ("4.5", "not a whole number"),
        ("四", "unreadable score '四'"),
    ],
)
def test_scores_without_a_usable_value_are_unscored_with_reason(
    tmp_path: Path, raw: Any, reason: str
) -> None:
    path = write(tmp_path / "score.json", scored(answered(dataset()), [raw, "4", "4", "4"]))
    verdict = import_llmeval_med_scores(path, run_id="r")[0]
    assert verdict.status == "unscored"
    assert verdict.judge_score is None and verdict.final_score is None
    assert reason in (verdict.unscored_reason or "")


def test_whole_number_forms_are_scores(tmp_path: Path) -> None:
    path = write(tmp_path / "score.json", scored(answered(dataset()), [" 3 ", 4.0, "5.0", 2]))
    assert [v.final_score for v in import_llmeval_med_scores(path, run_id="r")] == [3, 4, 5, 2]


def test_score_of_impossible_type_is_a_dataset_error(tmp_path: Path) -> None:
    path = write(tmp_path / "score.json", scored(answered(dataset()), ["4", [4], "4", "4"]))
    with pytest.raises(DatasetError, match="MK-7-2.*'model_answer_score'.*found a list"):
        import_llmeval_med_scores(path, run_id="r")


def test_answers_file_given_as_score_file_is_a_dataset_error(tmp_path: Path) -> None:
    path = write(tmp_path / "dataset_output.json", answered(dataset()))
    with pytest.raises(DatasetError, match="'model_answer_score'.*Evaluate.py"):
        import_llmeval_med_scores(path, run_id="r")


def test_scores_are_checked_against_the_runs_answers(tmp_path: Path) -> None:
    answers_path = write(tmp_path / "out.json", answered(dataset()))
    imported = import_llmeval_med_answers(answers_path, model="m")
    run_id = imported.run.run_id
    same = scored(answered(dataset()), ["4"] * 4)
    verdicts = import_llmeval_med_scores(
        write(tmp_path / "s.json", same), run_id=run_id, answers=imported.answers
    )
    assert len(verdicts) == 4
    other = copy.deepcopy(same)
    other[MK][2]["model_answer"] = "别的模型的回答"
    with pytest.raises(DatasetError, match="MK-8-1.*differs from run"):
        import_llmeval_med_scores(
            write(tmp_path / "o.json", other), run_id=run_id, answers=imported.answers
        )
    with pytest.raises(DatasetError, match="has no answer"):
        import_llmeval_med_scores(
            write(tmp_path / "s2.json", same), run_id="another-run", answers=imported.answers
        )


def test_score_file_gives_the_same_run_as_its_answers(tmp_path: Path) -> None:
    answers = import_llmeval_med_answers(write(tmp_path / "a.json", answered(dataset())), model="m")
    score_file = write(tmp_path / "s.json", scored(answered(dataset()), ["4", "", -1, "5"]))
    assert import_llmeval_med_answers(score_file, model="m").run.run_id == answers.run.run_id


# ---------------------------------------------------------------------------------------
# The real dataset in Answer.py's and Evaluate.py's shapes


def test_real_dataset_round_trip(tmp_path: Path) -> None:
    if not REAL_FILE.exists():
        pytest.skip(f"the real LLMEval-Med file is not here ({REAL_FILE}); it lives in ../shared")
    data = json.loads(REAL_FILE.read_text(encoding="utf-8"))
    for items in data.values():
        for i, item in enumerate(items):
            item["model_answer"] = f"回答{i}"
            item["model_answer_judgement"] = "…"
            item["model_answer_score"] = str(i % 5 + 1)  # 1 2 3 4 5 1 2 ...
    # json.dump keeps the file's NaN literals, as Answer.py and Evaluate.py do.
    path = write(tmp_path / "dataset_processed_score.json", data)
    imported = import_llmeval_med_answers(path, model="m")
    assert len(imported.answers) == len(imported.items) == 667
    verdicts = import_llmeval_med_scores(path, run_id=imported.run.run_id)
    assert {v.status for v in verdicts} == {"scored"}
    report = usability_report(verdicts, imported.items)
    # Per category the i-th question scores i % 5 + 1, usable when i % 5 is 3 or 4.
    for key, items in data.items():
        expected = sum(i % 5 >= 3 for i in range(len(items)))
        code = {"医疗知识": "MK", "医疗推理": "MR", "医疗语言理解": "MLU",
                "医疗安全伦理": "MSE", "医疗文本生成": "MTG"}[key]  # fmt: skip
        assert report.category(code).n_usable == expected
    # Turn k of a conversation was asked with the k - 1 earlier turns before it.
    for answer in imported.answers:
        turn = int(answer.item_id.rsplit("-", 1)[1])
        assert len(answer.messages) == 2 * turn
