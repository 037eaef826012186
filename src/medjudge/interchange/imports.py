"""Imports into a store: read a file made elsewhere, save its run, answers or verdicts."""

from __future__ import annotations

from pathlib import Path

from medjudge.answering import dataset_fingerprint
from medjudge.benchmarks import Lang, Mode, load
from medjudge.interchange.anesbench_results import AnesbenchResults, read_anesbench_results
from medjudge.interchange.jsonl_answers import import_jsonl_answers
from medjudge.interchange.llmeval_med import import_llmeval_med_answers, import_llmeval_med_scores
from medjudge.interchange.records import ImportedAnswers
from medjudge.store import Store

__all__ = [
    "import_anesbench_results",
    "import_answers",
    "import_jsonl",
    "import_scores",
    "store_imported",
]


def import_answers(store_path: Path, path: Path, *, model: str) -> tuple[str, int]:
    """Import an LLMEval-Med `Answer.py` output file as a run. Returns (run id, answers)."""
    return store_imported(store_path, import_llmeval_med_answers(path, model=model))


def import_jsonl(
    store_path: Path, path: Path, *, benchmark: str, model: str, lang: Lang, mode: Mode
) -> tuple[str, int]:
    """Import answers in medjudge's JSONL answer format for `benchmark` as a run."""
    loaded = load(benchmark, lang=lang, mode=mode)
    return store_imported(store_path, import_jsonl_answers(path, loaded, model=model))


def import_anesbench_results(
    store_path: Path, path: Path, *, benchmark: str, lang: Lang, model: str
) -> AnesbenchResults:
    """Import AnesBench's `result.json` as a run of answers; the result says how AnesBench's
    extractor and medjudge's compare on them."""
    results = read_anesbench_results(path, benchmark=benchmark, lang=lang, model=model)
    store_imported(store_path, results.imported)
    return results


def store_imported(store_path: Path, imported: ImportedAnswers) -> tuple[str, int]:
    """Save an import's items, run and answers. Returns (run id, answers)."""
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
