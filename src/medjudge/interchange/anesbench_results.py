"""Import the result file AnesBench's own evaluation script writes.

AnesBench's `eval/evaluate.py` asks every question of its benchmark file and writes
`result.json`:

    {"model_score": 0.5,                  # mean of correctness (absent when nothing was asked)
     "model_output": ["B", "D", ...],     # the letter its extractor read from each reply
     "model_response": ["...", ...],      # the model's reply to each question
     "correctness": [1, 0, ...]}          # 1 when model_output is the answer key

Each list has one entry per question, in the benchmark file's order. The replies become a
run of Answers, so that medjudge's own extraction scores them (`medjudge score`); the
letters and correctness AnesBench recorded are kept beside them for one comparison:
"AnesBench's extractor: x%, medjudge: y%".

The file does not record the prompt evaluate.py sent, so the Answers carry no messages
rather than invented ones. A null reply becomes a failed Answer with its reason. A
correctness that disagrees with its own letter and the benchmark's answer key means the
file was made from another benchmark file (or another order) and is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from medjudge import __version__
from medjudge.answering import run_id_for
from medjudge.benchmarks import Benchmark, Lang, load
from medjudge.benchmarks.raw import Where, parse_json, read_text, type_name
from medjudge.errors import ConfigError, DatasetError
from medjudge.interchange.records import ImportedAnswers
from medjudge.records import Answer, Item, Run, SamplingConfig
from medjudge.scoring.mcq import score_answer
from medjudge.store import utc_now

__all__ = [
    "EVALUATE_PY_SAMPLING",
    "AnesbenchResults",
    "ExtractorComparison",
    "read_anesbench_results",
]

OUTPUT_FIELD = "model_output"
RESPONSE_FIELD = "model_response"
CORRECTNESS_FIELD = "correctness"
SCORE_FIELD = "model_score"
_LISTS = (OUTPUT_FIELD, RESPONSE_FIELD, CORRECTNESS_FIELD)
_FROM_EVALUATE = "give the result.json that AnesBench's eval/evaluate.py wrote"

#: evaluate.py's defaults (temperature 0, max_new_tokens 2048); its config.yaml may set
#: others, which result.json does not record. Pass the real values when you know them.
EVALUATE_PY_SAMPLING = SamplingConfig(temperature=0.0, max_tokens=2048)


class ExtractorComparison(BaseModel):
    """AnesBench's extractor and medjudge's on the same replies, counted over `questions`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: int
    #: Questions AnesBench's extractor marked correct (its `correctness`).
    theirs_correct: int
    #: Questions medjudge's extraction scores correct.
    ours_correct: int
    #: Questions where both read the same letter from the reply.
    same_letter: int

    def line(self) -> str:
        """ "AnesBench's extractor: 75.0% (3 of 4), medjudge: 50.0% (2 of 4)"."""
        n = self.questions
        return (
            f"AnesBench's extractor: {_percent(self.theirs_correct, n)} "
            f"({self.theirs_correct} of {n}), medjudge: {_percent(self.ours_correct, n)} "
            f"({self.ours_correct} of {n})"
        )

    def agreement_line(self) -> str:
        """ "both read the same letter on 2 of 4"."""
        return f"both read the same letter on {self.same_letter} of {self.questions}"


def _percent(count: int, total: int) -> str:
    return f"{count / total:.1%}" if total else "n/a"


class AnesbenchResults(BaseModel):
    """A result.json read against its benchmark: the run to store, and what AnesBench said."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    imported: ImportedAnswers
    #: `model_score` as recorded (None when the file has none).
    model_score: float | None
    #: AnesBench's letter per question (`model_output`), in item order.
    their_choices: tuple[str | None, ...]
    #: AnesBench's verdict per question (`correctness`), in item order.
    their_correct: tuple[bool, ...]
    comparison: ExtractorComparison


class _Columns(BaseModel):
    """result.json's per-question lists, checked for type and length."""

    model_config = ConfigDict(frozen=True)

    outputs: tuple[str | None, ...]
    responses: tuple[str | None, ...]
    correct: tuple[bool, ...]
    model_score: float | None


def read_anesbench_results(
    path: str | Path,
    *,
    benchmark: str | Path,
    lang: Lang,
    model: str,
    sampling: SamplingConfig | None = None,
) -> AnesbenchResults:
    """AnesBench's `result.json` as a run of `model` on `benchmark` (loaded as MCQs in
    `lang`, "en" or "zh"), with AnesBench's own letters and correctness kept beside it."""
    path = Path(path)
    _check_options(path, lang, model)
    loaded = load(benchmark, lang=lang, mode="mcq", fmt="anesbench")
    columns = _read_columns(path, len(loaded.items))
    _check_alignment(path, loaded.items, columns)
    imported = _imported(loaded, columns, model, sampling or EVALUATE_PY_SAMPLING)
    return AnesbenchResults(
        imported=imported,
        model_score=columns.model_score,
        their_choices=columns.outputs,
        their_correct=columns.correct,
        comparison=_compare(loaded.items, imported.answers, columns),
    )


def _check_options(path: Path, lang: str, model: str) -> None:
    if lang not in ("en", "zh"):
        raise ConfigError(
            f"{path}: lang must be 'en' or 'zh', not {lang!r}; a result.json holds the "
            "answers in the one language its questions were asked in (--lang)"
        )
    if not model.strip():
        raise ConfigError(
            f"{path}: the model name is empty; name the model that wrote these answers "
            "(--model)"
        )


# ---------------------------------------------------------------------------------------
# Reading result.json


def _read_columns(path: Path, questions: int) -> _Columns:
    data = parse_json(path, read_text(path))
    if not isinstance(data, dict):
        raise DatasetError(
            str(path),
            f"expected a JSON object, found {type_name(data)}",
            hint=f"{_FROM_EVALUATE}: an object with {', '.join(_LISTS)}",
        )
    lists = {field: _list_field(path, data, field) for field in _LISTS}
    _check_lengths(path, lists, questions)
    return _Columns(
        outputs=tuple(_letter(path, i, v) for i, v in enumerate(lists[OUTPUT_FIELD])),
        responses=tuple(_reply(path, i, v) for i, v in enumerate(lists[RESPONSE_FIELD])),
        correct=tuple(_correct(path, i, v) for i, v in enumerate(lists[CORRECTNESS_FIELD])),
        model_score=_model_score(path, data),
    )


def _list_field(path: Path, data: Mapping[str, Any], field: str) -> list[Any]:
    if field not in data:
        raise DatasetError(str(path), "required field is missing", field=field,
                           hint=f"{_FROM_EVALUATE}, which has {', '.join(_LISTS)}")
    value = data[field]
    if not isinstance(value, list):
        raise DatasetError(str(path), f"expected a list, found {type_name(value)}",
                           field=field, hint="evaluate.py writes one entry per question")
    return value


def _check_lengths(path: Path, lists: Mapping[str, list[Any]], questions: int) -> None:
    for field, values in lists.items():
        if len(values) != questions:
            raise DatasetError(
                str(path),
                f"has {len(values)} entries but the benchmark has {questions} questions",
                field=field,
                hint="give the benchmark file this result.json was made from; evaluate.py "
                "resumes from its result.json, so run it until every question is answered",
            )


def _at(path: Path, index: int, field: str) -> Where:
    return Where(path, anchor=f"{field}-{index + 1}", item=f"#{index + 1} of {field}")


def _letter(path: Path, index: int, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _at(path, index, OUTPUT_FIELD).error(
        f"expected an option letter as text, found {type_name(value)}", field=OUTPUT_FIELD
    )


def _reply(path: Path, index: int, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _at(path, index, RESPONSE_FIELD).error(
        f"expected the model's reply as text, found {type_name(value)}", field=RESPONSE_FIELD
    )


def _correct(path: Path, index: int, value: Any) -> bool:
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise _at(path, index, CORRECTNESS_FIELD).error(
        f"expected 0 or 1, found {type_name(value)} {value!r}", field=CORRECTNESS_FIELD,
        hint="evaluate.py writes 1 for a correct letter and 0 otherwise",
    )


def _model_score(path: Path, data: Mapping[str, Any]) -> float | None:
    value = data.get(SCORE_FIELD)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DatasetError(str(path), f"expected a number, found {type_name(value)}",
                           field=SCORE_FIELD, hint="evaluate.py writes the mean correctness")
    return float(value)


def _check_alignment(path: Path, items: Sequence[Item], columns: _Columns) -> None:
    """Each recorded correctness must agree with its letter and the item's answer key."""
    for index, (item, letter, correct) in enumerate(
        zip(items, columns.outputs, columns.correct, strict=True)
    ):
        says = (letter or "").strip().upper() == item.answer_key
        if says != correct:
            raise _at(path, index, CORRECTNESS_FIELD).error(
                f"correctness {int(correct)} disagrees with model_output {letter!r} and the "
                f"answer key {item.answer_key!r} of question {item.item_id}",
                field=CORRECTNESS_FIELD,
                hint="this result.json was made from another benchmark file or order; "
                "give the file evaluate.py read (--benchmark)",
            )


# ---------------------------------------------------------------------------------------
# The run, its answers, and the comparison


def _imported(
    benchmark: Benchmark, columns: _Columns, model: str, sampling: SamplingConfig
) -> ImportedAnswers:
    run = _run(benchmark, columns, model, sampling)
    created = utc_now()
    answers = tuple(
        _answer(run.run_id, item.item_id, text, created)
        for item, text in zip(benchmark.items, columns.responses, strict=True)
    )
    return ImportedAnswers(run=run, benchmark=benchmark, answers=answers)


def _answer(run_id: str, item_id: str, text: str | None, created: str) -> Answer:
    if text is None:
        return Answer(run_id=run_id, item_id=item_id, sample=0, status="failed",
                      error="no reply recorded (model_response is null)", created_at=created)
    return Answer(run_id=run_id, item_id=item_id, sample=0, status="ok", text=text,
                  created_at=created)


def _run(benchmark: Benchmark, columns: _Columns, model: str, sampling: SamplingConfig) -> Run:
    """The run id comes from the model, the benchmark's bytes and the replies, so importing
    the same result.json again gives the same run."""
    key = json.dumps(
        {"import": "anesbench result.json", "model": model, "benchmark": benchmark.sha256,
         "items": [item.item_id for item in benchmark.items], "replies": columns.responses},
        ensure_ascii=False,
    )
    return Run(
        run_id=run_id_for(key), model=model,
        benchmark=benchmark.name, benchmark_path=benchmark.path,
        benchmark_sha256=benchmark.sha256, samples=1, sampling=sampling,
        created_at=utc_now(), medjudge_version=__version__,
    )


def _compare(
    items: Sequence[Item], answers: Sequence[Answer], columns: _Columns
) -> ExtractorComparison:
    scores = [score_answer(item, answer) for item, answer in zip(items, answers, strict=True)]
    same = sum(
        score.choice is not None and score.choice == (theirs or "").strip().upper()
        for score, theirs in zip(scores, columns.outputs, strict=True)
    )
    return ExtractorComparison(
        questions=len(items),
        theirs_correct=sum(columns.correct),
        ours_correct=sum(score.correct for score in scores),
        same_letter=same,
    )
