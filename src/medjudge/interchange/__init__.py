"""What comes in and goes out: imports of results made elsewhere (LLMEval-Med, AnesBench, our
JSONL) and exports (JSONL/CSV), through one atomic writer."""

from medjudge.interchange.anesbench_results import (
    AnesbenchResults,
    ExtractorComparison,
    read_anesbench_results,
)
from medjudge.interchange.exports import ExportKind, export_records
from medjudge.interchange.files import atomic_writer
from medjudge.interchange.imports import (
    import_anesbench_results,
    import_answers,
    import_jsonl,
    import_scores,
    store_imported,
)
from medjudge.interchange.jsonl_answers import import_jsonl_answers
from medjudge.interchange.llmeval_med import import_llmeval_med_answers, import_llmeval_med_scores
from medjudge.interchange.records import ImportedAnswers

__all__ = [
    "AnesbenchResults",
    "ExportKind",
    "ExtractorComparison",
    "ImportedAnswers",
    "atomic_writer",
    "export_records",
    "import_anesbench_results",
    "import_answers",
    "import_jsonl",
    "import_jsonl_answers",
    "import_llmeval_med_answers",
    "import_llmeval_med_scores",
    "import_scores",
    "read_anesbench_results",
    "store_imported",
]
