"""Time to first request: how long `grade()` takes from its call to the judge's first
request, over N stored answers, against `judge_throughput`'s loopback judge (own process).

Both stamps are on the machine's monotonic clock (the judge process stamps each request as it
arrives). Also reported: the grader's CPU until `progress.start` (what a grading does
before it may send: planning, the passes), and the whole grading's wall and CPU time. The
store holds LLMEval-Med answers by a canned model, as in `judge_throughput`; a short
unmeasured grading first pays the imports.

    .venv/bin/python bench/first_request.py --answers 20000 --latency 0.05
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from judge_throughput import (
    JUDGE,
    REAL_DATASET,
    Clock,
    LoopbackJudge,
    build_store,
    copy_store,
    run_level,
)


def first_request(store: Path, answers: int, latency_s: float, concurrency: int) -> dict:
    from medjudge.judging.grade import GradeConfig, grade

    with LoopbackJudge(latency_s) as judge:
        config = GradeConfig(store=store, judges=(JUDGE,), judge_base_url=judge.base_url,
                             concurrency=concurrency, limit=answers, timeout_s=60.0)
        clock = Clock()
        cpu0, t0 = time.process_time(), time.monotonic()
        summary = grade(config, progress=clock)
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        server = judge.stats()
    if summary.scored != answers or server["requests"] != answers:
        raise RuntimeError(f"expected {answers} scored verdicts and requests: {summary}")
    return {
        "answers": answers,
        "concurrency": concurrency,
        "first_request_s": round(server["first"] - t0, 3),
        "cpu_before_start_s": round(clock.plan_cpu_s - cpu0, 3),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20000, help="answers to grade (N)")
    parser.add_argument("--latency", type=float, default=0.05, help="judge latency, seconds")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--benchmark", default=str(REAL_DATASET) if REAL_DATASET.exists()
                        else "sample:llmeval-med")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="first-request-") as tmp:
        base = Path(tmp) / "base.sqlite"
        build_store(base, args.benchmark, args.answers)
        copy_store(base, Path(tmp) / "warm-up.sqlite")
        run_level(Path(tmp) / "warm-up.sqlite", 4, 8, args.latency)
        copy_store(base, Path(tmp) / "measured.sqlite")
        result = first_request(Path(tmp) / "measured.sqlite", args.answers, args.latency,
                               args.concurrency)
    import medjudge

    result["medjudge"] = str(Path(medjudge.__file__).parent)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
