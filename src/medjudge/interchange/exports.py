"""Exports of a store's records to JSONL or CSV, for people who want files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from medjudge.errors import ConfigError
from medjudge.interchange.files import atomic_writer
from medjudge.store import Store

__all__ = ["ExportKind", "export_records"]

ExportKind = Literal["answers", "verdicts", "scores"]


def _records(store: Store, kind: ExportKind, run_ids: list[str]) -> list[BaseModel]:
    fetch = {"answers": store.answers, "verdicts": store.verdicts, "scores": store.mcq_scores}
    return [record for run_id in run_ids for record in fetch[kind](run_id)]


def _flat(record: BaseModel) -> dict[str, object]:
    """One CSV row: nested values (messages, verdict output) as JSON text."""
    row = record.model_dump(mode="json")
    return {
        key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        for key, value in row.items()
    }


def export_records(
    store_path: Path, kind: ExportKind, out: Path, *, run_ids: list[str] | None = None
) -> int:
    """Write every record of `kind` to `out` (.jsonl or .csv), atomically. Returns the count."""
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise ConfigError(f"{out}: export to a .jsonl or .csv file")
    with Store(store_path) as store:
        ids = run_ids or [run.run_id for run in store.runs()]
        records = _records(store, kind, ids)
    with atomic_writer(out, newline="") as handle:
        if suffix == ".jsonl":
            for record in records:
                handle.write(record.model_dump_json() + "\n")
        else:
            rows = [_flat(record) for record in records]
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else [])
            writer.writeheader()
            writer.writerows(rows)
    return len(records)
