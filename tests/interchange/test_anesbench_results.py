"""Importing the result.json AnesBench's eval/evaluate.py writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.errors import ConfigError, DatasetError
from medjudge.interchange.anesbench_results import read_anesbench_results
from medjudge.store import Store

runner = CliRunner()

KEYS = ("D", "B", "A", "C")  # the answer key of questions 0..3


def ids(n: int) -> str:
    return f"0b5e6c1d-0000-4000-8000-00000000000{n}"


def write_benchmark(path: Path) -> Path:
    """Four questions in AnesBench's documented (bilingual) schema."""
    rows = []
    for n, key in enumerate(KEYS):
        rows.append({
            "id": ids(n), "choice_num": 4, "answer": key, "level": n % 3 + 1,
            "en_question": f"Question {n}?", "en_A": f"alpha {n}", "en_B": f"bravo {n}",
            "en_C": f"charlie {n}", "en_D": f"delta {n}",
            "zh_question": f"问题{n}？", "zh_A": f"甲{n}", "zh_B": f"乙{n}", "zh_C": f"丙{n}",
            "zh_D": f"丁{n}",
        })
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def results() -> dict[str, Any]:
    """Hand-made: AnesBench's extractor marked questions 0, 1, 2 correct (3 of 4); the replies
    state D, C, A and nothing, so medjudge finds 0 and 2 correct (2 of 4), and both read the
    same letter on questions 0 and 2 only."""
    return {
        "model_score": 0.75,
        "model_output": ["D", "B", "A", "A"],
        "model_response": ["Answer: D", "Answer: C", "Answer: A", None],
        "correctness": [1, 1, 1, 0],
    }


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=4), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "result.json", results()), write_benchmark(tmp_path / "anes.json")


def test_cli_imports_the_replies_and_prints_both_extractors(files, tmp_path: Path):
    result_file, bench = files
    store = tmp_path / "s.sqlite"
    out = runner.invoke(app, ["import", "anesbench-results", str(result_file), "--benchmark",
                              str(bench), "--lang", "en", "--model", "their-model",
                              "--store", str(store)])
    assert out.exit_code == 0, out.output
    assert "imported 4 answers as run" in out.output
    assert "AnesBench's extractor: 75.0% (3 of 4), medjudge: 50.0% (2 of 4)" in out.output
    assert "both read the same letter on 2 of 4" in out.output
    scored = runner.invoke(app, ["score", "--store", str(store)])
    assert scored.exit_code == 0, scored.output
    with Store(store) as db:
        (run,) = db.runs()
        correct = {s.item_id: s.correct for s in db.mcq_scores(run.run_id)}
        answers = {a.item_id: a for a in db.answers(run.run_id)}
    assert run.model == "their-model" and run.benchmark == "anesbench"
    assert correct == {f"{ids(0)}:en:mcq": True, f"{ids(1)}:en:mcq": False,
                       f"{ids(2)}:en:mcq": True, f"{ids(3)}:en:mcq": False}
    assert answers[f"{ids(1)}:en:mcq"].text == "Answer: C"
    assert answers[f"{ids(3)}:en:mcq"].status == "failed"
    assert "model_response is null" in (answers[f"{ids(3)}:en:mcq"].error or "")


def test_chinese_items_in_file_order_with_anesbench_letters_kept(files):
    result_file, bench = files
    read = read_anesbench_results(result_file, benchmark=bench, lang="zh", model="m")
    assert [a.item_id for a in read.imported.answers] == [f"{ids(n)}:zh:mcq" for n in range(4)]
    assert [a.text for a in read.imported.answers] == results()["model_response"]
    assert read.their_choices == ("D", "B", "A", "A")
    assert read.their_correct == (True, True, True, False)
    assert read.model_score == 0.75
    assert read.imported.run.sampling.temperature == 0.0
    assert read.imported.answers[0].messages == ()  # result.json does not record the prompt


def test_run_id_follows_model_and_replies(files, tmp_path: Path):
    result_file, bench = files
    first = read_anesbench_results(result_file, benchmark=bench, lang="en", model="m")
    again = read_anesbench_results(result_file, benchmark=bench, lang="en", model="m")
    assert again.imported.run.run_id == first.imported.run.run_id
    other = read_anesbench_results(result_file, benchmark=bench, lang="en", model="n")
    assert other.imported.run.run_id != first.imported.run.run_id
    changed = results()
    changed["model_response"][0] = "Answer: D, certainly"
    moved = read_anesbench_results(write(tmp_path / "r2.json", changed), benchmark=bench,
                                   lang="en", model="m")
    assert moved.imported.run.run_id != first.imported.run.run_id


def _broken(**change: Any) -> dict[str, Any]:
    data = results()
    for key, value in change.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (_broken(model_response=...), r"field 'model_response': required field is missing"),
        (_broken(correctness=...), r"field 'correctness': required field is missing"),
        (_broken(model_output="D"), r"field 'model_output': expected a list, found text"),
        (_broken(correctness={"0": 1}), r"field 'correctness': expected a list, found an object"),
        (_broken(model_output=["D", "B", "A"]),
         r"field 'model_output': has 3 entries but the benchmark has 4 questions"),
        (_broken(model_response=["a"] * 5),
         r"field 'model_response': has 5 entries but the benchmark has 4 questions"),
        (_broken(correctness=[1, 1, 2, 0]), r"item #3 of correctness.*expected 0 or 1"),
        (_broken(model_response=["x", 7, "y", "z"]),
         r"item #2 of model_response.*expected the model's reply as text"),
        (_broken(model_score="0.75"), r"field 'model_score': expected a number"),
        (["Answer: D"], r"expected a JSON object, found a list"),
    ],
)
def test_malformed_result_files_say_file_field_and_what_to_do(
    files, tmp_path: Path, data: Any, match: str
):
    _, bench = files
    path = write(tmp_path / "bad.json", data)
    with pytest.raises(DatasetError, match=match) as err:
        read_anesbench_results(path, benchmark=bench, lang="en", model="m")
    assert str(err.value).startswith(str(path))


def test_results_of_another_order_are_refused(files, tmp_path: Path):
    _, bench = files
    swapped = results()
    swapped["model_output"] = ["B", "D", "A", "A"]  # questions 0 and 1 in the other order
    with pytest.raises(DatasetError, match=r"item #1 of correctness.*answer key 'D'.*--benchmark"):
        read_anesbench_results(write(tmp_path / "r.json", swapped), benchmark=bench,
                               lang="en", model="m")


def test_options_are_checked(files):
    result_file, bench = files
    with pytest.raises(ConfigError, match="'en' or 'zh'"):
        read_anesbench_results(result_file, benchmark=bench, lang="both", model="m")
    with pytest.raises(ConfigError, match="--model"):
        read_anesbench_results(result_file, benchmark=bench, lang="en", model=" ")


def test_cli_error_is_one_line_and_exit_code_2(files, tmp_path: Path):
    _, bench = files
    bad = write(tmp_path / "short.json", _broken(correctness=[1, 1]))
    out = runner.invoke(app, ["import", "anesbench-results", str(bad), "--benchmark",
                              str(bench), "--model", "m", "--store", str(tmp_path / "s.sqlite")])
    assert out.exit_code == 2
    assert "has 2 entries but the benchmark has 4 questions" in out.output
