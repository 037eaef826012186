"""AnesBench loader: anesthesiology MCQs from a JSON list, JSON Lines or parquet file.

Two layouts are read:

* bilingual (the documented schema): `id`, `choice_num`, `answer`, `level` (1/2/3),
  `en_question`, `en_A`.., and Chinese as `zh_question`, `zh_A`.. or `cn_question`, `cn_A`..;
* one language per file (the Hugging Face files anesbench_en.json / anesbench_zh.json):
  `id`, `question`, `A`.., `choice_num`, `target` (the answer letter), `category` (1/2/3).
  Its language comes from the file name (`_en` / `_zh`), else from `lang`.

`mode="mcq"` gives MCQ items (stem as question, options, answer key); `mode="open"` gives open
items whose reference is the correct option's text. Item ids are f"{id}:{lang}:{mode}";
`record_ids` maps the file's own `id` back to them (answers made elsewhere carry that id).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from medjudge.benchmarks.benchmark import Benchmark, build_item, file_sha256
from medjudge.benchmarks.raw import (
    RawRecord,
    Where,
    array_element_lines,
    as_record,
    id_field,
    int_field,
    jsonl_records,
    letter_field,
    parse_json,
    read_text,
    text_field,
)
from medjudge.errors import ConfigError, DatasetError, MissingDependency
from medjudge.records import LEVEL_NAMES, Item, Language

__all__ = [
    "BENCHMARK_NAME",
    "Lang",
    "Mode",
    "load_anesbench",
    "read_anesbench_records",
    "record_ids",
]

BENCHMARK_NAME = "anesbench"

Lang = Literal["en", "zh", "both"]
Mode = Literal["mcq", "open"]

_LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class _Layout:
    """Which field names a file uses."""

    answer: str  # "answer" | "target"
    level: str  # "level" | "category"
    #: Fields carry a language prefix ("en_", "zh_"/"cn_"); else the file has one language.
    bilingual: bool


_BILINGUAL = _Layout(answer="answer", level="level", bilingual=True)
_ONE_LANGUAGE = _Layout(answer="target", level="category", bilingual=False)
_QUESTION_FIELDS = ("en_question", "zh_question", "cn_question")


def load_anesbench(path: str | Path, *, lang: Lang = "en", mode: Mode = "mcq") -> Benchmark:
    """Load AnesBench questions; `lang="both"` gives an English and a Chinese item per record."""
    path = Path(path)
    _check_options(lang, mode)
    records = read_anesbench_records(path)
    if not records:
        raise DatasetError(
            str(path), "holds no questions", hint="check that this is the right file"
        )
    layout = _layout(records[0])
    languages = _languages(path, layout, lang)
    items: list[Item] = []
    seen: dict[str, Where] = {}
    for record in records:
        record = _named(record, seen)
        items.extend(_items(record, layout, languages, mode))
    return Benchmark(
        name=BENCHMARK_NAME, path=str(path.resolve()), sha256=file_sha256(path), items=tuple(items)
    )


def record_ids(items: Iterable[Item]) -> dict[str, tuple[str, ...]]:
    """The AnesBench record id each item came from: "q0" -> ("q0:en:mcq",), or with
    lang="both" -> ("q0:en:mcq", "q0:zh:mcq"). Items of other benchmarks are skipped."""
    found: dict[str, list[str]] = {}
    for item in items:
        if item.benchmark != BENCHMARK_NAME:
            continue
        own, _, suffix = item.item_id.rpartition(f":{item.language}:")
        if own and suffix in ("mcq", "open"):
            found.setdefault(own, []).append(item.item_id)
    return {own: tuple(ids) for own, ids in found.items()}


def _check_options(lang: str, mode: str) -> None:
    if lang not in ("en", "zh", "both"):
        raise ConfigError(f"lang must be 'en', 'zh' or 'both', not {lang!r}")
    if mode not in ("mcq", "open"):
        raise ConfigError(f"mode must be 'mcq' or 'open', not {mode!r}")


# ---------------------------------------------------------------------------------------
# Reading the file


def read_anesbench_records(path: Path) -> list[RawRecord]:
    """The file's records: parquet by extension, else a JSON list or JSON Lines by content."""
    if path.suffix.lower() == ".parquet":
        return _parquet_records(path)
    text = read_text(path)
    if text.lstrip().startswith("["):
        return _json_list_records(path, text)
    return _jsonl_or_error(path, text)


def _json_list_records(path: Path, text: str) -> list[RawRecord]:
    values = parse_json(path, text)
    lines = array_element_lines(text)
    return [
        as_record(Where(path, anchor=f"item-{index}", line=line, item=f"#{index}"), value)
        for index, (value, line) in enumerate(zip(values, lines, strict=True), start=1)
    ]


def _jsonl_or_error(path: Path, text: str) -> list[RawRecord]:
    try:
        return jsonl_records(path, text)
    except DatasetError:
        if text.lstrip().startswith("{") and isinstance(_whole_json(text), dict):
            raise DatasetError(
                str(path),
                "holds a single JSON object",
                hint="write the questions as a JSON list [...] or one object per line (JSON Lines)",
            ) from None
        raise


def _whole_json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _parquet_records(path: Path) -> list[RawRecord]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependency("pyarrow", "parquet") from None
    try:
        rows = pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DatasetError(
            str(path),
            f"is not a readable parquet file ({exc})",
            hint="re-download the file, or convert it to JSON Lines",
        ) from None
    return [
        as_record(Where(path, anchor=f"row-{index}", item=f"row {index}"), row)
        for index, row in enumerate(rows, start=1)
    ]


# ---------------------------------------------------------------------------------------
# Layout and languages


def _layout(first: RawRecord) -> _Layout:
    if any(field in first.data for field in _QUESTION_FIELDS):
        return _BILINGUAL
    if "question" in first.data:
        return _ONE_LANGUAGE
    raise first.where.error(
        "required field is missing",
        field="en_question",
        hint="an AnesBench question needs en_question (and zh_question or cn_question), "
        "or, in a one-language file, question",
    )


_FILE_LANGUAGE = re.compile(r"(?:^|[_\-.])(?P<lang>en|zh|cn)(?:$|[_\-.])", re.IGNORECASE)


def _languages(path: Path, layout: _Layout, lang: Lang) -> tuple[Language, ...]:
    if layout.bilingual:
        return ("en", "zh") if lang == "both" else (lang,)
    match = _FILE_LANGUAGE.search(path.stem)
    named: Language | None = None
    if match:
        named = "en" if match.group("lang").lower() == "en" else "zh"
    if lang == "both":
        raise DatasetError(
            str(path),
            "holds questions in one language only (fields 'question', 'A', ...)",
            hint="load anesbench_en.json and anesbench_zh.json separately, with lang='en' / 'zh'",
        )
    if named == "en" and lang == "zh":
        raise DatasetError(
            str(path),
            "is named as an English file but lang='zh' was asked for",
            hint="load the Chinese file (anesbench_zh.json), or use lang='en'",
        )
    return (named or lang,)


# ---------------------------------------------------------------------------------------
# Records to items


def _named(record: RawRecord, seen: dict[str, Where]) -> RawRecord:
    """The record labelled with its id; a repeated id is an error naming both places."""
    record_id = id_field(record, "id")
    # JSON Lines records have a line but no item label: "id q3", never "None (id q3)".
    label = f"{record.where.item} (id {record_id})" if record.where.item else f"id {record_id}"
    where = record.where.named(label)
    if record_id in seen:
        raise where.error(
            f"duplicate id {record_id!r} (first used at {seen[record_id].source})",
            field="id",
            hint="give every question a unique id",
        )
    seen[record_id] = where
    return RawRecord(where, record.data)


def _items(
    record: RawRecord, layout: _Layout, languages: tuple[Language, ...], mode: Mode
) -> Iterator[Item]:
    record_id = id_field(record, "id")
    choice_num = _choice_num(record)
    letters = _LETTERS[:choice_num]
    answer = _answer(record, layout, letters)
    level = _level(record, layout)
    for language in languages:
        prefix = _prefix(record, layout, language)
        question = text_field(record, f"{prefix}question")
        options = _options(record, prefix, letters)
        fields = (
            {"kind": "mcq", "options": options, "answer_key": answer}
            if mode == "mcq"
            else {"kind": "open", "reference": options[answer]}
        )
        item_id = f"{record_id}:{language}:{mode}"
        yield build_item(
            record.where,
            benchmark=BENCHMARK_NAME,
            item_id=item_id,
            conversation_id=item_id,
            question=question,
            language=language,
            level=level,
            **fields,
        )


def _choice_num(record: RawRecord) -> int:
    choice_num = int_field(record, "choice_num", minimum=2)
    if choice_num is None:  # int_field refuses a missing value; kept for the type checker
        raise record.where.error("required field is missing", field="choice_num")
    if choice_num > len(_LETTERS):
        raise record.where.error(
            f"must be at most {len(_LETTERS)}, found {choice_num}",
            field="choice_num",
        )
    return choice_num


def _answer(record: RawRecord, layout: _Layout, letters: str) -> str:
    answer = letter_field(record, layout.answer)
    if answer not in letters:
        raise record.where.error(
            f"answer {answer!r} is not among the options {letters[0]}-{letters[-1]} "
            f"(choice_num is {len(letters)})",
            field=layout.answer,
            hint=f"fix '{layout.answer}' or 'choice_num'",
        )
    return answer


def _level(record: RawRecord, layout: _Layout) -> str:
    level = int_field(record, layout.level)
    if level not in LEVEL_NAMES:
        raise record.where.error(
            f"must be 1, 2 or 3 ({', '.join(LEVEL_NAMES.values())}), found {level}",
            field=layout.level,
        )
    return LEVEL_NAMES[level]


def _prefix(record: RawRecord, layout: _Layout, language: Language) -> str:
    if not layout.bilingual:
        return ""
    candidates = ("en_",) if language == "en" else ("zh_", "cn_")
    for prefix in candidates:
        if record.data.get(f"{prefix}question") is not None:
            return prefix
    other, other_prefixes = ("zh", ("zh_", "cn_")) if language == "en" else ("en", ("en_",))
    has_other = any(record.data.get(f"{p}question") is not None for p in other_prefixes)
    hint = f"add {candidates[0]}question" + (" (or cn_question)" if language == "zh" else "")
    if has_other:
        hint += f", or load this file with lang='{other}'"
    raise record.where.error(
        "required field is missing", field=f"{candidates[0]}question", hint=hint
    )


def _options(record: RawRecord, prefix: str, letters: str) -> dict[str, str]:
    present = _option_letters(record, prefix)
    missing = [letter for letter in letters if letter not in present]
    if missing and all(letter in letters for letter in present):
        # Fewer options than choice_num says: name the first missing field (en_C), since
        # that is what the user has to add (or choice_num is what they have to lower).
        field = f"{prefix}{missing[0]}"
        also = f" (also {', '.join(prefix + m for m in missing[1:])})" if missing[1:] else ""
        raise record.where.error(
            f"required field is missing{also}: choice_num is {len(letters)}, so the options "
            f"are {prefix}{letters[0]}..{prefix}{letters[-1]}",
            field=field,
            hint=f"add {field}, or correct choice_num",
        )
    if present != letters:
        shown = ", ".join(f"{prefix}{letter}" for letter in present) or "none"
        raise record.where.error(
            f"choice_num is {len(letters)} but the option fields present are {shown}",
            field="choice_num",
            hint=f"give exactly the options {prefix}{letters[0]}..{prefix}{letters[-1]}, "
            "or correct choice_num",
        )
    options: dict[str, str] = {}
    for letter in letters:
        text = text_field(record, f"{prefix}{letter}")
        if text is None:  # text_field refuses a missing value; kept for the type checker
            raise record.where.error("required field is missing", field=f"{prefix}{letter}")
        options[letter] = text
    return options


def _option_letters(record: RawRecord, prefix: str) -> str:
    pattern = re.compile(rf"{re.escape(prefix)}(?P<letter>[A-Z])")
    letters = []
    for key, value in record.data.items():
        match = pattern.fullmatch(key)
        if match and value is not None:
            letters.append(match.group("letter"))
    return "".join(sorted(letters))
