"""LLMEval-Med loader: the real published file, the sample, checklist text, and bad files."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from medjudge.benchmarks import Benchmark, load_llmeval_med, parse_checklist, sample_path
from medjudge.errors import DatasetError
from medjudge.records import Checklist, Item

REAL_FILE = Path(__file__).parents[2].parent / "shared/data/llmeval-med/dataset.json"


@pytest.fixture(scope="module")
def real() -> Benchmark:
    if not REAL_FILE.exists():
        pytest.skip(f"the real LLMEval-Med file is not here ({REAL_FILE}); it lives in ../shared")
    return load_llmeval_med(REAL_FILE)


def conversations(items: tuple[Item, ...]) -> dict[str, list[Item]]:
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.conversation_id].append(item)
    return grouped


# ---------------------------------------------------------------------------------------
# The real file


def test_real_file_has_all_667_items_per_category(real: Benchmark) -> None:
    assert len(real.items) == 667
    counts = Counter(item.category for item in real.items)
    assert counts == {"MK": 141, "MR": 102, "MLU": 213, "MSE": 109, "MTG": 102}
    assert {item.benchmark for item in real.items} == {"llmeval-med"}
    assert {item.kind for item in real.items} == {"open"}
    assert {item.language for item in real.items} == {"zh"}


def test_real_file_multi_turn_conversations_per_category(real: Benchmark) -> None:
    multi = Counter(
        turns[0].category for turns in conversations(real.items).values() if len(turns) > 1
    )
    assert multi == {"MK": 41, "MLU": 23, "MSE": 8, "MTG": 2}
    assert multi["MR"] == 0


def test_real_file_turns_are_adjacent_and_numbered_from_one(real: Benchmark) -> None:
    grouped = conversations(real.items)
    position = {item.item_id: index for index, item in enumerate(real.items)}
    for conversation_id, turns in grouped.items():
        assert [item.turn for item in turns] == list(range(1, len(turns) + 1))
        indexes = [position[item.item_id] for item in turns]
        assert indexes == list(range(indexes[0], indexes[0] + len(turns))), conversation_id
    longest = max(grouped.values(), key=len)
    assert len(longest) == 5  # one MLU conversation has five rounds


def test_real_file_ids_are_unique_and_shaped(real: Benchmark) -> None:
    ids = [item.item_id for item in real.items]
    assert len(set(ids)) == len(ids)
    for item in real.items:
        assert item.item_id == f"{item.conversation_id}-{item.turn}"
        assert item.conversation_id.startswith(f"{item.category}-")
    # groupCode repeats across categories: the category keeps them apart
    assert {"MK-5-1", "MLU-305-2"} <= set(ids)


def test_real_file_hash_path_and_sources(real: Benchmark) -> None:
    assert real.sha256 == hashlib.sha256(REAL_FILE.read_bytes()).hexdigest()
    assert Path(real.path) == REAL_FILE.resolve()
    lines = REAL_FILE.read_text(encoding="utf-8").split("\n")
    first = real.items[0]
    assert first.source is not None and first.source.startswith("dataset.json#")
    line = int(first.source.split("#")[1])
    assert lines[line - 1].strip() == "{"  # the item's opening brace
    assert first.question in "\n".join(lines[line : line + 12])


def test_real_file_nan_becomes_absent(real: Benchmark) -> None:
    # 251 checklists are the bare literal NaN; 24 MTG references are NaN
    for item in real.items:
        assert item.reference is None or isinstance(item.reference, str)
    missing_reference = Counter(item.category for item in real.items if item.reference is None)
    assert missing_reference["MTG"] == 24
    assert missing_reference["MLU"] == 23  # "/" placeholders read as no reference
    by_id = {item.item_id: item for item in real.items}
    assert by_id["MLU-305-2"].reference == "131"  # a bare number in the file


def test_real_file_checklists_parsed(real: Benchmark) -> None:
    with_checklist = Counter(item.category for item in real.items if item.checklist is not None)
    assert with_checklist == {"MK": 141, "MLU": 40, "MTG": 24, "MSE": 109}
    for item in real.items:
        if item.checklist is not None:
            assert item.checklist.core, item.item_id
            assert all(entry.strip() for entry in item.checklist.core + item.checklist.secondary)
    mk = [item for item in real.items if item.category == "MK"]
    assert all(
        item.checklist and item.checklist.secondary for item in mk if item.item_id != "MK-32-2"
    )


def test_real_file_mse_requirements_come_from_the_reference(real: Benchmark) -> None:
    by_id = {item.item_id: item for item in real.items}
    mse = by_id["MSE-269-1"]
    assert mse.checklist is not None
    assert mse.checklist.core[0] == "拒绝编写宣传文案。"
    assert len(mse.checklist.core) == 2 and len(mse.checklist.secondary) == 3
    assert mse.reference is not None and mse.reference.startswith("一、核心需求")
    # an answer that repeats its whole checklist yields each requirement once
    repeated = by_id["MSE-309-1"].checklist
    assert repeated is not None and len(repeated.core) == 2 and len(repeated.secondary) == 3
    assert all(item.checklist is None for item in real.items if item.category == "MR")


def test_real_file_difficulty_kept_where_present(real: Benchmark) -> None:
    difficulty: dict[str | None, set[str | None]] = defaultdict(set)
    for item in real.items:
        difficulty[item.category].add(item.difficulty)
    assert difficulty["MK"] == {"易", "中", "难"}
    assert difficulty["MR"] == {None} and difficulty["MTG"] == {None}


# ---------------------------------------------------------------------------------------
# The sample shipped with the package


def test_sample_has_a_three_turn_conversation_in_order() -> None:
    bench = load_llmeval_med(sample_path("llmeval-med"))
    turns = [item for item in bench.items if item.conversation_id == "MK-1"]
    assert [item.item_id for item in turns] == ["MK-1-1", "MK-1-2", "MK-1-3"]
    assert {item.category for item in bench.items} == {"MK", "MLU", "MR", "MSE", "MTG"}
    by_id = {item.item_id: item for item in bench.items}
    assert by_id["MR-1-1"].checklist is None and by_id["MR-1-1"].reference
    assert by_id["MSE-1-1"].checklist is not None
    assert by_id["MTG-1-1"].reference is None
    assert by_id["MTG-1-1"].checklist is not None
    assert len(by_id["MTG-1-1"].checklist.core) == 4


# ---------------------------------------------------------------------------------------
# Checklist text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "核心需求：\n1. 甲\n2. 乙\n\n次要需求：\n1. 丙",
            Checklist(core=("甲", "乙"), secondary=("丙",)),
        ),
        ("一、核心需求：\n1.甲\n二、次要需求：\n1.乙", Checklist(core=("甲",), secondary=("乙",))),
        ("一、核心需求\n1. 甲\n二、次要需求\n2、乙", Checklist(core=("甲",), secondary=("乙",))),
        ("核心需求:\n1.. 甲\n次要需求:\n无", Checklist(core=("甲",))),
        ("一、核心需求：\n1. 甲\n2. 乙", Checklist(core=("甲", "乙"))),
        ("核心需求：1. 甲\n次要需求：乙", Checklist(core=("甲",), secondary=("乙",))),
        ("**核心需求**：\n1. 甲", Checklist(core=("甲",))),
    ],
    ids=[
        "plain",
        "ordinal-fullwidth",
        "no-colon",
        "double-dot-and-none",
        "core-only",
        "same-line",
        "bold",
    ],
)
def test_parse_checklist_variants(text: str, expected: Checklist) -> None:
    assert parse_checklist(text) == expected


def test_parse_checklist_unnumbered_lines_and_bullets() -> None:
    text = (
        "一、核心需求：\n明确拒绝\n指出违反的法规，其中必须包括：\n- 法规甲\n第一条\n"
        "二、次要需求：\n建议就医\n强调安全"
    )
    assert parse_checklist(text) == Checklist(
        core=("明确拒绝", "指出违反的法规，其中必须包括：\n- 法规甲\n第一条"),
        secondary=("建议就医", "强调安全"),
    )


def test_parse_checklist_wrapped_numbered_entry_and_decimal() -> None:
    text = "核心需求：\n1. 剂量为\n1.5 mg/kg，分次给药\n2. 监测血压"
    assert parse_checklist(text) == Checklist(core=("剂量为\n1.5 mg/kg，分次给药", "监测血压"))


def test_parse_checklist_without_headings() -> None:
    assert parse_checklist("300mL/h") is None
    assert parse_checklist("1. 甲\n2. 乙", headings_required=False) == Checklist(core=("甲", "乙"))
    assert parse_checklist("核心需求：\n无\n次要需求：\n无") is None


# ---------------------------------------------------------------------------------------
# Bad files


def turn(round_: int, group: Any = 1, **fields: Any) -> dict[str, Any]:
    record = {
        "category1": "医疗知识",
        "round": round_,
        "problem": f"第{round_}轮问题",
        "groupCode": group,
        "sanswer": "参考答案",
        "checklist": "核心需求：\n1. 甲",
    }
    record.update(fields)
    return {key: value for key, value in record.items() if value is not ...}


def write(tmp_path: Path, data: Any, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(DatasetError) as caught:
        load_llmeval_med(path)
    return str(caught.value)


def test_missing_earlier_round_names_file_category_group_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {"医疗知识": [turn(1, group=3), turn(1, group=7), turn(2, group=7), turn(3, group=9)]},
    )
    message = load_error(path)
    assert "bad.json" in message and "line 27" in message
    assert "category 医疗知识" in message and "groupCode 9" in message
    assert "field 'round'" in message and "round 1" in message and "missing" in message


def test_duplicate_round_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, {"医疗推理": [turn(1, group=4), turn(1, group=4)]})
    message = load_error(path)
    assert "bad.json" in message and "groupCode 4" in message and "field 'round'" in message
    assert "twice" in message


def test_rounds_out_of_file_order_are_sorted(tmp_path: Path) -> None:
    path = write(tmp_path, {"医疗知识": [turn(2, group=1), turn(1, group=1), turn(1, group=2)]})
    bench = load_llmeval_med(path)
    assert [item.item_id for item in bench.items] == ["MK-1-1", "MK-1-2", "MK-2-1"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"problem": ...}, "problem"),
        ({"problem": ["not", "text"]}, "problem"),
        ({"round": "1"}, "round"),
        ({"round": 0}, "round"),
        ({"groupCode": ...}, "groupCode"),
        ({"checklist": 5}, "checklist"),
        ({"sanswer": {"text": "x"}}, "sanswer"),
    ],
    ids=[
        "missing-problem",
        "list-problem",
        "string-round",
        "zero-round",
        "missing-group",
        "number-checklist",
        "object-sanswer",
    ],
)
def test_missing_or_mistyped_field_names_item_and_field(
    tmp_path: Path, fields: dict[str, Any], field: str
) -> None:
    path = write(tmp_path, {"医疗安全伦理": [turn(1, group=2), turn(1, group=5, **fields)]})
    message = load_error(path)
    assert "bad.json" in message and "line 11" in message
    assert "MSE #2" in message and f"field '{field}'" in message


def test_unknown_category_lists_the_known_ones(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, {"医疗知识": [turn(1)], "医学知识": [turn(1)]}))
    assert "bad.json" in message and "医学知识" in message and "医疗知识 (MK)" in message


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, [turn(1)]))
    assert "bad.json, line 1" in message and "object keyed by category" in message


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        '{\n  "医疗知识": [\n    {"round": 1,, "problem": "x"}\n  ]\n}\n', encoding="utf-8"
    )
    message = load_error(path)
    assert "broken.json, line 3" in message and "column 17" in message


def test_nan_literals_are_read_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text(
        '{"医疗文本生成": [{"round": 1, "problem": "写一段科普", "groupCode": 1,'
        ' "sanswer": NaN, "checklist": NaN}]}',
        encoding="utf-8",
    )
    (item,) = load_llmeval_med(path).items
    assert item.reference is None and item.checklist is None and item.category == "MTG"
