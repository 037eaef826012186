"""`load()`: picking the loader from the file, sample names, hub names and unreadable paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import medjudge.benchmarks
from medjudge.benchmarks import SAMPLES, detect_format, load, sample_path
from medjudge.errors import ConfigError, DatasetError

REAL_FILE = Path(__file__).parents[2].parent / "shared/data/llmeval-med/dataset.json"

ANES = {
    "id": "a1",
    "choice_num": 4,
    "answer": "B",
    "level": 1,
    "en_question": "Q?",
    "en_A": "a",
    "en_B": "b",
    "en_C": "c",
    "en_D": "d",
}
LLMEVAL = {"医疗推理": [{"round": 1, "problem": "问题", "groupCode": 1, "sanswer": "答案"}]}
GENERIC = {"id": "g1", "question": "Q?"}


def write(tmp_path: Path, name: str, content: Any, *, lines: bool = False) -> Path:
    path = tmp_path / name
    if lines:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in content), "utf-8")
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def load_error(path: str | Path, **options: Any) -> str:
    with pytest.raises(DatasetError) as caught:
        load(path, **options)
    return str(caught.value)


# ---------------------------------------------------------------------------------------
# Samples


@pytest.mark.parametrize(
    ("name", "benchmark"),
    [
        ("llmeval-med", "llmeval-med"),
        ("anesbench", "anesbench"),
        ("generic", "medjudge-sample"),
    ],
)
def test_samples_load_by_name(name: str, benchmark: str) -> None:
    bench = load(f"sample:{name}")
    assert bench.name == benchmark and bench.items
    assert Path(bench.path) == sample_path(name).resolve()


def test_samples_ship_inside_the_package() -> None:
    package = Path(medjudge.benchmarks.__file__).parent
    for name in SAMPLES:
        path = sample_path(name)
        assert path.is_file() and path.parent == package / "samples"


def test_sample_options_pass_through() -> None:
    bench = load("sample:anesbench", lang="both", mode="open")
    assert len(bench.items) == 40 and {item.kind for item in bench.items} == {"open"}


def test_unknown_sample_lists_the_known_ones() -> None:
    message = load_error("sample:medqa")
    assert "sample:medqa" in message and "sample:anesbench" in message


# ---------------------------------------------------------------------------------------
# Detection


def test_llmeval_med_object(tmp_path: Path) -> None:
    path = write(tmp_path, "dataset.json", LLMEVAL)
    assert detect_format(path) == "llmeval-med"
    assert load(path).items[0].item_id == "MR-1-1"


def test_anesbench_json_list_and_jsonl(tmp_path: Path) -> None:
    as_list = write(tmp_path, "anes.json", [ANES])
    as_lines = write(tmp_path, "anes.jsonl", [ANES], lines=True)
    assert detect_format(as_list) == detect_format(as_lines) == "anesbench"
    assert load(as_lines).items[0].item_id == "a1:en:mcq"
    assert load(as_list, mode="open").items[0].reference == "b"


def test_anesbench_json_lines_saved_as_json(tmp_path: Path) -> None:
    path = write(tmp_path, "anesbench_en.json", [ANES, ANES | {"id": "a2"}], lines=True)
    assert detect_format(path) == "anesbench"
    assert len(load(path).items) == 2


def test_anesbench_parquet(tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "anes.parquet"
    parquet.write_table(pyarrow.Table.from_pylist([ANES]), path)
    assert detect_format(path) == "anesbench"
    assert load(path).items[0].answer_key == "B"


def test_generic_jsonl_with_and_without_header(tmp_path: Path) -> None:
    plain = write(tmp_path, "mine.jsonl", [GENERIC], lines=True)
    headed = write(tmp_path, "other.jsonl", [{"benchmark": "ward"}, GENERIC], lines=True)
    assert detect_format(plain) == detect_format(headed) == "generic"
    assert load(plain).name == "mine" and load(headed).name == "ward"


def test_lang_and_mode_do_not_disturb_other_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.jsonl", [GENERIC | {"language": "zh"}], lines=True)
    (item,) = load(path, lang="en", mode="open").items
    assert item.language == "zh"


def test_fmt_skips_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "questions.txt", [GENERIC], lines=True)
    assert load(path, fmt="generic").items[0].item_id == "g1"
    message = load_error(write(tmp_path, "mine.jsonl", [GENERIC], lines=True), fmt="anesbench")
    assert "mine.jsonl, line 1" in message and "field 'choice_num'" in message


def test_real_llmeval_med_file_is_detected() -> None:
    if not REAL_FILE.exists():
        pytest.skip(f"the real LLMEval-Med file is not here ({REAL_FILE}); it lives in ../shared")
    bench = load(REAL_FILE)
    assert bench.name == "llmeval-med" and len(bench.items) == 667


# ---------------------------------------------------------------------------------------
# Paths and names that cannot be loaded


def test_missing_file_has_a_hint(tmp_path: Path) -> None:
    message = load_error(tmp_path / "nope.json")
    assert "nope.json: file not found" in message and "sample:anesbench" in message
    assert "did you mean sample:anesbench?" in load_error("anesbench")


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    assert "is a folder" in load_error(tmp_path)


def test_hub_names_offline_say_how_to_download(tmp_path: Path, monkeypatch) -> None:
    from support.hub_cache import hub_cache

    hub_cache(tmp_path, monkeypatch)  # an empty HF cache, offline: nothing can be fetched
    message = load_error("hf:MiliLab/AnesBench")
    assert "could not reach the Hugging Face Hub" in message
    assert "hf download MiliLab/AnesBench anesbench_en.json --repo-type dataset" in message
    assert "hf download llmeval-fdu/LLMEval-Med dataset.json" in load_error(
        "hf:llmeval-fdu/LLMEval-Med"
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", "just some text\n"),
        ("other.json", {"questions": []}),
        ("other.jsonl", [{"prompt": "x"}]),
        ("list.json", [{"prompt": "x"}]),
        ("numbers.json", [1, 2, 3]),
    ],
)
def test_unknown_shapes_say_what_is_supported(tmp_path: Path, name: str, content: Any) -> None:
    path = write(tmp_path, name, content, lines=name.endswith(".jsonl"))
    message = load_error(path)
    assert name in message and "LLMEval-Med" in message and "AnesBench" in message
    assert "medjudge JSONL" in message


def test_generic_items_as_a_json_list_point_to_jsonl(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "mine.json", [GENERIC]))
    assert "one question object per line" in message


def test_broken_json_reports_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path, "dataset.json", '{\n  "医疗推理": [\n    {"round": 1 "problem": "x"}\n  ]\n}\n'
    )
    message = load_error(path)
    assert "dataset.json, line 3" in message and "column 17" in message


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in load_error(write(tmp_path, "empty.jsonl", "\n\n"))


def test_bad_choices_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load("sample:anesbench", lang="de")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        load("sample:anesbench", mode="free")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        load("sample:anesbench", fmt="medqa")  # type: ignore[arg-type]
