"""The spend ledger's cost: what recording a request's spend adds to the write of its answer,
and how long the aggregates `medjudge runs` / `medjudge report` read take on a large ledger.

    .venv/bin/python bench/spend_ledger.py [--rows 200000] [--writes 2000]

Writes a throw-away store under a temporary folder; prints one line per measurement.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from medjudge.records import Answer, Message, Run, SamplingConfig
from medjudge.store import Store
from medjudge.store.spend_rows import SpendEntry

NOW = "2026-12-02T00:00:00+00:00"


def _run(store: Store, run_id: str) -> None:
    store.add_run(
        Run(
            run_id=run_id,
            model="openai/gpt-4o",
            benchmark="b",
            benchmark_path="b.json",
            benchmark_sha256="0" * 64,
            samples=1,
            sampling=SamplingConfig(),
            created_at=NOW,
            medjudge_version="0",
        ),
        "d",
    )


def _answer(run_id: str, n: int) -> Answer:
    return Answer(
        run_id=run_id,
        item_id=f"q{n}",
        sample=0,
        status="ok",
        text="x",
        messages=(Message(role="user", content="q"),),
        prompt_tokens=1234,
        completion_tokens=567,
        created_at=NOW,
    )


def _entry(run_id: str, n: int, stage: str = "answer", model: str = "openai/gpt-4o"):
    return SpendEntry(
        request_key=f"{stage}:{run_id}:{n}",
        run_id=run_id,
        stage=stage,
        model=model,
        item_id=f"q{n}",
        sample=0,
        prompt_tokens=1234,
        completion_tokens=567,
        input_per_mtok=2.5,
        output_per_mtok=10.0,
        cost_usd=0.008755,
        created_at=NOW,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s.sqlite") as store:
        _run(store, "plain")
        _run(store, "ledger")
        # Interleaved, so both see the same WAL size and the same machine load.
        plain = with_spend = 0.0
        for n in range(args.writes):
            started = time.perf_counter()
            store.save_answers([_answer("plain", n)])
            plain += time.perf_counter() - started
            started = time.perf_counter()
            store.save_answers([_answer("ledger", n)], spend=[_entry("ledger", n)])
            with_spend += time.perf_counter() - started
        print(
            f"{args.writes} answers, one transaction each: {1e3 * plain / args.writes:.3f} ms"
            f" without spend, {1e3 * with_spend / args.writes:.3f} ms with its spend row"
            f" (+{100 * (with_spend / plain - 1):.0f} %)"
        )
        runs = [f"r{k}" for k in range(10)]
        for run_id in runs:
            _run(store, run_id)
        judges = ("openai/gpt-4o", "anthropic/claude-haiku-4-5", "openai/gpt-4o-mini")
        batch = []
        for n in range(args.rows):
            stage = "answer" if n % 4 == 0 else "grade"
            model = "openai/gpt-4o" if stage == "answer" else judges[n % 3]
            batch.append(_entry(runs[n % 10], n, stage, model))
            if len(batch) == 10_000:
                store.record_spend(batch)
                batch = []
        store.record_spend(batch)
        for label, query in (
            ("spend_tallies (every run)", lambda: store.spend_tallies()),
            ("spend_tallies (one run)", lambda: store.spend_tallies(["r3"])),
            (
                "spent_usd (10 runs, 3 judges)",
                lambda: store.spent_usd("grade", runs, {j: (2.5, 10.0) for j in judges}),
            ),
        ):
            started = time.perf_counter()
            for _ in range(5):
                query()
            print(
                f"{label} over {args.rows:,} ledger rows: "
                f"{1e3 * (time.perf_counter() - started) / 5:.1f} ms"
            )


if __name__ == "__main__":
    main()
