"""Benchmark loaders: every supported file becomes a `Benchmark` of `Item`s.

`load(path)` picks the loader from the file: LLMEval-Med's dataset.json, AnesBench (JSON list,
JSON Lines or parquet) or medjudge's own JSONL. `load("sample:<name>")` reads a small sample
shipped with the package.
"""

from medjudge.benchmarks.anesbench import Lang, Mode, load_anesbench
from medjudge.benchmarks.benchmark import Benchmark
from medjudge.benchmarks.checklist_text import parse_checklist
from medjudge.benchmarks.jsonl import load_jsonl
from medjudge.benchmarks.llmeval_med import CATEGORY_CODES, load_llmeval_med
from medjudge.benchmarks.loader import FORMATS, SAMPLES, Format, detect_format, load, sample_path

__all__ = [
    "CATEGORY_CODES",
    "FORMATS",
    "SAMPLES",
    "Benchmark",
    "Format",
    "Lang",
    "Mode",
    "detect_format",
    "load",
    "load_anesbench",
    "load_jsonl",
    "load_llmeval_med",
    "parse_checklist",
    "sample_path",
]
