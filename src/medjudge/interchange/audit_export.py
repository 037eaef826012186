"""Audit records and agreement tables out of a store: gathering, and JSONL / CSV files.

`audit_records` reads what agreement needs from a store; `store_agreement` runs
`agreement_report` on it; `export_audits` and `export_agreement` write files atomically
(a temporary file in the same folder, renamed over the target: a crash leaves the old file
or the new one, never half of one).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from medjudge.errors import ConfigError, StoreError
from medjudge.interchange.files import atomic_writer
from medjudge.records import Answer, Audit, Item, Verdict
from medjudge.scoring.agreement_report import (
    AGREEMENT_COLUMNS,
    AgreementReport,
    agreement_report,
    agreement_rows,
)
from medjudge.scoring.physician import RatingMode, category_map
from medjudge.scoring.versions import VersionPick, check_pick_used, select_rubric_versions
from medjudge.store import Store

__all__ = [
    "AuditRecords",
    "ExportWhat",
    "audit_records",
    "export_agreement",
    "export_audits",
    "store_agreement",
    "write_rows",
]

ExportWhat = Literal["audits", "agreement"]
_AUDIT_COLUMNS = tuple(Audit.model_fields)


class AuditRecords(BaseModel):
    """Everything agreement and the corrected numbers need, for the chosen runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_ids: tuple[str, ...]
    items: tuple[Item, ...]
    answers: tuple[Answer, ...]
    verdicts: tuple[Verdict, ...]
    audits: tuple[Audit, ...]


def audit_records(
    store: Store, run_ids: Sequence[str] | None = None, *, answers: bool = True,
    pick: VersionPick | None = None,
) -> AuditRecords:
    """The items, answers (unless `answers` is False), verdicts and audits of `run_ids`
    (default: every run). Verdicts: one version per rubric id and run, the latest unless
    `pick` chooses (`scoring.versions`), so agreement never mixes rubric versions.

    Raises StoreError when two runs' benchmarks give one item id two categories, and
    ConfigError when `pick` names a version or a rubric id the runs' verdicts do not have
    (the errors `medjudge report --rubric-version` gives)."""
    runs = [store.run(r) for r in run_ids] if run_ids else store.runs()
    items: dict[tuple[str, str], Item] = {}
    for run in runs:
        for item in store.run_items(run.run_id):
            items.setdefault((item.benchmark, item.item_id), item)
    try:
        category_map(items.values())
    except ValueError as exc:
        raise StoreError(f"{store.path}: {exc} (pick them with --run)") from exc
    verdicts, choices = [], []
    for run in runs:
        used, chosen = select_rubric_versions(store.verdicts(run.run_id), pick,
                                              where=f"run {run.run_id}")
        verdicts.extend(used)
        choices.extend(chosen)
    if pick is not None:
        check_pick_used(pick, choices)
    return AuditRecords(
        run_ids=tuple(r.run_id for r in runs),
        items=tuple(items.values()),
        answers=tuple(a for r in runs for a in store.answers(r.run_id)) if answers else (),
        verdicts=tuple(verdicts),
        audits=tuple(a for r in runs for a in store.audits(r.run_id)),
    )


def store_agreement(
    store_path: Path,
    *,
    mode: RatingMode = "blind",
    run_ids: Sequence[str] | None = None,
    seed: int = 0,
    n_resamples: int = 2000,
    pick: VersionPick | None = None,
) -> AgreementReport:
    """`agreement_report` over a store's runs (default: every run), over one version of each
    rubric id: the latest, or `pick`'s (`--rubric-version`)."""
    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no such store")
    with Store(store_path) as store:
        records = audit_records(store, run_ids, answers=False, pick=pick)
    return agreement_report(records.items, records.verdicts, records.audits, mode=mode,
                            seed=seed, n_resamples=n_resamples)


def export_audits(
    store_path: Path, out: Path, *, run_ids: Sequence[str] | None = None
) -> int:
    """Every audit (who, when, mode, action, score, risk, reason…) to .jsonl or .csv."""
    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no such store")
    _check_suffix(out)
    with Store(store_path) as store:
        ids = list(run_ids) if run_ids else [r.run_id for r in store.runs()]
        audits = [a for run_id in ids for a in store.audits(run_id)]
    write_rows(out, (a.model_dump(mode="json") for a in audits), _AUDIT_COLUMNS)
    return len(audits)


def export_agreement(
    store_path: Path,
    out: Path,
    *,
    mode: RatingMode = "blind",
    run_ids: Sequence[str] | None = None,
    seed: int = 0,
    n_resamples: int = 2000,
) -> int:
    """The agreement table (one row per comparison × category) to .jsonl or .csv."""
    _check_suffix(out)
    report = store_agreement(store_path, mode=mode, run_ids=run_ids, seed=seed,
                             n_resamples=n_resamples)
    rows = agreement_rows(report)
    write_rows(out, rows, AGREEMENT_COLUMNS)
    return len(rows)


def write_rows(
    out: Path, rows: Iterable[dict[str, object]], columns: Sequence[str]
) -> None:
    """Write rows to `out` as JSON lines (.jsonl) or CSV with a header (.csv), atomically."""
    suffix = _check_suffix(out)
    with atomic_writer(out, newline="") as handle:
        if suffix == ".jsonl":
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


def _check_suffix(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise ConfigError(f"{out}: export to a .jsonl or .csv file")
    return suffix
