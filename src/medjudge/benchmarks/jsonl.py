"""medjudge JSONL: our own benchmark format, one JSON object per line.

    {"benchmark": "ward-rounds", "description": "optional"}          <- optional header line
    {"id": "q1", "question": "...", "reference": "..."}               <- an open question
    {"id": "q2", "question": "...", "options": {"A": "...", "B": "..."}, "answer": "B"}
    {"id": "c1-1", "conversation": "c1", "turn": 1, "question": "..."}
    {"id": "c1-2", "conversation": "c1", "turn": 2, "question": "..."}

Item fields: `id` and `question` (required); `conversation` + `turn` (1-based) for multi-turn;
`options` (letter -> text) + `answer` (letter) for an MCQ (an item is an MCQ exactly when it
has options); `reference`, `checklist` ({"core": [...], "secondary": [...]}), `category`,
`level`, `difficulty`, `language` ("en" or "zh", default "en"). Any other field is an error,
so a typo never silently drops data. The benchmark's name is the header's `benchmark`, else
the file name without its extension. Full description: datasets/README.md.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from medjudge.benchmarks.benchmark import (
    Benchmark,
    PlacedItem,
    build_item,
    file_sha256,
    in_conversation_order,
)
from medjudge.benchmarks.raw import (
    RawRecord,
    id_field,
    int_field,
    jsonl_records,
    letter_field,
    read_text,
    text_field,
    type_name,
)
from medjudge.errors import DatasetError
from medjudge.records import Checklist

__all__ = ["HEADER_FIELDS", "ITEM_FIELDS", "load_jsonl"]

#: Fields of the optional first line.
HEADER_FIELDS = ("benchmark", "description")
#: Fields of a question line.
ITEM_FIELDS = (
    "id",
    "question",
    "conversation",
    "turn",
    "options",
    "answer",
    "reference",
    "checklist",
    "category",
    "level",
    "difficulty",
    "language",
)
_CHECKLIST_FIELDS = ("core", "secondary")
_LANGUAGES = ("en", "zh")
_OPTION_LETTER = re.compile(r"[A-Z]")


def load_jsonl(path: str | Path) -> Benchmark:
    """Load a medjudge JSONL file; the benchmark is named by its header, else the file stem."""
    path = Path(path)
    records = jsonl_records(path, read_text(path))
    name = path.stem
    if records and _is_header(records[0]):
        name = _header_name(records[0])
        records = records[1:]
    if not records:
        raise DatasetError(
            str(path),
            "holds no questions",
            hint="write one JSON object per line with at least 'id' and 'question'",
        )
    placed: list[PlacedItem] = []
    seen: dict[str, RawRecord] = {}
    for record in records:
        placed.append(_placed_item(record, name, seen))
    items = in_conversation_order(placed, turn_field="turn", conversation_field="conversation")
    return Benchmark(name=name, path=str(path.resolve()), sha256=file_sha256(path), items=items)


# ---------------------------------------------------------------------------------------
# Header


def _is_header(record: RawRecord) -> bool:
    return "benchmark" in record.data and "question" not in record.data


def _header_name(record: RawRecord) -> str:
    _reject_unknown(record, HEADER_FIELDS, what="header")
    name = text_field(record, "benchmark", hint='name the benchmark, e.g. "ward-rounds"')
    text_field(record, "description", required=False)
    assert name is not None
    return name.strip()


def _reject_unknown(record: RawRecord, known: tuple[str, ...], *, what: str) -> None:
    for field in record.data:
        if field in known:
            continue
        close = difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"a {what} has only: {', '.join(known)}"
        if field == "benchmark":
            hint = "the benchmark name belongs in the header, the first line of the file"
        raise record.where.error(f"unknown field in a {what}", field=field, hint=hint)


# ---------------------------------------------------------------------------------------
# Questions


def _placed_item(record: RawRecord, benchmark: str, seen: dict[str, RawRecord]) -> PlacedItem:
    label = record.data.get("id")
    if isinstance(label, (str, int)) and not isinstance(label, bool):
        record = RawRecord(record.where.named(str(label).strip()), record.data)
    _reject_unknown(record, ITEM_FIELDS, what="question line")
    item_id = id_field(record, "id")
    if item_id in seen:
        raise record.where.error(
            f"duplicate id {item_id!r} (first used on line {seen[item_id].where.line})",
            field="id",
            hint="give every question a unique id",
        )
    seen[item_id] = record
    conversation, turn = _conversation(record, item_id)
    question = text_field(record, "question")
    item = build_item(
        record.where,
        benchmark=benchmark,
        item_id=item_id,
        conversation_id=conversation,
        turn=turn,
        question=question,
        language=_language(record),
        reference=text_field(record, "reference", required=False),
        checklist=_checklist(record),
        category=text_field(record, "category", required=False),
        level=text_field(record, "level", required=False),
        difficulty=text_field(record, "difficulty", required=False),
        **_choice_fields(record),
    )
    return PlacedItem(item, record.where)


def _conversation(record: RawRecord, item_id: str) -> tuple[str, int]:
    turn = int_field(record, "turn", required=False, minimum=1)
    conversation = record.data.get("conversation")
    if conversation is None:
        if turn not in (None, 1):
            raise record.where.error(
                f"turn {turn} needs the id of its conversation",
                field="conversation",
                hint='add "conversation": "<id shared by all its turns>"',
            )
        return item_id, 1
    return id_field(record, "conversation"), turn if turn is not None else 1


def _language(record: RawRecord) -> str:
    language = text_field(record, "language", required=False)
    if language is None:
        return "en"
    if language not in _LANGUAGES:
        raise record.where.error(
            f'must be "en" or "zh", found {language!r}',
            field="language",
        )
    return language


def _choice_fields(record: RawRecord) -> dict[str, Any]:
    """kind, options and answer_key: an MCQ exactly when the line has options."""
    if record.data.get("options") is None:
        if record.data.get("answer") is not None:
            raise record.where.error(
                "an answer letter without options",
                field="answer",
                hint="add 'options' for an MCQ, or put an open question's answer in 'reference'",
            )
        return {"kind": "open"}
    options = _options(record)
    if record.data.get("answer") is None:
        raise record.where.error(
            "required field is missing",
            field="answer",
            hint="an MCQ needs the letter of its correct option in 'answer'",
        )
    answer = letter_field(record, "answer")
    if answer not in options:
        raise record.where.error(
            f"answer {answer!r} is not among the options {', '.join(options)}",
            field="answer",
            hint="fix 'answer' or 'options'",
        )
    return {"kind": "mcq", "options": options, "answer_key": answer}


def _options(record: RawRecord) -> dict[str, str]:
    value = record.data["options"]
    if not isinstance(value, dict):
        raise record.where.error(
            f"expected an object of letter -> text, found {type_name(value)}",
            field="options",
            hint='write options as {"A": "...", "B": "..."}',
        )
    if len(value) < 2:
        raise record.where.error("an MCQ needs at least two options", field="options")
    options: dict[str, str] = {}
    for key, text in value.items():
        letter = key.strip().upper()
        if not _OPTION_LETTER.fullmatch(letter) or letter in options:
            raise record.where.error(
                f"option key {key!r} is not a single letter A-Z used once",
                field="options",
            )
        if not isinstance(text, str) or not text.strip():
            raise record.where.error(
                f"option {key!r} must be non-empty text, found {type_name(text)}",
                field=f"options.{key}",
            )
        options[letter] = text
    return options


def _checklist(record: RawRecord) -> Checklist | None:
    value = record.data.get("checklist")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise record.where.error(
            f"expected an object, found {type_name(value)}",
            field="checklist",
            hint='write {"core": ["..."], "secondary": ["..."]}',
        )
    for key in value:
        if key not in _CHECKLIST_FIELDS:
            raise record.where.error(
                "unknown checklist section",
                field=f"checklist.{key}",
                hint="a checklist has only 'core' and 'secondary'",
            )
    core = _entries(record, value, "core")
    secondary = _entries(record, value, "secondary")
    if not core and not secondary:
        raise record.where.error(
            "has no requirements", field="checklist", hint="add core entries or remove it"
        )
    return Checklist(core=core, secondary=secondary)


def _entries(record: RawRecord, checklist: dict[str, Any], section: str) -> tuple[str, ...]:
    entries = checklist.get(section, [])
    if not isinstance(entries, list) or not all(
        isinstance(entry, str) and entry.strip() for entry in entries
    ):
        raise record.where.error(
            "expected a list of non-empty texts",
            field=f"checklist.{section}",
            hint=f'write "{section}": ["first requirement", "second requirement"]',
        )
    return tuple(entries)
