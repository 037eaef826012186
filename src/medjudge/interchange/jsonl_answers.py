"""Import answers produced elsewhere in medjudge's own JSONL answer format.

One JSON object per line: `{"id": "<item id>", "answer": "<the model's reply>"}`, with an
optional `"sample": <int ≥ 0>` (default 0). Item ids are those of the benchmark the answers
belong to (load it with the same file and options); for AnesBench the file's own `id` is
accepted too ("q0" for "q0:en:mcq", with the language given by --lang). Multi-turn conversations need every turn
answered: turn k's chat history is rebuilt from turns 1..k-1 of the same sample, the way
`medjudge answer` would have asked it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from medjudge import __version__
from medjudge.answering import build_messages, conversations, run_id_for
from medjudge.benchmarks import Benchmark
from medjudge.benchmarks.anesbench import record_ids
from medjudge.errors import ConfigError, DatasetError
from medjudge.interchange.records import ImportedAnswers
from medjudge.records import Answer, Run, SamplingConfig
from medjudge.store import utc_now

__all__ = ["import_jsonl_answers"]

_FIELDS = {"id", "answer", "sample"}


def _resolve(
    path: Path, number: int, item_id: str, known: set[str], aliases: Mapping[str, tuple[str, ...]]
) -> str:
    """The benchmark's item id for the id a line gives: the item id itself, or the
    benchmark's own record id (AnesBench's `id`, loaded with one --lang)."""
    if item_id in known:
        return item_id
    targets = aliases.get(item_id, ())
    if len(targets) == 1:
        return targets[0]
    if targets:
        raise DatasetError(
            str(path), f"id '{item_id}' is the record of {len(targets)} items "
            f"({', '.join(targets)})", line=number, field="id",
            hint="import one language at a time (--lang en or --lang zh), or write the "
            f"item id, e.g. '{targets[0]}'")
    example = next(iter(aliases), None) or next(iter(sorted(known)), "")
    raise DatasetError(str(path), f"no item '{item_id}' in the benchmark", line=number,
                       field="id", hint="load the benchmark with the same file and "
                       f"options the answers were made for (its ids look like '{example}')")


def _read(
    path: Path, known: set[str], aliases: Mapping[str, tuple[str, ...]]
) -> dict[tuple[str, int], str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(str(path), f"cannot read the file ({exc.strerror})") from exc
    answers: dict[tuple[str, int], str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(str(path), f"invalid JSON ({exc.msg})", line=number) from exc
        if not isinstance(record, dict):
            raise DatasetError(str(path), "expected a JSON object", line=number)
        unknown = sorted(set(record) - _FIELDS)
        if unknown:
            raise DatasetError(str(path), "unknown field", line=number, field=unknown[0],
                               hint=f"an answer line has only {sorted(_FIELDS)}")
        item_id, text, sample = record.get("id"), record.get("answer"), record.get("sample", 0)
        for field, value, kind in (("id", item_id, str), ("answer", text, str),
                                   ("sample", sample, int)):
            if not isinstance(value, kind) or isinstance(value, bool):
                raise DatasetError(str(path), f"expected {kind.__name__}", line=number,
                                   field=field)
        item_id = _resolve(path, number, item_id, known, aliases)
        if sample < 0 or (item_id, sample) in answers:
            raise DatasetError(str(path), "duplicate or negative sample", line=number,
                               item=item_id, field="sample")
        answers[(item_id, sample)] = text
    if not answers:
        raise DatasetError(str(path), "no answers in the file")
    return answers


def import_jsonl_answers(path: str | Path, benchmark: Benchmark, *, model: str) -> ImportedAnswers:
    """Answers from a JSONL file as a Run of `model` on `benchmark`, history rebuilt."""
    path = Path(path)
    if not model.strip():
        raise ConfigError(f"{path}: the model name is empty; name the model that wrote these "
                          "answers (--model)")
    texts = _read(path, {item.item_id for item in benchmark.items}, record_ids(benchmark.items))
    samples = sorted({sample for _, sample in texts})
    answers: list[Answer] = []
    for turns in conversations(benchmark.items):
        for sample in samples:
            given = [texts.get((item.item_id, sample)) for item in turns]
            for index, (item, text) in enumerate(zip(turns, given, strict=True)):
                if text is None:
                    continue
                missing = [t.item_id for t, g in zip(turns[:index], given, strict=False)
                           if g is None]
                if missing:
                    raise DatasetError(str(path), f"turn {item.turn} is answered but earlier "
                                       f"turn {missing[0]} is not", item=item.item_id,
                                       field="id")
                answers.append(Answer(
                    run_id="", item_id=item.item_id, sample=sample, status="ok", text=text,
                    messages=build_messages(turns[: index + 1], [g or "" for g in given[:index]]),
                    created_at=utc_now(),
                ))
    key = json.dumps({"import": "medjudge jsonl", "model": model, "benchmark": benchmark.sha256,
                      "answers": sorted((a.item_id, a.sample, a.text) for a in answers)},
                     ensure_ascii=False)
    run = Run(
        run_id=run_id_for(key), model=model,
        benchmark=benchmark.name, benchmark_path=benchmark.path,
        benchmark_sha256=benchmark.sha256, samples=len(samples), sampling=SamplingConfig(),
        created_at=utc_now(), medjudge_version=__version__,
    )
    answers = [a.model_copy(update={"run_id": run.run_id}) for a in answers]
    return ImportedAnswers(run=run, benchmark=benchmark, answers=tuple(answers))
