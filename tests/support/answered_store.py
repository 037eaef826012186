"""A store holding the LLMEval-Med sample's first conversation (MK-1, three open turns), or
all its open items, answered by `engine` under `model`: what grading tests start from."""

from __future__ import annotations

from pathlib import Path

from medjudge.answering import answer_items, plan_run
from medjudge.benchmarks import load
from medjudge.records import SamplingConfig
from medjudge.store import Store


def answered_first_conversation(
    path: Path, model: str, engine, *, samples: int = 1, every_open_item: bool = False
) -> Path:
    bench = load("sample:llmeval-med")
    items = [i for i in bench.items
             if (i.kind == "open" if every_open_item else i.conversation_id == "MK-1")]
    run = plan_run(
        model=model,
        benchmark=bench.name,
        benchmark_path=bench.path,
        benchmark_sha256=bench.sha256,
        items=items,
        sampling=SamplingConfig(),
        samples=samples,
    )
    with Store(path) as store:
        store.add_items("d", items)
        store.add_run(run, "d")
        answer_items(items, engine, run=run, store=store)
    return path
