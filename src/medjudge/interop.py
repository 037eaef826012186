"""Moving records in and out of a store: exports to JSONL/CSV, imports of LLMEval-Med files."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from medjudge.answering import dataset_fingerprint
from medjudge.errors import ConfigError
from medjudge.importers import import_llmeval_med_answers, import_llmeval_med_scores
from medjudge.store import Store

__all__ = [
    "ExportKind",
    "export_records",
    "import_answers",
    "import_jsonl",
    "import_scores",
]

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
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=out.parent, prefix=f".{out.name}.", delete=False
    )
    try:
        with handle:
            if suffix == ".jsonl":
                for record in records:
                    handle.write(record.model_dump_json() + "\n")
            else:
                rows = [_flat(record) for record in records]
                fields = list(rows[0]) if rows else []
                writer = csv.DictWriter(handle, fieldnames=fields)
                writer.writeheader()
                writer.writerows(rows)
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return len(records)


def import_answers(store_path: Path, path: Path, *, model: str) -> tuple[str, int]:
    """Import an LLMEval-Med `Answer.py` output file as a run. Returns (run id, answers)."""
    return _store_imported(store_path, import_llmeval_med_answers(path, model=model))


def import_jsonl(
    store_path: Path, path: Path, *, benchmark: str, model: str, lang: str, mode: str
) -> tuple[str, int]:
    """Import answers in medjudge's JSONL answer format for `benchmark` as a run."""
    from medjudge.benchmarks import load
    from medjudge.import_jsonl import import_jsonl_answers

    loaded = load(benchmark, lang=lang, mode=mode)
    return _store_imported(store_path, import_jsonl_answers(path, loaded, model=model))


def _store_imported(store_path: Path, imported) -> tuple[str, int]:
    items = imported.benchmark.items
    with Store(store_path) as store:
        fingerprint = dataset_fingerprint(items)
        store.add_items(fingerprint, items)
        store.add_run(imported.run, fingerprint)
        store.save_answers(imported.answers)
    return imported.run.run_id, len(imported.answers)


def import_scores(
    store_path: Path, path: Path, *, run_id: str, judge: str, judge_run: int
) -> int:
    """Import an LLMEval-Med `Evaluate.py` score file as verdicts on an imported run."""
    with Store(store_path) as store:
        answers = store.answers(run_id)
        if not answers:
            store.run(run_id)  # names the runs that exist when the id is wrong
        verdicts = import_llmeval_med_scores(
            path, run_id=run_id, judge=judge, judge_run=judge_run, answers=answers
        )
        store.save_verdicts(verdicts)
    return len(verdicts)
