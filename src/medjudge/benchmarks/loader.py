"""`load(path)`: read any supported benchmark file, picking the loader from its content.

load("dataset.json")              LLMEval-Med (a JSON object keyed by category)
load("anesbench.parquet")         AnesBench (also a JSON list or JSON Lines with choice_num)
load("my-bench.jsonl")            medjudge JSONL (one object per line with id and question)
load("sample:anesbench")          a small sample shipped inside the package
load("hf:MiliLab/AnesBench")      downloads it once through huggingface_hub (the [hub] extra)
                                  into the Hugging Face cache (benchmarks/hub.py)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from medjudge.benchmarks.anesbench import Lang, Mode, load_anesbench
from medjudge.benchmarks.benchmark import Benchmark
from medjudge.benchmarks.hub import hub_file
from medjudge.benchmarks.jsonl import load_jsonl
from medjudge.benchmarks.llmeval_med import CATEGORY_CODES, load_llmeval_med
from medjudge.benchmarks.raw import parse_json, read_text
from medjudge.errors import ConfigError, DatasetError

__all__ = ["FORMATS", "SAMPLES", "Format", "detect_format", "load", "sample_path"]

Format = Literal["llmeval-med", "anesbench", "generic"]
FORMATS: tuple[Format, ...] = ("llmeval-med", "anesbench", "generic")

#: `load("sample:<name>")` names -> files in medjudge/benchmarks/samples/.
SAMPLES: dict[str, str] = {
    "llmeval-med": "llmeval_med_sample.json",
    "anesbench": "anesbench_sample.json",
    "generic": "generic_sample.jsonl",
}
_SAMPLES_DIR = Path(__file__).parent / "samples"

_SUPPORTED = (
    "supported: LLMEval-Med dataset.json (a JSON object keyed by category); "
    "AnesBench as a JSON list, JSON Lines or parquet (records with choice_num and "
    "en_question/question); medjudge JSONL (one object per line with 'id' and 'question', "
    "see datasets/README.md)"
)
_ANESBENCH_MARKERS = ("choice_num", "en_question", "zh_question", "cn_question")


def load(
    path: str | Path,
    *,
    lang: Lang = "en",
    mode: Mode = "mcq",
    fmt: Format | None = None,
) -> Benchmark:
    """Load a benchmark file (or `sample:<name>`, or `hf:<owner>/<name>[/<file>]`, downloaded
    through huggingface_hub when the Hugging Face cache lacks it) into a Benchmark.

    `lang` ("en", "zh", "both") and `mode` ("mcq", "open") apply to AnesBench, the bilingual
    MCQ format; the other formats say their own language and kind per item. `fmt` skips
    detection: "llmeval-med", "anesbench" or "generic" (medjudge JSONL).
    """
    _check_choices(lang, mode, fmt)
    resolved = _resolve(path, lang)
    chosen = fmt or detect_format(resolved)
    if chosen == "llmeval-med":
        return load_llmeval_med(resolved)
    if chosen == "anesbench":
        return load_anesbench(resolved, lang=lang, mode=mode)
    return load_jsonl(resolved)


def _check_choices(lang: str, mode: str, fmt: str | None) -> None:
    if lang not in ("en", "zh", "both"):
        raise ConfigError(f"lang must be 'en', 'zh' or 'both', not {lang!r}")
    if mode not in ("mcq", "open"):
        raise ConfigError(f"mode must be 'mcq' or 'open', not {mode!r}")
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")


# ---------------------------------------------------------------------------------------
# Names to files


def sample_path(name: str) -> Path:
    """The bundled sample file for `name` ("llmeval-med", "anesbench", "generic")."""
    if name not in SAMPLES:
        raise DatasetError(
            f"sample:{name}",
            "no such sample",
            hint="the samples are " + ", ".join(f"sample:{known}" for known in SAMPLES),
        )
    return _SAMPLES_DIR / SAMPLES[name]


def _resolve(path: str | Path, lang: str) -> Path:
    text = str(path)
    if isinstance(path, str) and text.startswith("sample:"):
        return sample_path(text.removeprefix("sample:"))
    if isinstance(path, str) and text.startswith("hf:"):
        return hub_file(text.removeprefix("hf:"), lang=lang)
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise DatasetError(str(path), "file not found", hint=_not_found_hint(text))
    if resolved.is_dir():
        raise DatasetError(
            str(path),
            "is a folder, not a benchmark file",
            hint="point at the file itself, e.g. dataset.json or anesbench_en.json",
        )
    return resolved


def _not_found_hint(text: str) -> str:
    if text in SAMPLES:
        return f"did you mean sample:{text}?"
    samples = ", ".join(f"sample:{name}" for name in SAMPLES)
    return f"check the path; the bundled samples load as {samples}"


# ---------------------------------------------------------------------------------------
# Detection


def detect_format(path: Path) -> Format:
    """Which loader reads `path`: by extension for parquet, else by content."""
    if path.suffix.lower() == ".parquet":
        return "anesbench"
    text = read_text(path)
    start = text.lstrip()[:1]
    if not start:
        raise DatasetError(str(path), "is empty", hint=_SUPPORTED)
    if start == "[":
        return _classify_list(path, parse_json(path, text))
    if start != "{":
        raise DatasetError(str(path), "is not a benchmark file medjudge can read", hint=_SUPPORTED)
    whole = _try_json(text)
    if isinstance(whole, dict) and any(key in CATEGORY_CODES for key in whole):
        return "llmeval-med"
    if whole is None and path.suffix.lower() == ".json" and _first_record(text) is None:
        parse_json(path, text)  # raises with the line and column of the JSON error
    return _classify_record(path, whole if isinstance(whole, dict) else _first_record(text))


def _try_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _first_record(text: str) -> dict[str, Any] | None:
    """The first non-blank line as a JSON object, or None when it is not one."""
    for line in text.split("\n"):
        if line.strip():
            value = _try_json(line)
            return value if isinstance(value, dict) else None
    return None


def _classify_list(path: Path, value: Any) -> Format:
    first = value[0] if isinstance(value, list) and value else None
    if isinstance(first, dict) and any(marker in first for marker in _ANESBENCH_MARKERS):
        return "anesbench"
    hint = _SUPPORTED
    if isinstance(first, dict) and "question" in first:
        hint = "medjudge's own format is JSON Lines: write one question object per line (.jsonl)"
    raise DatasetError(str(path), "is a JSON list medjudge does not recognise", hint=hint)


def _classify_record(path: Path, record: dict[str, Any] | None) -> Format:
    if record is not None:
        if any(marker in record for marker in _ANESBENCH_MARKERS):
            return "anesbench"
        if "question" in record or "benchmark" in record:
            return "generic"
    raise DatasetError(str(path), "is not a benchmark file medjudge can read", hint=_SUPPORTED)
