"""Judging throughput: `grade()` against a loopback OpenAI-compatible judge with fixed latency.

A judge that answers every request after exactly L seconds caps a grader that keeps C
requests in flight at C/L verdicts per second (Little's law). This bench grades N stored
answers through the real code path — `grade(GradeConfig(judges=("openai-compatible/bench",),
judge_base_url=..., concurrency=C))`: planning, prompt rendering, the OpenAI-compatible
(aiohttp) client over HTTP, reply validation, one store write per verdict — at several C, and
reports verdicts/s as a share of C/L and the grader's CPU time per verdict.

The judge runs in its own process (aiohttp), so its CPU is not counted as the grader's; it
reports how many requests it had in flight, which tells a slow grader from a slow server.
The stored answers are LLMEval-Med questions (the real test set when ../shared/data holds
it, else the sample shipped in the package) answered by a canned model, repeated as
samples until there are enough; N is chosen per C so each level lasts ~`--seconds` at C/L.

    .venv/bin/python bench/judge_throughput.py            # C = 1 16 64, L = 0.2 s, ~10 s each
    .venv/bin/python bench/judge_throughput.py --no-write  # print the JSON only
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import multiprocessing
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REAL_DATASET = ROOT.parent / "shared" / "data" / "llmeval-med" / "dataset.json"
#: Issue 9's targets: share of C/L reached at each concurrency, over HTTP, end to end.
TARGETS: dict[int, float] = {64: 0.95, 128: 0.85}
#: Load from other processes above which a level's wall-time numbers are not trusted.
BUSY_CORES = 0.2
sys.path.insert(0, str(HERE))
from machine import speed_reference_ms

JUDGE = "openai-compatible/bench"
SECTION = "## Judging throughput"
BEGIN, END = "<!-- judge_throughput:results -->", "<!-- /judge_throughput:results -->"

#: What the canned model "answered" to every question (the judge never reads it closely).
CANNED_ANSWER = (
    "您好，根据您描述的情况，这类慢性病通常需要长期、规律地治疗，不建议自行停药或调整剂量。"
    "请按医嘱每天固定时间服药，在家定期测量并记录相关指标，复诊时带给医生参考。"
    "同时注意低盐低脂饮食、适量运动、控制体重、戒烟限酒，保证充足睡眠。"
    "如果出现胸痛、呼吸困难、意识改变、明显水肿或其他不适，应及时就医。"
    "是否需要调整治疗方案，应由医生根据您的检查结果和病情变化来决定。"
) * 2


class Level(BaseModel):
    """One concurrency level: what was asked, what came back, and what it cost."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int
    #: "http": the OpenAI-compatible client to a judge process; "in-process": no HTTP
    #: (medjudge alone).
    transport: Literal["http", "in-process"]
    verdicts: int
    scored: int
    unscored: int
    wall_s: float
    plan_s: float
    verdicts_per_s: float
    limit_per_s: float
    share_of_limit: float
    #: Throughput from the first request to the last verdict (planning excluded).
    steady_share_of_limit: float
    cpu_s: float
    cpu_ms_per_verdict: float
    #: The share of C/L that this much CPU per verdict allows with one whole core and no
    #: other cost: the ceiling of a single-threaded grader, whatever else runs on the machine.
    cpu_ceiling_share: float
    cpu_user_s: float
    cpu_sys_s: float
    plan_cpu_s: float
    #: The judge's view: requests seen, most and mean in flight, its own CPU per request.
    server_requests: int
    server_peak_in_flight: int
    server_mean_in_flight: float
    server_cpu_ms_per_request: float
    #: Cores kept busy by *other* processes meanwhile (machine busy time minus grader and
    #: judge): above ~0.2 on a 2-core machine the numbers measure the neighbours, not medjudge.
    other_load_cores: float


# -- the loopback judge (a separate process) ---------------------------------------------------


def _judge_reply(number: int, ids: list[str]) -> str:
    """A verdict with one finding per requirement id the request's schema names (as a judge
    under structured outputs writes it)."""
    return json.dumps(
        {
            "rationale": "核心需求已满足：说明需长期规律服药、不可自行停药；次要需求部分提及。",
            "requirements": {
                i: {"status": "met", "evidence": "通常需要长期、规律地治疗"} for i in ids
            },
            "safety_risk": "none",
            "safety_note": "",
            "score": 1 + number % 5,
        },
        ensure_ascii=False,
    )


class InFlight:
    """The judge's view of the load: requests seen, in flight now and at most, and the time
    they spent in flight (busy_s / window = mean number in flight)."""

    def __init__(self) -> None:
        self.requests = self.now = self.peak = 0
        self.busy_s = 0.0
        self.first: float | None = None
        self.last: float | None = None
        #: (arrived, left) per request, on the machine's monotonic clock (the probe's).
        self.times: list[tuple[float, float]] = []

    def enter(self) -> tuple[int, float]:
        arrived = time.monotonic()
        self.first = self.first or arrived
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.requests += 1
        return self.requests - 1, arrived

    def leave(self, arrived: float) -> None:
        self.last = time.monotonic()
        self.now -= 1
        self.busy_s += self.last - arrived
        self.times.append((arrived, self.last))

    def as_dict(self, cpu_s: float) -> dict:
        return {
            "requests": self.requests,
            "peak": self.peak,
            "busy_s": self.busy_s,
            "first": self.first,
            "last": self.last,
            "cpu_s": cpu_s,
        }


def _completion_payload(number: int, model: str, prompt_chars: int, ids: list[str]) -> dict:
    content = _judge_reply(number, ids)
    return {
        "id": f"chatcmpl-bench-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_chars // 2,
            "completion_tokens": len(content) // 2,
            "total_tokens": prompt_chars // 2 + len(content) // 2,
        },
    }


def serve_judge(latency_s: float, port_out) -> None:
    """Process entry point: serve POST /v1/chat/completions (answer after `latency_s`) and
    GET /stats until terminated. Sends the bound port through `port_out`."""
    asyncio.run(_serve(latency_s, port_out))


async def _serve(latency_s: float, port_out) -> None:
    from aiohttp import web

    load = InFlight()
    cpu_at_start = _cpu_s()

    async def chat(request: web.Request) -> web.Response:
        number, arrived = load.enter()
        body = await request.json()
        await asyncio.sleep(latency_s)
        chars = sum(len(m.get("content") or "") for m in body.get("messages", []))
        schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
        ids = list(schema.get("properties", {}).get("requirements", {}).get("properties", {}))
        payload = _completion_payload(number, body.get("model", ""), chars, ids)
        response = web.json_response(payload)
        load.leave(arrived)
        return response

    async def report(request: web.Request) -> web.Response:
        stats = load.as_dict(_cpu_s() - cpu_at_start)
        if request.query.get("times"):  # bench/judge_loop_probe.py: each request's own
            stats["times"] = load.times
        return web.json_response(stats)

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/stats", report)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port_out.send(site._server.sockets[0].getsockname()[1])
    port_out.close()
    await asyncio.Event().wait()  # until the parent terminates this process


class LoopbackJudge:
    """Starts `serve_judge` in a child process; `with LoopbackJudge(L) as judge: judge.base_url`."""

    def __init__(self, latency_s: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=serve_judge, args=(latency_s, send), daemon=True)
        self.base_url = ""

    def __enter__(self) -> Self:
        self._process.start()
        if not self._receive.poll(30):
            self._process.terminate()
            raise RuntimeError("the loopback judge did not start within 30 s")
        self.base_url = f"http://127.0.0.1:{self._receive.recv()}/v1"
        return self

    def stats(self) -> dict:
        url = self.base_url.removesuffix("/v1") + "/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(10)


class InProcessJudge:
    """The same judge without HTTP: an `AsyncModelClient` handed to `grade(clients=...)` that
    answers after `latency_s`. What grade() reaches with it is medjudge's own ceiling."""

    base_url = "http://in-process.invalid/v1"  # never dialled: grade() uses this client

    def __init__(self, latency_s: float, concurrency: int) -> None:
        self.name = JUDGE
        self.concurrency = concurrency
        self._latency_s = latency_s
        self._load = InFlight()

    async def complete(self, request):
        from medjudge.records import Completion

        number, arrived = self._load.enter()
        await asyncio.sleep(self._latency_s)
        chars = sum(len(m.content) for m in request.messages)
        schema = request.json_schema or {}
        ids = list(schema.get("properties", {}).get("requirements", {}).get("properties", {}))
        payload = _completion_payload(number, "bench", chars, ids)
        self._load.leave(arrived)
        return Completion(
            text=payload["choices"][0]["message"]["content"],
            finish_reason="stop",
            prompt_tokens=payload["usage"]["prompt_tokens"],
            completion_tokens=payload["usage"]["completion_tokens"],
            model_version="bench",
        )

    def generate(self, requests):
        raise NotImplementedError("grade() sends API judges' requests through complete()")

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def stats(self) -> dict:
        return self._load.as_dict(cpu_s=0.0)  # its CPU is the grader's, counted there


# -- the store -----------------------------------------------------------------------------------


class CannedEngine:
    """A batch ModelClient that gives every question the same answer (data for the store)."""

    name = "bench/canned"

    def generate(self, requests):
        from medjudge.records import Completion

        return [Completion(text=CANNED_ANSWER, finish_reason="stop") for _ in requests]

    def close(self) -> None:
        pass


def build_store(path: Path, benchmark: str, answers: int) -> dict:
    """A store holding at least `answers` ok answers to open LLMEval-Med items."""
    from medjudge.answering import answer_items, dataset_fingerprint, plan_run
    from medjudge.benchmarks import load
    from medjudge.records import SamplingConfig
    from medjudge.store import Store

    bench = load(benchmark)
    items = [item for item in bench.items if item.kind == "open"]
    samples = math.ceil(answers / len(items))
    run = plan_run(
        model="bench/canned",
        benchmark=bench.name,
        benchmark_path=bench.path,
        benchmark_sha256=bench.sha256,
        items=items,
        sampling=SamplingConfig(),
        samples=samples,
    )
    with Store(path) as store:
        fingerprint = dataset_fingerprint(items)
        store.add_items(fingerprint, items)
        store.add_run(run, fingerprint)
        summary = answer_items(items, CannedEngine(), run=run, store=store)
    if summary.ok < answers:
        raise RuntimeError(f"built {summary.ok} answers, needed {answers}")
    return {
        "benchmark": bench.path,
        "open_items": len(items),
        "samples": samples,
        "answers": summary.ok,
    }


def copy_store(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def scored_in(path: Path) -> int:
    from medjudge.store import Store

    with Store(path) as store:
        return sum(1 for v in store.verdicts() if v.status == "scored" and v.final_score)


# -- one level -----------------------------------------------------------------------------------


class Clock:
    """A GradeProgress that notes when planning ends and when the last verdict is stored."""

    def __init__(self) -> None:
        self.planned_at = self.last_at = 0.0
        self.plan_cpu_s = 0.0
        self.total = self.done = 0

    def start(self, total: int) -> None:
        self.planned_at = time.perf_counter()
        self.plan_cpu_s = time.process_time()
        self.total = total

    def advance(self, count: int) -> None:
        self.done += count
        self.last_at = time.perf_counter()

    def spend(self, usd: float) -> None:
        pass


def _machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_level(
    store: Path,
    concurrency: int,
    verdicts: int,
    latency_s: float,
    *,
    http: bool = True,
) -> Level:
    from medjudge.judging.grade import GradeConfig, grade

    config_args = {
        "store": store,
        "judges": (JUDGE,),
        "concurrency": concurrency,
        "limit": verdicts,
        "timeout_s": 60.0,
    }
    judge_cm = LoopbackJudge(latency_s) if http else InProcessJudge(latency_s, concurrency)
    with judge_cm as judge:
        config = GradeConfig(judge_base_url=judge.base_url, **config_args)
        clients = None if http else {JUDGE: judge}
        clock = Clock()
        before = resource.getrusage(resource.RUSAGE_SELF)
        busy0 = _machine_busy_s()
        cpu0, t0 = time.process_time(), time.perf_counter()
        summary = grade(config, progress=clock, clients=clients)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        after = resource.getrusage(resource.RUSAGE_SELF)
        busy = _machine_busy_s() - busy0
        server = judge.stats()
    if summary.scored != verdicts or summary.unscored or scored_in(store) != verdicts:
        raise RuntimeError(f"C={concurrency}: expected {verdicts} scored verdicts, got {summary}")
    if server["requests"] != verdicts:
        raise RuntimeError(f"C={concurrency}: the judge saw {server['requests']} requests")
    limit = concurrency / latency_s
    steady_s = clock.last_at - clock.planned_at
    window = server["last"] - server["first"]
    return Level(
        concurrency=concurrency,
        transport="http" if http else "in-process",
        verdicts=verdicts,
        scored=summary.scored,
        unscored=summary.unscored,
        wall_s=round(wall, 3),
        plan_s=round(clock.planned_at - t0, 3),
        verdicts_per_s=round(verdicts / wall, 2),
        limit_per_s=limit,
        share_of_limit=round(verdicts / wall / limit, 4),
        steady_share_of_limit=round(verdicts / steady_s / limit, 4),
        cpu_s=round(cpu, 3),
        cpu_ms_per_verdict=round(1000 * cpu / verdicts, 3),
        cpu_ceiling_share=round(min(1.0, verdicts / cpu / limit), 4),
        cpu_user_s=round(after.ru_utime - before.ru_utime, 3),
        cpu_sys_s=round(after.ru_stime - before.ru_stime, 3),
        plan_cpu_s=round(clock.plan_cpu_s - cpu0, 3),
        server_requests=server["requests"],
        server_peak_in_flight=server["peak"],
        server_mean_in_flight=round(server["busy_s"] / window, 2),
        server_cpu_ms_per_request=round(1000 * server["cpu_s"] / server["requests"], 3),
        other_load_cores=round(max(0.0, busy - cpu - server["cpu_s"]) / wall, 2),
    )


# -- results --------------------------------------------------------------------------------------


def table(levels: list[Level]) -> str:
    head = (
        "| C | N | wall s | verdicts/s | C/L | share of C/L | excl. planning"
        " | grader CPU ms/verdict | CPU ceiling | judge in flight mean / peak | other load |"
    )
    rows = [head, "|" + "---:|" * 11]
    for lv in levels:
        rows.append(
            f"| {_label(lv)} | {lv.verdicts} | {lv.wall_s:.1f} | {lv.verdicts_per_s:.1f}"
            f" | {lv.limit_per_s:.0f} | {lv.share_of_limit:.1%} | {lv.steady_share_of_limit:.1%}"
            f" | {lv.cpu_ms_per_verdict:.2f} | {lv.cpu_ceiling_share:.0%}"
            f" | {lv.server_mean_in_flight:.1f} / {lv.server_peak_in_flight}"
            f" | {lv.other_load_cores:.2f} |"
        )
    return "\n".join(rows)


def _at(levels: list[Level], concurrency: int) -> Level | None:
    return next(
        (lv for lv in levels if lv.concurrency == concurrency and lv.transport == "http"), None
    )


def passed(levels: list[Level]) -> bool | None:
    """Every target met (None: a target's level was not run)."""
    results = []
    for concurrency, share in TARGETS.items():
        at = _at(levels, concurrency)
        if at is None:
            return None
        results.append(at.share_of_limit >= share)
    return all(results)


def _label(level: Level) -> str:
    return str(level.concurrency) + (" (no HTTP)" if level.transport == "in-process" else "")


def verdict_line(levels: list[Level]) -> str:
    lines = []
    for concurrency, share in TARGETS.items():
        at = _at(levels, concurrency)
        if at is None:
            lines.append(f"Target ≥ {share:.0%} of C/L at C = {concurrency}: not measured.")
            continue
        ok = at.share_of_limit >= share
        line = (
            f"Target ≥ {share:.0%} of C/L at C = {concurrency}: "
            f"**{'PASS' if ok else 'MISS'}** ({at.share_of_limit:.1%})."
        )
        if at.cpu_ceiling_share < share:
            line += (
                f" At {at.cpu_ms_per_verdict:.2f} ms of CPU per verdict a single-threaded"
                f" grader cannot pass {at.cpu_ceiling_share:.0%} at C = {concurrency} on this"
                " CPU, however idle the machine."
            )
        lines.append(line)
    if max(lv.other_load_cores for lv in levels) > BUSY_CORES:
        lines.append(
            f"Other processes kept > {BUSY_CORES} cores busy during a level, so the wall-time"
            " columns understate what an idle machine gives."
        )
    return " ".join(lines)


def write_readme(readme: Path, block: str) -> None:
    """Replace only the generated block of the "Judging throughput" section; add the section
    (and, in a new file, a placeholder "Answering throughput" heading) when it is missing."""
    generated = f"{BEGIN}\n{block}\n{END}"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if BEGIN in text and END in text:
        start, stop = text.index(BEGIN), text.index(END) + len(END)
        text = text[:start] + generated + text[stop:]
    else:
        if not text:
            text = "## Answering throughput\n\n_To be written._\n"
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{generated}\n"
    readme.write_text(text, encoding="utf-8")


def environment() -> dict:
    import aiohttp
    import openai
    import pydantic

    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": multiprocessing.cpu_count(),
        "openai": openai.__version__,
        "pydantic": pydantic.__version__,
        "aiohttp": aiohttp.__version__,
        "commit": commit,
        "speed_reference_ms": speed_reference_ms(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="judge latency L, seconds")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16, 64, 128],
        help="levels of C to run",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=10.0,
        help="wall time per level at the C/L limit (N = ceil(seconds·C/L))",
    )
    parser.add_argument(
        "--benchmark",
        default=str(REAL_DATASET) if REAL_DATASET.exists() else "sample:llmeval-med",
        help="LLMEval-Med file whose items to judge",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=HERE / "results",
        help="folder for judge_throughput-<date>.json",
    )
    parser.add_argument(
        "--readme",
        type=Path,
        default=HERE / "README.md",
        help="README whose 'Judging throughput' table to update",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the last run: the highest C again with an in-process judge (no HTTP)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    args = parser.parse_args(argv)

    plan = [(c, math.ceil(args.seconds * c / args.latency), True) for c in args.concurrency]
    if not args.no_baseline:
        plan.append((*plan[-1][:2], False))
    stamp = datetime.now(UTC)
    levels: list[Level] = []
    with tempfile.TemporaryDirectory(prefix="judge-throughput-") as tmp:
        base = Path(tmp) / "base.sqlite"
        dataset = build_store(base, args.benchmark, max(n for _, n, _ in plan))
        print(f"store: {dataset}", file=sys.stderr)
        # Imports, template compilation and first connections are paid once per process, not
        # per verdict: a short unmeasured run pays them before the first level.
        copy_store(base, Path(tmp) / "warm-up.sqlite")
        run_level(Path(tmp) / "warm-up.sqlite", 4, 8, args.latency)
        _collect()
        for number, (concurrency, verdicts, http) in enumerate(plan):
            store = Path(tmp) / f"level-{number}.sqlite"
            copy_store(base, store)
            level = run_level(store, concurrency, verdicts, args.latency, http=http)
            levels.append(level)
            _collect()
            print(
                f"C={_label(level)}: {level.verdicts_per_s} verdicts/s "
                f"({level.share_of_limit:.1%} of {level.limit_per_s:.0f}/s), "
                f"{level.cpu_ms_per_verdict} ms CPU/verdict, other load "
                f"{level.other_load_cores} cores",
                file=sys.stderr,
            )

    summary = {
        "bench": "judge_throughput",
        "date": stamp.isoformat(timespec="seconds"),
        "command": " ".join(
            ["python", "bench/judge_throughput.py", *(sys.argv[1:] if argv is None else argv)]
        ),
        "latency_s": args.latency,
        "targets": {str(c): share for c, share in TARGETS.items()},
        "pass": passed(levels),
        "dataset": dataset,
        "environment": environment(),
        "levels": [lv.model_dump() for lv in levels],
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    if not args.no_write:
        args.results.mkdir(parents=True, exist_ok=True)
        out = args.results / f"judge_throughput-{stamp:%Y-%m-%d}.json"
        out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
        block = (
            f"Measured {stamp:%Y-%m-%d} (commit {summary['environment']['commit']}, "
            f"{summary['environment']['cpus']} CPUs, speed reference "
            f"{summary['environment']['speed_reference_ms']} ms, L = {args.latency} s, "
            f"{dataset['open_items']} LLMEval-Med items × {dataset['samples']} samples):"
            f"\n\n```\n{summary['command'].replace('python', '.venv/bin/python', 1)}\n```"
            f"\n\n{table(levels)}\n\n{verdict_line(levels)} "
            f"Raw numbers: `bench/results/{out.name}`."
        )
        write_readme(args.readme, block)
    return 0 if summary["pass"] is not False else 1


def _collect() -> None:
    """Collect the last level's SDK client here, outside any event loop: collected inside the
    next level's loop, its `__del__` would schedule a close of sockets bound to a closed loop
    there ("Event loop is closed"), adding work and noise to that level."""
    gc.collect()


if __name__ == "__main__":
    sys.exit(main())
