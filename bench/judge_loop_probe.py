"""Where a grading's event loop spends its time: one `judge_throughput` level, instrumented.

Runs the same level as `bench/judge_throughput.py` (real `grade()`, the loopback judge process
over HTTP) with timers wrapped around the steps a reply goes through, and prints:

- every event-loop callback's duration (a callback that runs long keeps every reply that
  arrived meanwhile waiting): count, total, p50 / p99 / max, and the longest ones;
- each store write (`save_verdicts`, `record_spend`) on the event loop's thread: count,
  verdicts per call, ms per call;
- the first render of each prompt and each `ChatRequest` build;
- the slot gap: from a request's reply (`complete()` returning) to the next request the freed
  slot sends (the k-th reply frees the slot the (k+C)-th request takes);
- where the time beyond L goes inside `complete()`, per request on the machine's one
  monotonic clock: to the judge's handler (and, of that, the wait for aiohttp's body-writer
  task, which on Python < 3.12 is not started eagerly), in the judge, and back.

The wrappers add their own cost (a timer per callback), so read the shares, not the
throughput. A probe, not a benchmark: it writes no file.

    .venv/bin/python bench/judge_loop_probe.py --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import importlib
import math
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import judge_throughput as jt  # the bench beside this file


class Timings:
    def __init__(self) -> None:
        self.on = False
        self.callbacks: list[tuple[float, str | None]] = []
        #: The loop thread's CPU in each callback: wall minus this is time the OS ran others.
        self.callback_cpu: list[float] = []
        self.started = 0.0
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.sizes: dict[str, list[int]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.entered: list[float] = []
        #: Each `complete()` from call to return: the judge's latency plus HTTP both ways.
        self.durations: list[float] = []
        self.returned: list[float] = []
        self.loop_thread: int | None = None
        #: The judge's number for a request -> (sent, reply read), and per number the
        #: judge's (arrived, left): where the time beyond L goes, on one clock.
        self.sends: dict[int, tuple[float, float]] = {}
        self.server_times: list[tuple[float, float]] = []
        #: From `_send` called to aiohttp's body-writing task starting (the request leaving).
        self.body_waits: list[float] = []


T = Timings()
#: The request the current task is sending (its stamps), seen by the body writer's task.
SENDING: contextvars.ContextVar[dict[str, float]] = contextvars.ContextVar("sending")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def install() -> None:
    """Wrap the loop's callbacks and the grading steps with timers (this process only)."""
    from medjudge.judging import jobs, runner
    from medjudge.models.api_client import ApiChatClient
    from medjudge.store.db import Store
    from medjudge.store.spend_queries import SpendQueries

    handle_run = asyncio.events.Handle._run

    def timed_run(self):
        if not T.on:
            return handle_run(self)
        start, cpu = time.perf_counter(), time.thread_time()
        try:
            return handle_run(self)
        finally:
            spent = time.perf_counter() - start
            # Name only the long ones: a repr per callback would cost more than most of them.
            T.callbacks.append((spent, repr(self._callback)[:90] if spent > 0.002 else None))
            T.callback_cpu.append(time.thread_time() - cpu)

    asyncio.events.Handle._run = timed_run

    def timer(owner, name: str, label: str, size=None) -> None:
        real = getattr(owner, name)

        def wrapped(*args, **kwargs):
            if not T.on:
                return real(*args, **kwargs)
            start, cpu = time.perf_counter(), time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                where = "" if threading.get_ident() == T.loop_thread else " (other thread)"
                T.calls[label + where].append(time.perf_counter() - start)
                T.cpu[label + where].append(time.thread_time() - cpu)
                if size is not None:
                    T.sizes[label + where].append(size(*args, **kwargs))

        setattr(owner, name, wrapped)

    timer(Store, "save_verdicts", "store.save_verdicts", lambda self, v, **k: len(list(v)))
    timer(SpendQueries, "record_spend", "store.record_spend")
    timer(jobs, "render_judge_prompt", "render_judge_prompt (first use of a prompt)")
    timer(runner.JudgeRunner, "request", "JudgeRunner.request")
    timer(runner.JudgeRunner, "check", "JudgeRunner.check")
    timer(runner.JudgeRunner, "verdict", "JudgeRunner.verdict")
    timer(runner.JudgeRunner, "record", "JudgeRunner.record")

    grading = importlib.import_module("medjudge.judging.grade")  # the module, not grade()

    real_grade = grading.grade

    def timed_grade(*args, **kwargs):
        T.started = time.perf_counter()
        return real_grade(*args, **kwargs)

    grading.grade = timed_grade
    complete = ApiChatClient.complete

    async def timed_complete(self, request):
        T.loop_thread = threading.get_ident()
        entered = time.perf_counter()
        T.entered.append(entered)
        try:
            return await complete(self, request)
        finally:
            T.returned.append(time.perf_counter())
            T.durations.append(T.returned[-1] - entered)

    ApiChatClient.complete = timed_complete

    from medjudge.models.openai_compatible import OpenAICompatibleClient

    send = OpenAICompatibleClient._send

    async def timed_send(self, sdk, request):
        # time.monotonic: the clock the judge process stamps its requests with.
        stamps = {"started": time.monotonic()}
        SENDING.set(stamps)
        response = await send(self, sdk, request)
        number = int(str(response.get("id", "")).rsplit("-", 1)[-1] or -1)
        T.sends[number] = (stamps["started"], time.monotonic())
        if "body" in stamps:
            T.body_waits.append(stamps["body"] - stamps["started"])
        return response

    from aiohttp.client_reqrep import ClientRequest

    write_bytes = ClientRequest.write_bytes

    async def timed_write_bytes(self, *args, **kwargs):
        # aiohttp on Python < 3.12 writes the body (and the headers buffered with it) from a
        # task of its own: this is when it starts, i.e. when the request leaves.
        stamps = SENDING.get(None)
        if stamps is not None:
            stamps["body"] = time.monotonic()
        return await write_bytes(self, *args, **kwargs)

    ClientRequest.write_bytes = timed_write_bytes

    OpenAICompatibleClient._send = timed_send
    stats = jt.LoopbackJudge.stats

    def stats_with_times(self) -> dict:
        url = self.base_url.removesuffix("/v1") + "/stats?times=1"
        with jt.urllib.request.urlopen(url, timeout=10) as response:
            T.server_times = jt.json.load(response)["times"]
        return stats(self)

    jt.LoopbackJudge.stats = stats_with_times


def report(concurrency: int, wall_s: float, latency: float) -> None:
    durations = [d for d, _ in T.callbacks]
    print(f"\nevent-loop callbacks: {len(durations)}, {sum(durations):.3f} s busy of {wall_s:.2f} s"
          f" wall; p50 {1e3 * _percentile(durations, .5):.3f} ms, p99"
          f" {1e3 * _percentile(durations, .99):.3f} ms, max {1e3 * max(durations):.2f} ms;"
          f" > 1 ms: {sum(d > .001 for d in durations)}, > 5 ms: {sum(d > .005 for d in durations)}")
    cpu = T.callback_cpu
    print(f"  their CPU: {sum(cpu):.3f} s; p99 {1e3 * _percentile(cpu, .99):.3f} ms, max"
          f" {1e3 * max(cpu):.2f} ms; > 1 ms: {sum(c > .001 for c in cpu)}, > 5 ms:"
          f" {sum(c > .005 for c in cpu)} (wall beyond CPU: the OS ran other processes)")
    for spent, name in sorted(T.callbacks, key=lambda c: -c[0])[:5]:
        print(f"  {1e3 * spent:7.2f} ms  {name}")
    print("\nsteps (wall ms per call: mean / p99 / max, total s):")
    for label, values in sorted(T.calls.items()):
        sizes = T.sizes.get(label)
        extra = f", {statistics.mean(sizes):.1f} verdicts/call" if sizes else ""
        cpu = T.cpu[label]
        print(f"  {label}: {len(values)} calls{extra}; {1e3 * statistics.mean(values):.3f} /"
              f" {1e3 * _percentile(values, .99):.3f} / {1e3 * max(values):.2f} ms,"
              f" {sum(values):.3f} s; CPU {1e3 * statistics.mean(cpu):.3f} ms mean,"
              f" {sum(cpu):.3f} s")
    entered, returned = sorted(T.entered), sorted(T.returned)
    gaps = [entered[k + concurrency] - returned[k] for k in range(len(entered) - concurrency)]
    if gaps:
        lost = sum(gaps) / (len(gaps) * latency + sum(gaps))
        print(f"\nslot gap (reply returned -> the freed slot's next request): {len(gaps)} gaps,"
              f" mean {1e3 * statistics.mean(gaps):.2f} ms, p50 {1e3 * _percentile(gaps, .5):.2f},"
              f" p90 {1e3 * _percentile(gaps, .9):.2f}, p99 {1e3 * _percentile(gaps, .99):.2f},"
              f" max {1e3 * max(gaps):.2f} ms; ≈ {lost:.1%} of slot time")
        over = [d - latency for d in T.durations]
        print(f"complete() beyond L: mean {1e3 * statistics.mean(over):.2f} ms, p50"
              f" {1e3 * _percentile(over, .5):.2f}, p90 {1e3 * _percentile(over, .9):.2f}, p99"
              f" {1e3 * _percentile(over, .99):.2f} ms (HTTP both ways, the judge's own queue)")
        legs = [
            (arrived - sent, left - arrived - latency, read - left)
            for number, (arrived, left) in enumerate(T.server_times)
            if number in T.sends
            for sent, read in [T.sends[number]]
        ]
        if legs:
            for name, values in zip(("to the judge's handler", "in the judge beyond L",
                                     "back to the client"), zip(*legs, strict=True),
                                    strict=True):
                print(f"  {name}: mean {1e3 * statistics.mean(values):.2f} ms, p50"
                      f" {1e3 * _percentile(list(values), .5):.2f}, p90"
                      f" {1e3 * _percentile(list(values), .9):.2f} ms")
        if T.body_waits:
            waits = T.body_waits
            print(f"  of which the request waits for aiohttp's body-writer task: mean"
                  f" {1e3 * statistics.mean(waits):.2f} ms, p50 {1e3 * _percentile(waits, .5):.2f},"
                  f" p90 {1e3 * _percentile(waits, .9):.2f} ms ({len(waits)} requests)")
        inflight = sum(r - e for e, r in zip(sorted(T.entered), sorted(T.returned), strict=True))
        print(f"client-side mean in flight: {inflight / (returned[-1] - entered[0]):.1f}"
              f" of {concurrency}; first request {1e3 * (entered[0] - T.started):.0f} ms after"
              f" grade() was called, last reply {returned[-1] - T.started:.2f} s after")


def _unscored(store: Path) -> None:
    from medjudge.store import Store

    with Store(store) as db:
        for verdict in db.verdicts():
            if verdict.status != "scored":
                print(f"unscored: {verdict.unscored_reason} {verdict.raw_reply!r:.200}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--benchmark", default=str(jt.REAL_DATASET)
                        if jt.REAL_DATASET.exists() else "sample:llmeval-med")
    args = parser.parse_args()
    verdicts = math.ceil(args.seconds * args.concurrency / args.latency)
    install()
    with tempfile.TemporaryDirectory(prefix="judge-probe-") as tmp:
        base = Path(tmp) / "base.sqlite"
        jt.build_store(base, args.benchmark, verdicts)
        jt.copy_store(base, Path(tmp) / "warm.sqlite")
        jt.run_level(Path(tmp) / "warm.sqlite", 4, 8, args.latency)
        jt._collect()
        store = Path(tmp) / "level.sqlite"
        jt.copy_store(base, store)
        T.entered.clear()
        T.returned.clear()
        T.durations.clear()
        T.sends.clear()
        T.body_waits.clear()
        T.calls.clear()
        T.sizes.clear()
        T.cpu.clear()
        T.callbacks.clear()
        T.callback_cpu.clear()
        T.on = True
        try:
            level = jt.run_level(store, args.concurrency, verdicts, args.latency)
        finally:
            T.on = False
            _unscored(store)
    print(f"C={args.concurrency} N={verdicts}: {level.share_of_limit:.1%} of C/L"
          f" ({level.steady_share_of_limit:.1%} excl. planning {level.plan_s:.3f} s),"
          f" {level.cpu_ms_per_verdict:.2f} ms CPU/verdict, judge in flight"
          f" {level.server_mean_in_flight}, other load {level.other_load_cores} cores")
    report(args.concurrency, level.wall_s, args.latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
