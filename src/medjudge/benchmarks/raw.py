"""Raw records read from benchmark files, each with where it came from.

Shared by the loaders and by the importers of results made from these files
(`medjudge.interchange`): a `RawRecord` is one JSON object (or parquet row) plus its `Where`,
and the `*_field` readers turn its values into typed Python values or raise a `DatasetError`
that names the file, the line or item, the field, and what to do.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from medjudge.errors import DatasetError

__all__ = [
    "RawRecord",
    "Where",
    "array_element_lines",
    "as_record",
    "id_field",
    "int_field",
    "jsonl_records",
    "letter_field",
    "member_element_lines",
    "parse_json",
    "read_text",
    "text_field",
    "type_name",
]


@dataclass(frozen=True)
class Where:
    """A place in a benchmark file: the file, and the line and/or item when known."""

    path: Path
    #: What follows '#' in `Item.source` when the line is unknown: "item-3", "row-12", ...
    anchor: str
    line: int | None = None
    item: str | None = None

    def error(
        self, problem: str, *, field: str | None = None, hint: str | None = None
    ) -> DatasetError:
        return DatasetError(
            str(self.path), problem, line=self.line, item=self.item, field=field, hint=hint
        )

    def named(self, item: str) -> Where:
        """The same place, now labelled with the item's own name (its id, groupCode ...)."""
        return replace(self, item=item)

    @property
    def source(self) -> str:
        """Where to look: `file.json#12` (a line), or `file.parquet#row-3` without lines."""
        return f"{self.path.name}#{self.line if self.line is not None else self.anchor}"


@dataclass(frozen=True)
class RawRecord:
    where: Where
    data: Mapping[str, Any]


# ---------------------------------------------------------------------------------------
# Reading files


def read_text(path: Path) -> str:
    """The file as text (UTF-8, a byte-order mark tolerated)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DatasetError(
            str(path),
            f"is not UTF-8 text ({exc.reason})",
            line=line,
            hint="save the file as UTF-8",
        ) from None
    except OSError as exc:
        raise DatasetError(str(path), f"cannot be read ({exc.strerror})") from None


def parse_json(path: Path, text: str) -> Any:
    """The whole file as one JSON value; invalid JSON is reported with line and column.

    The bare literals NaN / Infinity are accepted (the published LLMEval-Med file has them).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            str(path),
            f"invalid JSON at column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            hint="fix the JSON syntax there (a missing comma, quote or bracket is the usual cause)",
        ) from None


def jsonl_records(path: Path, text: str, *, first_line: int = 1) -> list[RawRecord]:
    """One record per non-blank line, numbered from 1 as an editor shows them."""
    records = []
    # Split on "\n" only: str.splitlines() would also split inside strings on U+2028 etc.
    for number, line in enumerate(text.split("\n"), start=1):
        if number < first_line or not line.strip():
            continue
        where = Where(path, anchor=str(number), line=number)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise where.error(
                f"invalid JSON at column {exc.colno}: {exc.msg}",
                hint="each line must be one complete JSON object",
            ) from None
        if not isinstance(value, dict):
            raise where.error(
                f"expected a JSON object, found {type_name(value)}",
                hint="write one object {...} per line",
            )
        records.append(RawRecord(where, _without_nan(value)))
    return records


def _without_nan(data: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level NaN values read as absent (json.loads and pandas both produce them)."""
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value
        for key, value in data.items()
    }


def as_record(where: Where, value: Any, *, what: str = "question") -> RawRecord:
    if not isinstance(value, dict):
        raise where.error(
            f"expected a JSON object for each {what}, found {type_name(value)}",
        )
    return RawRecord(where, _without_nan(value))


# ---------------------------------------------------------------------------------------
# Line numbers of JSON array elements (json.loads does not report positions)

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._newlines = [i for i, char in enumerate(text) if char == "\n"]

    def line(self, offset: int) -> int:
        return bisect_right(self._newlines, offset - 1) + 1


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def _scan_array(
    text: str, index: int, decoder: json.JSONDecoder, lines: _LineIndex
) -> tuple[list[int], int]:
    """Start lines of the elements of the array opening at `index`, and the index after it."""
    starts: list[int] = []
    index = _skip(text, index + 1)
    while text[index] != "]":
        starts.append(lines.line(index))
        _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return starts, index + 1


def array_element_lines(text: str) -> list[int]:
    """For a document that is a JSON array (already validated): each element's first line."""
    index = _skip(text, 0)
    starts, _ = _scan_array(text, index, json.JSONDecoder(), _LineIndex(text))
    return starts


def member_element_lines(text: str) -> dict[str, list[int]]:
    """For a JSON object of arrays (already validated): key -> each element's first line."""
    decoder, lines = json.JSONDecoder(), _LineIndex(text)
    result: dict[str, list[int]] = {}
    index = _skip(text, _skip(text, 0) + 1)
    while text[index] != "}":
        key, index = decoder.raw_decode(text, index)
        index = _skip(text, _skip(text, index) + 1)  # past the ':'
        if text[index] == "[":
            result[key], index = _scan_array(text, index, decoder, lines)
        else:
            _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return result


# ---------------------------------------------------------------------------------------
# Typed fields


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {str: "text", int: "an integer", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _missing(record: RawRecord, field: str, hint: str | None) -> DatasetError:
    return record.where.error(
        "required field is missing", field=field, hint=hint or f"add a '{field}' field"
    )


def text_field(
    record: RawRecord, field: str, *, required: bool = True, hint: str | None = None
) -> str | None:
    """A non-blank string, or None when optional and absent/null."""
    value = record.data.get(field)
    if value is None:
        if required:
            raise _missing(record, field, hint)
        return None
    if not isinstance(value, str):
        raise record.where.error(
            f"expected text, found {type_name(value)}",
            field=field,
            hint=hint or "write it as a JSON string in double quotes",
        )
    if not value.strip():
        raise record.where.error("is empty", field=field, hint=hint or "fill it in or remove it")
    return value


def int_field(
    record: RawRecord, field: str, *, required: bool = True, minimum: int | None = None
) -> int | None:
    """An integer (not a boolean, not 1.0), or None when optional and absent/null."""
    value = record.data.get(field)
    if value is None:
        if required:
            raise _missing(record, field, None)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise record.where.error(
            f"expected an integer, found {type_name(value)} {value!r}",
            field=field,
            hint="write a whole number without quotes",
        )
    if minimum is not None and value < minimum:
        raise record.where.error(
            f"must be {minimum} or more, found {value}",
            field=field,
        )
    return value


def id_field(record: RawRecord, field: str) -> str:
    """An identifier: a non-blank string, or an integer (kept as its decimal text)."""
    value = record.data.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = text_field(record, field, hint=f"give every question a unique '{field}' string")
    assert text is not None  # required=True
    return text.strip()


_LETTER = re.compile(r"[A-Za-z]")


def letter_field(record: RawRecord, field: str) -> str:
    """An option letter such as "C" (lowercase accepted, returned uppercase)."""
    text = text_field(record, field, hint=f"set '{field}' to the letter of the correct option")
    assert text is not None
    letter = text.strip()
    if not _LETTER.fullmatch(letter):
        raise record.where.error(
            f'expected one option letter such as "B", found {text!r}',
            field=field,
        )
    return letter.upper()
