"""AnesBench loader: both layouts, JSON / JSONL / parquet, languages, modes, and bad files."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from medjudge.benchmarks import load_anesbench, sample_path
from medjudge.errors import ConfigError, DatasetError, MissingDependency
from medjudge.records import LEVEL_NAMES


def record(record_id: str = "q-1", /, **fields: Any) -> dict[str, Any]:
    """A bilingual record with four options, answer C, level 2; `...` removes a field."""
    base: dict[str, Any] = {
        "id": record_id,
        "choice_num": 4,
        "answer": "C",
        "level": 2,
        "en_question": "Which drug reverses heparin?",
        "en_A": "Vitamin K",
        "en_B": "Idarucizumab",
        "en_C": "Protamine",
        "en_D": "Andexanet alfa",
        "zh_question": "哪种药物可逆转肝素的作用？",
        "zh_A": "维生素K",
        "zh_B": "依达赛珠单抗",
        "zh_C": "鱼精蛋白",
        "zh_D": "Andexanet alfa",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


def write_json(tmp_path: Path, records: list[dict[str, Any]], name: str = "anes.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def write_jsonl(tmp_path: Path, records: list[Any], name: str = "anes.jsonl") -> Path:
    path = tmp_path / name
    lines = [json.dumps(r, ensure_ascii=False) if not isinstance(r, str) else r for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path, **options: Any) -> str:
    with pytest.raises(DatasetError) as caught:
        load_anesbench(path, **options)
    return str(caught.value)


# ---------------------------------------------------------------------------------------
# The sample and the documented layout


def test_sample_english_mcq() -> None:
    bench = load_anesbench(sample_path("anesbench"))
    assert bench.name == "anesbench" and len(bench.items) == 20
    assert {item.kind for item in bench.items} == {"mcq"}
    assert {item.language for item in bench.items} == {"en"}
    assert Counter(item.level for item in bench.items) == {
        "System 1": 7,
        "System 1.x": 8,
        "System 2": 5,
    }
    assert len({item.answer_key for item in bench.items}) == 5  # answers vary, A to E
    for item in bench.items:
        assert item.item_id == f"{item.conversation_id}" and item.item_id.endswith(":en:mcq")
        assert item.answer_key in item.options
        assert list(item.options) == list("ABCDE"[: len(item.options)])
        assert item.question and not any(text in item.question for text in item.options.values())


def test_sample_both_languages_gives_two_items_per_record() -> None:
    bench = load_anesbench(sample_path("anesbench"), lang="both")
    assert len(bench.items) == 40
    english, chinese = bench.items[0], bench.items[1]
    assert english.item_id.split(":")[0] == chinese.item_id.split(":")[0]
    assert (english.language, chinese.language) == ("en", "zh")
    assert chinese.item_id.endswith(":zh:mcq") and chinese.answer_key == english.answer_key
    assert chinese.question != english.question


def test_open_mode_reference_is_the_correct_option_text(tmp_path: Path) -> None:
    path = write_json(tmp_path, [record()])
    (english,) = load_anesbench(path, mode="open").items
    assert english.kind == "open" and english.options == {} and english.answer_key is None
    assert english.reference == "Protamine" and english.question == "Which drug reverses heparin?"
    assert english.item_id == "q-1:en:open" and english.level == LEVEL_NAMES[2]
    (chinese,) = load_anesbench(path, lang="zh", mode="open").items
    assert chinese.reference == "鱼精蛋白" and chinese.language == "zh"


def test_cn_prefix_and_lowercase_answer_are_accepted(tmp_path: Path) -> None:
    chinese = {key: value for key, value in record().items() if key.startswith("zh_")}
    renamed = {"cn_" + key.removeprefix("zh_"): value for key, value in chinese.items()}
    removed = {key: ... for key in chinese}
    path = write_json(tmp_path, [record(answer="c", **removed, **renamed)])
    (item,) = load_anesbench(path, lang="zh").items
    assert item.answer_key == "C" and item.options["C"] == "鱼精蛋白"
    assert item.source == "anes.json#2"


def test_five_options_and_extra_null_option_columns(tmp_path: Path) -> None:
    path = write_json(
        tmp_path,
        [
            record(
                choice_num=5, answer="E", en_E="Fresh frozen plasma", zh_E="新鲜冰冻血浆", en_F=None
            )
        ],
    )
    (item,) = load_anesbench(path).items
    assert list(item.options) == ["A", "B", "C", "D", "E"] and item.answer_key == "E"


def test_jsonl_input_matches_json_input(tmp_path: Path) -> None:
    records = [record("a"), record("b", answer="A", level=3)]
    from_json = load_anesbench(write_json(tmp_path, records), lang="both")
    from_jsonl = load_anesbench(write_jsonl(tmp_path, records), lang="both")
    strip = [item.model_copy(update={"source": None}) for item in from_json.items]
    assert strip == [item.model_copy(update={"source": None}) for item in from_jsonl.items]
    assert from_jsonl.items[2].source == "anes.jsonl#2"


def test_parquet_round_trip(tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    records = [record("a"), record("b", answer="B", level=1), record("c", answer="D", level=3)]
    path = tmp_path / "anes.parquet"
    parquet.write_table(pyarrow.Table.from_pylist(records), path)
    from_parquet = load_anesbench(path, lang="both")
    from_json = load_anesbench(write_json(tmp_path, records), lang="both")
    assert [item.model_copy(update={"source": None}) for item in from_parquet.items] == [
        item.model_copy(update={"source": None}) for item in from_json.items
    ]
    assert from_parquet.items[0].source == "anes.parquet#row-1"


def test_parquet_without_pyarrow_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "anes.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependency) as caught:
        load_anesbench(path)
    assert "medjudge[parquet]" in str(caught.value)


def test_damaged_parquet_is_a_dataset_error(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "anes.parquet"
    path.write_bytes(b"not parquet at all")
    assert "anes.parquet" in load_error(path)


# ---------------------------------------------------------------------------------------
# The one-language layout of the Hugging Face files


def one_language(record_id: str, question: str, options: list[str], target: str) -> dict[str, Any]:
    fields = {"ABCDE"[i]: text for i, text in enumerate(options)}
    return {
        "id": record_id,
        "question": question,
        **fields,
        "choice_num": len(options),
        "target": target,
        "category": 3,
    }


def test_one_language_file_takes_its_language_from_the_name(tmp_path: Path) -> None:
    zh = one_language(
        "z1", "Addison病危象的首要处理是", ["补液", "手术", "利尿", "静脉糖皮质激素"], "D"
    )
    path = write_json(tmp_path, [zh], name="anesbench_zh.json")
    (item,) = load_anesbench(path).items  # lang defaults to "en"; the file says zh
    assert item.language == "zh" and item.item_id == "z1:zh:mcq"
    assert item.answer_key == "D" and item.level == "System 2"


def test_one_language_file_errors(tmp_path: Path) -> None:
    en = one_language("e1", "Which gas?", ["N2O", "Xenon", "Argon", "Helium"], "B")
    path = write_json(tmp_path, [en], name="anesbench_en.json")
    assert "lang='zh'" in load_error(path, lang="zh")
    assert "separately" in load_error(path, lang="both")
    bad = write_json(tmp_path, [en | {"target": "F"}], name="anesbench_en.json")
    message = load_error(bad)
    assert "line 2" in message and "field 'target'" in message and "A-D" in message


# ---------------------------------------------------------------------------------------
# Bad files: every message names the file, the line or item, and the field


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "anes.json"
    path.write_text('[\n  {"id": "a", "choice_num": 4\n  "answer": "A"}\n]\n', encoding="utf-8")
    message = load_error(path)
    assert "anes.json, line 3" in message and "column 3" in message


def test_bad_jsonl_line_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, [record("a"), "", '{"id": "b", "choice_num": 4,'])
    message = load_error(path)
    assert "anes.jsonl, line 3" in message and "invalid JSON" in message


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    message = load_error(write_jsonl(tmp_path, [record("a"), ["b"]]))
    assert "line 2" in message and "expected a JSON object" in message


def test_single_json_object_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "anes.json"
    path.write_text(json.dumps(record(), indent=2), encoding="utf-8")
    assert "single JSON object" in load_error(path)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"id": ...}, "id", "missing"),
        ({"id": ["x"]}, "id", "expected text"),
        ({"choice_num": ...}, "choice_num", "missing"),
        ({"choice_num": "4"}, "choice_num", "expected an integer"),
        ({"answer": ...}, "answer", "missing"),
        ({"answer": "CD"}, "answer", "one option letter"),
        ({"level": 4}, "level", "1, 2 or 3"),
        ({"level": "2"}, "level", "expected an integer"),
        ({"en_question": ...}, "en_question", "missing"),
        ({"en_B": 7}, "en_B", "expected text"),
        ({"en_B": "  "}, "en_B", "empty"),
    ],
)
def test_missing_or_mistyped_field(
    tmp_path: Path, fields: dict[str, Any], field: str, words: str
) -> None:
    path = write_json(tmp_path, [record("ok"), record("bad", **fields)])
    message = load_error(path)
    assert message.startswith(str(path)) and "line 18" in message
    assert "item #2" in message and f"field '{field}'" in message and words in message


def test_duplicate_id_names_both_places(tmp_path: Path) -> None:
    message = load_error(write_jsonl(tmp_path, [record("a"), record("b"), record("a")]))
    assert "anes.jsonl, line 3" in message and "field 'id'" in message
    assert "duplicate id 'a'" in message and "anes.jsonl#1" in message


def test_answer_not_among_the_options(tmp_path: Path) -> None:
    message = load_error(write_jsonl(tmp_path, [record("a", answer="E")]))
    assert "line 1" in message and "field 'answer'" in message
    assert (
        "'E' is not among the options A-D" in message and "fix 'answer' or 'choice_num'" in message
    )


def test_choice_num_disagrees_with_the_options_present(tmp_path: Path) -> None:
    message = load_error(write_jsonl(tmp_path, [record("a", choice_num=3)]))
    assert "line 1" in message and "field 'choice_num'" in message
    assert "choice_num is 3" in message and "en_A, en_B, en_C, en_D" in message
    message = load_error(write_jsonl(tmp_path, [record("a", choice_num=5, answer="A")]))
    assert "choice_num is 5" in message


def test_missing_language_fields_suggest_the_other_language(tmp_path: Path) -> None:
    english_only = {f"zh_{k}": ... for k in ("question", "A", "B", "C", "D")}
    message = load_error(write_jsonl(tmp_path, [record("a", **english_only)]), lang="zh")
    assert "field 'zh_question'" in message and "cn_question" in message and "lang='en'" in message
    chinese_only = {f"en_{k}": ... for k in ("question", "A", "B", "C", "D")}
    message = load_error(write_jsonl(tmp_path, [record("a", **chinese_only)]), lang="both")
    assert "field 'en_question'" in message and "lang='zh'" in message


def test_empty_file_and_bad_options(tmp_path: Path) -> None:
    assert "holds no questions" in load_error(write_jsonl(tmp_path, []))
    with pytest.raises(ConfigError):
        load_anesbench(write_jsonl(tmp_path, [record()]), lang="fr")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        load_anesbench(write_jsonl(tmp_path, [record()]), mode="essay")  # type: ignore[arg-type]


def test_a_missing_option_is_named_not_choice_num(tmp_path: Path) -> None:
    """choice_num 4 and no en_C: the error names en_C (what to add), and a JSON Lines record
    is called by its id ("item id q3"), never "item None (id q3)"."""
    message = load_error(write_jsonl(tmp_path, [record("q3", en_C=...)]))
    assert "line 1, item id q3, field 'en_C'" in message
    assert "required field is missing" in message and "add en_C, or correct choice_num" in message
    assert "None" not in message
    two = load_error(write_jsonl(tmp_path, [record("q3", zh_B=..., zh_D=...)]), lang="zh")
    assert "field 'zh_B'" in two and "also zh_D" in two


def test_record_ids_map_the_files_own_id_to_item_ids(tmp_path: Path) -> None:
    from medjudge.benchmarks.anesbench import record_ids

    path = write_jsonl(tmp_path, [record("2f0c-uuid"), record("q:1")])
    assert record_ids(load_anesbench(path, lang="zh").items) == {
        "2f0c-uuid": ("2f0c-uuid:zh:mcq",), "q:1": ("q:1:zh:mcq",)}
    both = record_ids(load_anesbench(path, lang="both", mode="open").items)
    assert both["q:1"] == ("q:1:en:open", "q:1:zh:open")
