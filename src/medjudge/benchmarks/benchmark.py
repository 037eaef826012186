"""`Benchmark`: one loaded benchmark file, its items in conversation order."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from medjudge.benchmarks.raw import Where
from medjudge.records import Item

__all__ = ["Benchmark", "PlacedItem", "build_item", "file_sha256", "in_conversation_order"]


class Benchmark(BaseModel):
    """A benchmark file, loaded: what was read (path and hash) and the items it holds.

    `items` are in conversation order: conversations in the order the file first mentions
    them, and the turns of each conversation together, ordered 1..n.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: "llmeval-med", "anesbench", or the name a medjudge JSONL file gives itself.
    name: str = Field(min_length=1)
    path: str
    #: SHA-256 of the file's bytes, so a run can prove which file it answered.
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    items: tuple[Item, ...]

    @model_validator(mode="after")
    def _items_belong_and_are_unique(self) -> Benchmark:
        seen: set[str] = set()
        for item in self.items:
            if item.benchmark != self.name:
                raise ValueError(
                    f"item {item.item_id} belongs to {item.benchmark!r}, not {self.name!r}"
                )
            if item.item_id in seen:
                raise ValueError(f"item id {item.item_id!r} occurs twice")
            seen.add(item.item_id)
        return self


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class PlacedItem:
    """An item and where in the file it was read, kept until the order has been checked."""

    item: Item
    where: Where


def build_item(where: Where, **fields: object) -> Item:
    """An Item, with any validation failure reported at the record it came from."""
    try:
        return Item(source=where.source, **fields)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise where.error(f"not a valid question: {first['msg']}", field=field) from None


def in_conversation_order(
    placed: Sequence[PlacedItem], *, turn_field: str, conversation_field: str
) -> tuple[Item, ...]:
    """Items grouped by conversation (first mention first), turns ascending.

    Raises a DatasetError when a turn occurs twice or a turn's earlier turns are missing,
    naming the record and the file's own field names (`round`, `turn`, ...).
    """
    conversations: dict[str, dict[int, PlacedItem]] = {}
    for entry in placed:
        turns = conversations.setdefault(entry.item.conversation_id, {})
        turn = entry.item.turn
        if turn in turns:
            raise entry.where.error(
                f"{conversation_field} {entry.item.conversation_id} has {turn_field} {turn} "
                f"twice (also at {turns[turn].where.source})",
                field=turn_field,
                hint="number the turns of a conversation 1, 2, 3 ... once each",
            )
        turns[turn] = entry
    ordered: list[Item] = []
    for conversation, turns in conversations.items():
        _check_no_gap(conversation, turns, turn_field, conversation_field)
        ordered.extend(turns[turn].item for turn in sorted(turns))
    return tuple(ordered)


def _check_no_gap(
    conversation: str, turns: dict[int, PlacedItem], turn_field: str, conversation_field: str
) -> None:
    for expected, turn in enumerate(sorted(turns), start=1):
        if turn != expected:
            raise turns[turn].where.error(
                f"{turn_field} {turn} is present but {turn_field} {expected} of "
                f"{conversation_field} {conversation} is missing",
                field=turn_field,
                hint="add the earlier turns, or renumber this conversation's turns from 1",
            )
