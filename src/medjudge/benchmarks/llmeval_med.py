"""LLMEval-Med loader: the published `dataset/dataset.json` (a JSON object keyed by category).

Each category maps to a list of turns; a conversation is (category, groupCode) and its turns
are numbered by `round`. Item ids are "MK-7-2" (category code, groupCode, round); the
conversation id is "MK-7".

Quirks of the real file that are handled here: bare `NaN` literals (read as absent), a
number where text is expected in `sanswer` (kept as its text), "/" as a placeholder reference
(read as no reference), and requirements written inside `sanswer` (MSE) instead of
`checklist`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medjudge.benchmarks.benchmark import (
    Benchmark,
    PlacedItem,
    build_item,
    file_sha256,
    in_conversation_order,
)
from medjudge.benchmarks.checklist_text import has_checklist_sections, parse_checklist
from medjudge.benchmarks.raw import (
    RawRecord,
    Where,
    as_record,
    int_field,
    member_element_lines,
    parse_json,
    read_text,
    text_field,
    type_name,
)
from medjudge.errors import DatasetError
from medjudge.records import Checklist

__all__ = ["BENCHMARK_NAME", "CATEGORY_CODES", "load_llmeval_med"]

BENCHMARK_NAME = "llmeval-med"

#: The file's category keys and the codes medjudge uses (Item.category, item ids).
CATEGORY_CODES: dict[str, str] = {
    "医疗知识": "MK",  # Medical Knowledge
    "医疗语言理解": "MLU",  # Medical Language Understanding (items say category1 一般语言理解)
    "医疗推理": "MR",  # Medical Reasoning
    "医疗安全伦理": "MSE",  # Medical Safety and Ethics
    "医疗文本生成": "MTG",  # Medical Text Generation
}

#: References that stand for "no reference".
_PLACEHOLDER_REFERENCES = frozenset({"/", "-", "无"})


def load_llmeval_med(path: str | Path) -> Benchmark:
    """Load an LLMEval-Med dataset.json into a Benchmark named "llmeval-med"."""
    path = Path(path)
    text = read_text(path)
    data = parse_json(path, text)
    if not isinstance(data, dict):
        raise _not_an_object(path, data)
    lines = member_element_lines(text)
    placed: list[PlacedItem] = []
    for key, entries in data.items():
        code = _category_code(path, key)
        if not isinstance(entries, list):
            raise Where(path, anchor=code, item=key).error(
                f"expected a list of questions, found {type_name(entries)}",
                hint="each category key must map to a JSON list",
            )
        key_lines = lines.get(key, [])
        placed.extend(
            _placed_item(_entry(path, key, index, entry, key_lines))
            for index, entry in enumerate(entries, start=1)
        )
    items = in_conversation_order(placed, turn_field="round", conversation_field="conversation")
    return Benchmark(
        name=BENCHMARK_NAME, path=str(path.resolve()), sha256=file_sha256(path), items=items
    )


def _not_an_object(path: Path, data: Any) -> DatasetError:
    return Where(path, anchor="1", line=1).error(
        f"expected a JSON object keyed by category, found {type_name(data)}",
        hint="use LLMEval-Med's dataset/dataset.json as published: " + ", ".join(CATEGORY_CODES),
    )


def _category_code(path: Path, key: str) -> str:
    code = CATEGORY_CODES.get(key)
    if code is None:
        raise Where(path, anchor=key, item=key).error(
            "unknown LLMEval-Med category",
            hint="the categories are " + ", ".join(f"{k} ({v})" for k, v in CATEGORY_CODES.items()),
        )
    return code


@dataclass(frozen=True)
class _Entry:
    """One element of a category's list, before its fields are read."""

    key: str
    index: int
    record: RawRecord

    @property
    def code(self) -> str:
        return CATEGORY_CODES[self.key]


def _entry(path: Path, key: str, index: int, value: Any, lines: list[int]) -> _Entry:
    code = CATEGORY_CODES[key]
    where = Where(
        path,
        anchor=f"{code}-item-{index}",
        line=lines[index - 1] if index <= len(lines) else None,
        item=f"{code} #{index} (category {key})",
    )
    return _Entry(key, index, as_record(where, value))


def _placed_item(entry: _Entry) -> PlacedItem:
    code, group = entry.code, _group_code(entry.record)
    where = entry.record.where.named(
        f"{code} #{entry.index} (category {entry.key}, groupCode {group})"
    )
    record = RawRecord(where, entry.record.data)
    round_ = int_field(record, "round", minimum=1)
    question = text_field(record, "problem", hint="add the question text as 'problem'")
    reference = _reference(record)
    item = build_item(
        where,
        benchmark=BENCHMARK_NAME,
        item_id=f"{code}-{group}-{round_}",
        conversation_id=f"{code}-{group}",
        turn=round_,
        kind="open",
        question=question,
        language="zh",
        reference=reference,
        checklist=_checklist(record, reference),
        category=code,
        difficulty=_optional_text(record, "difficulty"),
    )
    return PlacedItem(item, where)


def _group_code(record: RawRecord) -> str:
    value = record.data.get("groupCode")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = text_field(record, "groupCode", hint="give each conversation a groupCode number")
    assert text is not None
    return text.strip()


def _reference(record: RawRecord) -> str | None:
    value = record.data.get("sanswer")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # one MLU answer is the bare number 131
    if value is not None and not isinstance(value, str):
        raise record.where.error(
            f"expected text, found {type_name(value)}",
            field="sanswer",
            hint="write the reference answer as a JSON string",
        )
    if value is None or value.strip() in _PLACEHOLDER_REFERENCES or not value.strip():
        return None
    return value


def _optional_text(record: RawRecord, field: str) -> str | None:
    """Text, or None when absent, null, NaN or blank (all occur in the published file)."""
    value = record.data.get(field)
    if isinstance(value, str) and not value.strip():
        return None
    return text_field(record, field, required=False)


def _checklist(record: RawRecord, reference: str | None) -> Checklist | None:
    text = _optional_text(record, "checklist")
    if text is not None:
        return parse_checklist(text, headings_required=False)
    if reference is not None and has_checklist_sections(reference):
        return parse_checklist(reference)
    return None
