"""A run and its conversations: which run these settings make (its id), and the messages
each turn is asked with — the conversation so far, with the model's own earlier answers.
Pure functions of records; `answering.answer` schedules and stores what they describe."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from medjudge import __version__
from medjudge.answering.prompts import DEFAULT_PROMPT, render_system, render_user
from medjudge.records import Item, Message, PromptConfig, Run, SamplingConfig
from medjudge.store import utc_now

__all__ = [
    "build_messages",
    "conversations",
    "dataset_fingerprint",
    "item_prompt",
    "plan_run",
    "run_id_for",
]


def item_prompt(item: Item, template: str = "default") -> str:
    """The user message for one item: the stem, and for MCQs the options and an instruction
    (worded as `template` says; `medjudge.answering.prompts.TEMPLATES` lists them)."""
    return render_user(item, template)


def build_messages(
    turns: Sequence[Item],
    earlier_answers: Sequence[str],
    prompt: PromptConfig = DEFAULT_PROMPT,
) -> tuple[Message, ...]:
    """Messages for the last of `turns`, with every earlier turn and the model's own answer;
    first the system message `prompt` gives the conversation, if any."""
    if len(earlier_answers) != len(turns) - 1:
        raise ValueError("need exactly one earlier answer per earlier turn")
    messages: list[Message] = []
    system = render_system(turns[0], prompt)
    if system is not None:
        messages.append(Message(role="system", content=system))
    for turn, answer in zip(turns[:-1], earlier_answers, strict=True):
        messages.append(Message(role="user", content=item_prompt(turn, prompt.template)))
        messages.append(Message(role="assistant", content=answer))
    messages.append(Message(role="user", content=item_prompt(turns[-1], prompt.template)))
    return tuple(messages)


def conversations(items: Sequence[Item]) -> list[tuple[Item, ...]]:
    """Group items into conversations (first-seen order), turns ordered by `turn`."""
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.conversation_id, []).append(item)
    return [tuple(sorted(turns, key=lambda it: it.turn)) for turns in grouped.values()]


def dataset_fingerprint(items: Sequence[Item]) -> str:
    canonical = json.dumps([item.model_dump(mode="json") for item in items], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_id_for(key: str) -> str:
    """A run's id: the first 12 hex digits of the sha256 of `key`, the JSON text of what makes
    the run (its settings, or an import's source and replies). The same key always gives the
    same id, so running or importing the same thing again resumes it. Every run id comes from
    here; a caller must keep its key text as it is, or stores made before stop resuming."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def plan_run(
    *,
    model: str,
    benchmark: str,
    benchmark_path: str,
    benchmark_sha256: str,
    items: Sequence[Item],
    sampling: SamplingConfig,
    samples: int,
    prompt: PromptConfig = DEFAULT_PROMPT,
) -> Run:
    """The run these settings describe. The same settings always give the same run id, so
    running the same command again resumes it. The prompt settings enter the id only where
    they differ from the defaults: a run made before they existed keeps its id."""
    settings: dict = {
        "model": model,
        "dataset": dataset_fingerprint(items),
        "samples": samples,
        "sampling": sampling.model_dump(mode="json"),
    }
    if not prompt.is_default:
        settings["prompt"] = prompt.id_key()
    key = json.dumps(settings, sort_keys=True)
    return Run(
        run_id=run_id_for(key),
        model=model,
        benchmark=benchmark,
        benchmark_path=benchmark_path,
        benchmark_sha256=benchmark_sha256,
        samples=samples,
        sampling=sampling,
        created_at=utc_now(),
        medjudge_version=__version__,
        prompt=prompt,
    )
