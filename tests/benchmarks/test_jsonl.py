"""medjudge JSONL: the documented format, its sample, and every rule's error message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medjudge.benchmarks import load_jsonl, sample_path
from medjudge.errors import DatasetError
from medjudge.records import Checklist


def write(tmp_path: Path, lines: list[Any], name: str = "bench.jsonl") -> Path:
    path = tmp_path / name
    text = [
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def load_error(path: Path) -> str:
    with pytest.raises(DatasetError) as caught:
        load_jsonl(path)
    return str(caught.value)


def test_sample_loads_with_its_header_name() -> None:
    bench = load_jsonl(sample_path("generic"))
    assert bench.name == "medjudge-sample"
    assert {item.benchmark for item in bench.items} == {"medjudge-sample"}
    by_id = {item.item_id: item for item in bench.items}
    first, second = by_id["metformin-1"], by_id["metformin-2"]
    assert (first.conversation_id, first.turn) == ("metformin", 1)
    assert (second.conversation_id, second.turn) == ("metformin", 2)
    mcq = by_id["anaphylaxis-mcq"]
    assert mcq.kind == "mcq" and mcq.answer_key == "B" and list(mcq.options) == ["A", "B", "C", "D"]
    assert first.kind == "open" and first.checklist is not None and first.checklist.core
    assert by_id["child-fever-zh"].language == "zh"
    assert first.source == "generic_sample.jsonl#2"


def test_minimal_file_is_named_after_its_stem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [{"id": "q1", "question": "What is a normal adult resting heart rate?"}],
        name="ward-rounds.jsonl",
    )
    (item,) = load_jsonl(path).items
    assert load_jsonl(path).name == "ward-rounds"
    assert item.benchmark == "ward-rounds" and item.kind == "open" and item.language == "en"
    assert (item.conversation_id, item.turn) == ("q1", 1)
    assert item.reference is None and item.checklist is None


def test_every_optional_field(tmp_path: Path) -> None:
    line = {
        "id": 7,
        "question": "Q?",
        "reference": "R.",
        "category": "cardiology",
        "level": "System 2",
        "difficulty": "hard",
        "language": "zh",
        "checklist": {"core": ["c1", "c2"], "secondary": ["s1"]},
    }
    (item,) = load_jsonl(write(tmp_path, [line])).items
    assert item.item_id == "7" and item.reference == "R." and item.category == "cardiology"
    assert item.level == "System 2" and item.difficulty == "hard" and item.language == "zh"
    assert item.checklist == Checklist(core=("c1", "c2"), secondary=("s1",))


def test_conversations_are_grouped_and_turns_sorted(tmp_path: Path) -> None:
    lines = [
        {"id": "b2", "conversation": "b", "turn": 2, "question": "b second"},
        {"id": "a", "question": "single"},
        {"id": "b1", "conversation": "b", "turn": 1, "question": "b first"},
        {"id": "b3", "conversation": "b", "turn": 3, "question": "b third"},
    ]
    bench = load_jsonl(write(tmp_path, lines))
    assert [item.item_id for item in bench.items] == ["b1", "b2", "b3", "a"]


def test_lowercase_option_letters_and_answer(tmp_path: Path) -> None:
    line = {"id": "m", "question": "Q?", "options": {"a": "x", "b": "y"}, "answer": "b"}
    (item,) = load_jsonl(write(tmp_path, [line])).items
    assert item.options == {"A": "x", "B": "y"} and item.answer_key == "B"


# ---------------------------------------------------------------------------------------
# Errors: each names the file, the line (and item id when known), and the field


def error_for(tmp_path: Path, bad: Any) -> str:
    ok = {"id": "ok", "question": "Fine?"}
    return load_error(write(tmp_path, [{"benchmark": "b"}, ok, bad]))


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"id": "x", "question": "Q", "refrence": "R"}, "refrence", "did you mean 'reference'?"),
        ({"id": "x", "question": "Q", "benchmark": "b"}, "benchmark", "belongs in the header"),
        ({"question": "Q"}, "id", "missing"),
        ({"id": "x"}, "question", "missing"),
        ({"id": "x", "question": ""}, "question", "empty"),
        (
            {"id": "x", "question": "Q", "turn": "2", "conversation": "c"},
            "turn",
            "expected an integer",
        ),
        ({"id": "x", "question": "Q", "turn": 0, "conversation": "c"}, "turn", "1 or more"),
        (
            {"id": "x", "question": "Q", "turn": 2},
            "conversation",
            "needs the id of its conversation",
        ),
        ({"id": "x", "question": "Q", "language": "fr"}, "language", '"en" or "zh"'),
        ({"id": "x", "question": "Q", "level": 3}, "level", "expected text"),
        ({"id": "x", "question": "Q", "answer": "A"}, "answer", "without options"),
        ({"id": "x", "question": "Q", "options": {"A": "a", "B": "b"}}, "answer", "missing"),
        (
            {"id": "x", "question": "Q", "options": {"A": "a", "B": "b"}, "answer": "C"},
            "answer",
            "'C' is not among the options A, B",
        ),
        (
            {"id": "x", "question": "Q", "options": ["a", "b"], "answer": "A"},
            "options",
            "letter -> text",
        ),
        (
            {"id": "x", "question": "Q", "options": {"A": "a"}, "answer": "A"},
            "options",
            "at least two",
        ),
        (
            {"id": "x", "question": "Q", "options": {"A": "a", "1": "b"}, "answer": "A"},
            "options",
            "single letter",
        ),
        (
            {"id": "x", "question": "Q", "options": {"A": "a", "B": 2}, "answer": "A"},
            "options.B",
            "non-empty text",
        ),
        ({"id": "x", "question": "Q", "checklist": ["c"]}, "checklist", "expected an object"),
        (
            {"id": "x", "question": "Q", "checklist": {"core": ["c"], "extra": []}},
            "checklist.extra",
            "unknown checklist section",
        ),
        ({"id": "x", "question": "Q", "checklist": {"core": "c"}}, "checklist.core", "list of"),
        ({"id": "x", "question": "Q", "checklist": {"core": []}}, "checklist", "no requirements"),
    ],
)
def test_bad_line(tmp_path: Path, bad: dict[str, Any], field: str, words: str) -> None:
    message = error_for(tmp_path, bad)
    assert "bench.jsonl, line 3" in message
    if "id" in bad:
        assert "item x" in message
    assert f"field '{field}'" in message and words in message


def test_duplicate_id_names_the_first_line(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "question": "1"},
        {"id": "b", "question": "2"},
        {"id": "a", "question": "3"},
    ]
    message = load_error(write(tmp_path, lines))
    assert (
        "bench.jsonl, line 3, item a, field 'id'" in message and "first used on line 1" in message
    )


def test_missing_earlier_turn(tmp_path: Path) -> None:
    lines = [
        {"id": "c1", "conversation": "c", "turn": 1, "question": "1"},
        {"id": "c3", "conversation": "c", "turn": 3, "question": "3"},
    ]
    message = load_error(write(tmp_path, lines))
    assert "bench.jsonl, line 2, item c3, field 'turn'" in message
    assert "turn 2 of conversation c is missing" in message


def test_missing_first_turn(tmp_path: Path) -> None:
    lines = [{"id": "c2", "conversation": "c", "turn": 2, "question": "2"}]
    message = load_error(write(tmp_path, lines))
    assert "line 1, item c2, field 'turn'" in message and "turn 1 of conversation c" in message


def test_duplicate_turn(tmp_path: Path) -> None:
    lines = [
        {"id": "c1", "conversation": "c", "turn": 1, "question": "1"},
        {"id": "c1b", "conversation": "c", "question": "again"},
    ]
    message = load_error(write(tmp_path, lines))
    assert "line 2, item c1b, field 'turn'" in message and "turn 1 twice" in message
    assert "bench.jsonl#1" in message


def test_invalid_json_line_names_line_and_column(tmp_path: Path) -> None:
    message = load_error(
        write(tmp_path, [{"id": "a", "question": "1"}, '{"id": "b" "question": "2"}'])
    )
    assert "bench.jsonl, line 2" in message and "column 12" in message


def test_header_rules(tmp_path: Path) -> None:
    message = load_error(
        write(tmp_path, [{"benchmark": "b", "licence": "x"}, {"id": "a", "question": "q"}])
    )
    assert "line 1, field 'licence'" in message and "header" in message
    message = load_error(write(tmp_path, [{"benchmark": ""}, {"id": "a", "question": "q"}]))
    assert "line 1, field 'benchmark'" in message
    assert "holds no questions" in load_error(write(tmp_path, [{"benchmark": "only-a-header"}]))


def test_the_documented_example_loads(tmp_path: Path) -> None:
    readme = Path(__file__).parents[2] / "datasets" / "README.md"
    text = readme.read_text(encoding="utf-8")
    example = text.split("```jsonl\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "ward-rounds.jsonl"
    path.write_text(example, encoding="utf-8")
    bench = load_jsonl(path)
    assert bench.name == "ward-rounds"
    assert [item.item_id for item in bench.items] == ["htn-1", "htn-2", "mh-1", "fever-zh"]
    assert [item.kind for item in bench.items] == ["open", "open", "mcq", "open"]
    assert bench.items[1].turn == 2 and bench.items[3].language == "zh"
