"""Import answers and scores that LLMEval-Med's own scripts produced.

Both scripts write the dataset back in dataset.json's shape (a JSON object keyed by category,
each a list of questions), adding fields to every question they processed:

- `evaluate/Answer.py` adds `model_answer`, the model's reply. It asks each question with the
  system prompt "You are a helpful assistant." and, for round > 1, the conversation's
  earlier (question, answer) pairs of the same groupCode as user/assistant turns (the
  repository's current version, commit aeaf2fe; earlier versions sent a different history).
  `import_llmeval_med_answers` returns the Items, a Run and one Answer per question, with
  those messages rebuilt.
- `evaluate/Evaluate.py` adds `model_answer_judgement`, the judge's (GPT-4o's) reply, and
  `model_answer_score`: the digits of the first "[n]" in that reply as text, the integer
  -1 when the reply holds none, and "" when the API call failed. It is run three times for
  three score files. `import_llmeval_med_scores` turns one file into Verdicts for one
  judge_run; pass judge_run 0, 1, 2 for the three files.

Scores are kept as Evaluate.py recorded them, not re-parsed from the reply. Imported
verdicts have no structured judge output (`output=None`), `judge_score == final_score`,
and the reply as `raw_reply`. A score that is not a whole number 1..5 makes the verdict
unscored, with the reason. LLMEval-Med's Aggregate.py accepts any number from 0 to 5, so
the two differ only on a score of 0 (a judge writing "[0]"; Aggregate.py averages it in,
here it is unscored: the rubric's scale is 1-5) and on fractions, which Evaluate.py never
writes (its pattern takes digits only).

Item ids are the LLMEval-Med loader's ("MK-7-2"), so imported answers line up with
questions medjudge loaded from dataset.json. Unreadable files and fields raise DatasetError
naming the file, line, question and field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from medjudge import __version__
from medjudge.answering import run_id_for
from medjudge.benchmarks.benchmark import Benchmark
from medjudge.benchmarks.llmeval_med import BENCHMARK_NAME, CATEGORY_CODES, load_llmeval_med
from medjudge.benchmarks.raw import (
    RawRecord,
    Where,
    as_record,
    member_element_lines,
    parse_json,
    read_text,
    type_name,
)
from medjudge.errors import ConfigError
from medjudge.interchange.records import ImportedAnswers
from medjudge.records import Answer, Item, Message, Run, SamplingConfig, Verdict
from medjudge.store import utc_now

__all__ = [
    "ANSWER_PY_SAMPLING",
    "ANSWER_PY_SYSTEM_PROMPT",
    "IMPORTED_PROMPT_HASH",
    "IMPORTED_RUBRIC_ID",
    "IMPORTED_RUBRIC_VERSION",
    "LLMEVAL_MED_JUDGE",
    "import_llmeval_med_answers",
    "import_llmeval_med_scores",
]

ANSWER_FIELD = "model_answer"
SCORE_FIELD = "model_answer_score"
JUDGEMENT_FIELD = "model_answer_judgement"

#: The system message Answer.py sends with every question.
ANSWER_PY_SYSTEM_PROMPT = "You are a helpful assistant."
#: Answer.py samples (do_sample=True) up to max_new_tokens=2048 with the model's own
#: generation config, which the file does not record; 1.0 / 1.0 are transformers' defaults
#: when that config sets nothing. Pass the real values when you know them.
ANSWER_PY_SAMPLING = SamplingConfig(temperature=1.0, top_p=1.0, max_tokens=2048)
#: Evaluate.py always asks this model.
LLMEVAL_MED_JUDGE = "gpt-4o"
IMPORTED_RUBRIC_ID = "llmeval-med-imported"
IMPORTED_RUBRIC_VERSION = "evaluate.py"
IMPORTED_PROMPT_HASH = "imported"

_SCALE = range(1, 6)
_INTEGER = re.compile(r"[+-]?\d+")


def import_llmeval_med_answers(
    path: str | Path, *, model: str, sampling: SamplingConfig | None = None
) -> ImportedAnswers:
    """Items, a Run and one Answer per question from an LLMEval-Med Answer.py output file.

    The run id is derived from the model name and the answers (not the file's bytes), so
    importing the same answers again, or from one of Evaluate.py's score files made from
    them, gives the same run. Every answer is sample 0 and status "ok" (Answer.py records
    no failures; an empty reply is kept as the empty text the model returned).
    """
    if not model.strip():
        raise ConfigError(
            f"{path}: the model name is empty; name the model that wrote these answers "
            "(--model)"
        )
    benchmark, entries = _read(Path(path))
    histories: dict[tuple[str, str], list[tuple[str, str]]] = {}
    pending: list[tuple[str, str, tuple[Message, ...]]] = []
    for entry in entries:
        text = _required_text(entry.record, ANSWER_FIELD, "Answer.py")
        item = entry.item
        history = histories.setdefault((entry.category_key, entry.group), [])
        earlier = history if item.turn > 1 else []
        messages = [Message(role="system", content=ANSWER_PY_SYSTEM_PROMPT)]
        for question, answer in earlier:
            messages.append(Message(role="user", content=question))
            messages.append(Message(role="assistant", content=answer))
        messages.append(Message(role="user", content=item.question))
        history.append((item.question, text))
        pending.append((item.item_id, text, tuple(messages)))
    run = _run(benchmark, model, sampling or ANSWER_PY_SAMPLING, pending)
    created = utc_now()
    answers = tuple(
        Answer(
            run_id=run.run_id,
            item_id=item_id,
            sample=0,
            status="ok",
            text=text,
            messages=messages,
            created_at=created,
        )
        for item_id, text, messages in pending
    )
    return ImportedAnswers(run=run, benchmark=benchmark, answers=answers)


def import_llmeval_med_scores(
    path: str | Path,
    *,
    run_id: str,
    judge: str = LLMEVAL_MED_JUDGE,
    judge_run: int = 0,
    answers: Sequence[Answer] | None = None,
) -> tuple[Verdict, ...]:
    """One Verdict per question of an LLMEval-Med Evaluate.py score file.

    `run_id` is the run whose answers were judged (from `import_llmeval_med_answers`).
    Given that run's `answers`, each question's `model_answer` must be the answer's text,
    so scores cannot be attached to another model's answers by mistake.
    """
    _check_judge_run(path, judge_run)
    _, entries = _read(Path(path))
    texts = _judged_texts(answers, run_id)
    judged = _JudgedBy(run_id=run_id, judge=judge, judge_run=judge_run, created_at=utc_now())
    verdicts = []
    for entry in entries:
        _require_score(entry.record)
        if texts is not None:
            _check_same_answer(entry, texts, run_id)
        verdicts.append(_verdict(entry, judged))
    return tuple(verdicts)


# ---------------------------------------------------------------------------------------
# Score files, piece by piece


@dataclass(frozen=True)
class _JudgedBy:
    """What every verdict of one score file shares."""

    run_id: str
    judge: str
    judge_run: int
    created_at: str


def _check_judge_run(path: str | Path, judge_run: int) -> None:
    if judge_run < 0:
        raise ConfigError(
            f"{path}: judge run {judge_run} is negative; number Evaluate.py's score files "
            "0, 1, 2, ... (--judge-run)"
        )


def _judged_texts(answers: Sequence[Answer] | None, run_id: str) -> dict[str, str | None] | None:
    """The run's sample-0 answer texts by item id, or None when no answers were given."""
    if answers is None:
        return None
    return {a.item_id: a.text for a in answers if a.run_id == run_id and a.sample == 0}


def _require_score(record: RawRecord) -> None:
    if SCORE_FIELD not in record.data:
        raise record.where.error(
            "required field is missing",
            field=SCORE_FIELD,
            hint="give the score file Evaluate.py wrote (dataset_processed_score.json)",
        )


def _judge_reply(record: RawRecord) -> str | None:
    reply = record.data.get(JUDGEMENT_FIELD)
    if reply is not None and not isinstance(reply, str):
        raise record.where.error(
            f"expected the judge's reply as text, found {type_name(reply)}",
            field=JUDGEMENT_FIELD,
        )
    return reply


def _verdict(entry: _Entry, judged: _JudgedBy) -> Verdict:
    """The question's score as Evaluate.py recorded it, as an imported Verdict."""
    reply = _judge_reply(entry.record)
    score, reason = _score(entry.record)
    return Verdict(
        run_id=judged.run_id,
        item_id=entry.item.item_id,
        sample=0,
        judge=judged.judge,
        judge_run=judged.judge_run,
        rubric_id=IMPORTED_RUBRIC_ID,
        rubric_version=IMPORTED_RUBRIC_VERSION,
        prompt_hash=IMPORTED_PROMPT_HASH,
        status="scored" if score is not None else "unscored",
        output=None,
        judge_score=score,
        final_score=score,
        unscored_reason=reason,
        raw_reply=reply,
        created_at=judged.created_at,
    )


# ---------------------------------------------------------------------------------------
# Reading the file


@dataclass(frozen=True)
class _Entry:
    """One question of the file, in file order: the Item and the raw JSON object."""

    item: Item
    record: RawRecord
    category_key: str
    #: groupCode as Answer.py keys its history: str(groupCode).
    group: str


def _read(path: Path) -> tuple[Benchmark, list[_Entry]]:
    """The file loaded as LLMEval-Med (every dataset check applies), and its questions in
    file order, each with its Item."""
    benchmark = load_llmeval_med(path)
    items = {item.item_id: item for item in benchmark.items}
    text = read_text(path)
    data = parse_json(path, text)
    lines = member_element_lines(text)
    entries = []
    for key, values in data.items():  # the loader has checked keys and list shapes
        code = CATEGORY_CODES[key]
        key_lines = lines.get(key, [])
        for index, value in enumerate(values, start=1):
            where = Where(
                path,
                anchor=f"{code}-item-{index}",
                line=key_lines[index - 1] if index <= len(key_lines) else None,
                item=f"{code} #{index} (category {key})",
            )
            record = as_record(where, value)
            group, round_ = record.data["groupCode"], record.data["round"]
            item_id = f"{code}-{str(group).strip()}-{round_}"  # the loader's id scheme
            item = items.get(item_id)
            if item is None:
                raise where.error(
                    f"question {item_id} was not found among the loaded questions",
                    field="groupCode",
                    hint="this is a medjudge bug; please report it with the file",
                )
            where = where.named(f"{item_id} (category {key}, groupCode {group})")
            entries.append(
                _Entry(item, RawRecord(where, record.data), category_key=key, group=str(group))
            )
    return benchmark, entries


def _required_text(record: RawRecord, field: str, script: str) -> str:
    if field not in record.data:
        raise record.where.error(
            "required field is missing",
            field=field,
            hint=f"give the file {script} wrote, where every question has '{field}'",
        )
    value = record.data[field]
    if not isinstance(value, str):
        raise record.where.error(
            f"expected text, found {type_name(value)}",
            field=field,
            hint="the model's reply must be a JSON string",
        )
    return value


def _check_same_answer(entry: _Entry, texts: dict[str, str | None], run_id: str) -> None:
    item_id = entry.item.item_id
    if item_id not in texts:
        raise entry.record.where.error(
            f"run {run_id} has no answer to this question",
            hint="import the answers this score file judged, and use their run id",
        )
    if _required_text(entry.record, ANSWER_FIELD, "Evaluate.py") != texts[item_id]:
        raise entry.record.where.error(
            f"the judged answer differs from run {run_id}'s answer to this question",
            field=ANSWER_FIELD,
            hint="this score file judged other answers; import those answers first",
        )


def _score(record: RawRecord) -> tuple[int | None, str | None]:
    """The score, or None and why there is none. Types that no score can have raise."""
    value = record.data[SCORE_FIELD]  # NaN has already been read as None
    if value is None:
        return None, "no score recorded (model_answer_score is null)"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise record.where.error(
            f"expected a score as text or a number, found {type_name(value)}",
            field=SCORE_FIELD,
            hint='Evaluate.py writes the score as text such as "4"',
        )
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "no judge reply: Evaluate.py records an empty score when the call failed"
        if _INTEGER.fullmatch(text):
            value = int(text)
        else:
            try:
                value = float(text)
            except ValueError:
                return None, f"unreadable score {value!r}"
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None, f"score {value!r} is not a whole number on the 1-5 scale"
        value = int(value)
    if value == -1:
        return None, 'Evaluate.py found no "[n]" score in the judge\'s reply (recorded -1)'
    if value not in _SCALE:
        return None, f"score {value} is outside the 1-5 scale"
    return value, None


def _run(
    benchmark: Benchmark,
    model: str,
    sampling: SamplingConfig,
    answers: list[tuple[str, str, tuple[Message, ...]]],
) -> Run:
    key = json.dumps(
        {
            "import": "llmeval-med Answer.py",
            "model": model,
            "answers": [[item_id, text] for item_id, text, _ in answers],
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return Run(
        run_id=run_id_for(key),
        model=model,
        benchmark=BENCHMARK_NAME,
        benchmark_path=benchmark.path,
        benchmark_sha256=benchmark.sha256,
        samples=1,
        sampling=sampling,
        created_at=utc_now(),
        medjudge_version=__version__,
    )
