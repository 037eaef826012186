"""Answer throughput on LLMEval-Med: medjudge's waves vs one request at a time vs one flat batch.

    .venv/bin/python bench/answer_throughput.py                       # all modes, defaults
    .venv/bin/python bench/answer_throughput.py --chunk-size 64 256 1024 --overlong drop

One VllmClient (the embedded SmolLM2-135M, enforce_eager, the library's defaults) is started
once, warmed up, and shared by every mode, with one SamplingConfig (temperature 0,
--max-tokens):

- flat:   every selected item's own prompt (`item_prompt`) as a single user message, no
          history, all in ONE `client.generate` call: the "same turn-1 prompts as one flat
          batch" upper bound.
- waves:  `answer_items` into a fresh temporary SQLite store: the code path `medjudge answer`
          runs (waves by turn, `chunk_size` requests per `generate`, answers stored per chunk).
          Once per --chunk-size.
- serial: the same requests as waves, one `client.generate([request])` each, each turn asked
          with the history of this mode's own earlier answers. It is measured on an evenly
          spaced sample of conversations (--serial-limit requests) and its rates are
          extrapolated to the whole set.

--overlong: LLMEval-Med holds prompts longer than --max-model-len (4096, the library default).
VllmClient counts each prompt's tokens before a batch and fails such a request alone (older
versions reran the whole batch one request at a time). "keep" measures that as users get it;
"drop" leaves out every conversation that has a turn which may not fit.

The comparison with Hugging Face transformers one turn at a time, and `medjudge answer` end to
end, is bench/answer_vs_hf.py.

The JSON summary is printed and written to bench/results/answer_throughput-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from machine import machine
from proctree import TreeSampler, describe_tree

# Before anything imports huggingface_hub (vLLM does): it reads this once, at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
DEFAULT_DATASET = PROJECT.parent / "shared" / "data" / "llmeval-med" / "dataset.json"
RESULTS = BENCH / "results"
MODES = ("flat", "waves", "serial")
#: The issue's targets: waves tokens/s >= 8x serial, and >= 85 % of the flat batch's.
TARGET_WAVES_OVER_SERIAL = 8.0
TARGET_WAVES_OVER_FLAT = 0.85
#: answer_items' default chunk size: the waves run the ratios are computed from.
LIBRARY_CHUNK_SIZE = 256
_GIB = 1 << 30

logger = logging.getLogger("bench.answer_throughput")


@dataclass
class ModeResult:
    mode: str
    label: str
    requests: int
    ok: int
    failed: int
    rejected: int
    wall_s: float
    #: Seconds spent inside client.generate; the rest is medjudge's own work (store, requests).
    generate_s: float
    generate_calls: int
    #: Batches vLLM refused (an over-long prompt) that VllmClient reran one request at a time.
    fallback_batches: int
    prompt_tokens: int
    generated_tokens: int
    requests_per_s: float
    generated_tokens_per_s: float
    prompt_tokens_per_s: float
    #: CPU seconds of the whole process tree over wall seconds: 2.0 = both cores busy.
    cpu_busy_cores: float
    peak_rss_gib: float
    peak_pss_gib: float
    loadavg_before: tuple[float, float, float]
    loadavg_after: tuple[float, float, float]
    chunk_size: int | None = None
    #: Which engine start measured it (0, or more when a run was resumed with --resume).
    session: int = 0
    #: serial only: the measured sample was this many of `full_requests`; the rates are
    #: the sample's, and `extrapolated_wall_s` is full_requests / requests_per_s.
    full_requests: int | None = None
    extrapolated_wall_s: float | None = None
    #: serial only: (prompt tokens, generated tokens, seconds) of each request, and the
    #: least-squares fit seconds = per_request_s + per_prompt_token_s * prompt tokens.
    per_request: list[tuple[int, int, float]] | None = None
    cost_fit: dict | None = None
    notes: list[str] = field(default_factory=list)


class _RejectionCounter(logging.Handler):
    """Counts VllmClient's "rejected a batch ... running them one at a time" warnings."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("vLLM rejected a batch"):
            self.count += 1


class TimedClient:
    """A ModelClient in front of the real one: records each generate call's size and time.

    It has no `complete`, so answer_items treats it as a batch client (waves), as it does
    VllmClient. `close` does nothing: the bench closes the engine itself, once.
    """

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.calls: list[tuple[int, float]] = []

    def generate(self, requests):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        outputs = self.inner.generate(requests)
        self.calls.append((len(requests), time.perf_counter() - started))
        return outputs

    def close(self) -> None:
        pass


# -- selection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    items: list  # list[Item], in conversation order
    dropped_conversations: list[str]
    overlong_turn1: list[str]
    turn1_prompt_tokens: dict[str, int]


def select_items(items, tokenizer, *, max_model_len: int, max_tokens: int, drop: bool) -> Selection:  # type: ignore[no-untyped-def]
    """Find the conversations with a turn whose prompt may not fit, and drop them if asked.

    A turn's prompt is bounded by its chat-templated history with empty answers plus
    `max_tokens + 8` tokens per earlier answer (an answer re-tokenised in the history can
    take a few more tokens than were generated).
    """
    from medjudge.answering import build_messages, conversations, item_prompt

    def count(messages) -> int:  # type: ignore[no-untyped-def]
        text = tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=True,
            tokenize=False,
        )
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    from medjudge.records import Message

    turn1 = {i.item_id: count((Message(role="user", content=item_prompt(i)),)) for i in items}
    overlong_turn1 = [i for i, n in turn1.items() if n >= max_model_len]
    kept, dropped = [], []
    for turns in conversations(items):
        fits = True
        for index in range(len(turns)):
            bound = count(build_messages(turns[: index + 1], [""] * index))
            if bound + index * (max_tokens + 8) > max_model_len - max_tokens:
                fits = False
                break
        if fits or not drop:
            kept.extend(turns)
        else:
            dropped.append(turns[0].conversation_id)
    return Selection(kept, dropped, overlong_turn1, turn1)


def serial_sample(convs: Sequence[tuple], limit: int) -> list[tuple]:
    """Every k-th conversation, enough of them for `limit` requests (0: all)."""
    total = sum(len(c) for c in convs)
    if limit <= 0 or limit >= total:
        return list(convs)
    step = len(convs) / limit
    picked: list[tuple] = []
    requests = 0
    index = 0
    while requests < limit and int(index * step) < len(convs):
        conversation = convs[int(index * step)]
        picked.append(conversation)
        requests += len(conversation)
        index += 1
    return picked


# -- modes -----------------------------------------------------------------------------------


def run_flat(items, client: TimedClient, sampling):  # type: ignore[no-untyped-def]
    from medjudge.answering import item_prompt
    from medjudge.records import ChatRequest, Message

    requests = [
        ChatRequest(
            messages=(Message(role="user", content=item_prompt(item)),),
            sampling=sampling,
            seed=sampling.seed,
        )
        for item in items
    ]
    return client.generate(requests)


def run_waves(items, client: TimedClient, benchmark, sampling, chunk_size: int, folder: Path):  # type: ignore[no-untyped-def]
    """answer_items into a new store; returns the stored answers."""
    from medjudge.answering import answer_items, dataset_fingerprint, plan_run
    from medjudge.models import DEFAULT_MODEL
    from medjudge.store import Store

    run = plan_run(
        model=DEFAULT_MODEL,
        benchmark=benchmark.name,
        benchmark_path=benchmark.path,
        benchmark_sha256=benchmark.sha256,
        items=items,
        sampling=sampling,
        samples=1,
    )
    with Store(folder / f"waves-chunk{chunk_size}.sqlite") as store:
        fingerprint = dataset_fingerprint(items)
        store.add_items(fingerprint, items)
        store.add_run(run, fingerprint)
        summary = answer_items(items, client, run=run, store=store, chunk_size=chunk_size)
        answers = store.answers(run.run_id)
    if summary.asked != len(items) or len(answers) != len(items):
        raise RuntimeError(f"waves asked {summary.asked} of {len(items)} items: {summary}")
    return answers


def run_serial(convs, client: TimedClient, sampling, limit: int):  # type: ignore[no-untyped-def]
    """One request per generate call, conversation by conversation, own answers as history."""
    from medjudge.answering import build_messages
    from medjudge.records import ChatRequest

    completions = []
    for turns in convs:
        history: list[str] = []
        for index in range(len(turns)):
            if limit > 0 and len(completions) >= limit:
                return completions
            request = ChatRequest(
                messages=build_messages(turns[: index + 1], history),
                sampling=sampling,
                seed=sampling.seed,
            )
            (out,) = client.generate([request])
            completions.append(out)
            if out.error is not None or out.text is None:
                break  # as answer_items: later turns of a broken conversation are not asked
            history.append(out.text)
    return completions


# -- measuring -------------------------------------------------------------------------------


def measure(label: str, work, client: TimedClient, sampler, rejections) -> tuple:  # type: ignore[no-untyped-def]
    """Run `work()` and time it; returns (its result, the window's numbers)."""
    client.calls.clear()
    rejections.count = 0
    # Every mode starts with an empty prefix cache (vLLM caches prompt prefixes by default),
    # so no mode reuses another's prompts. Within a mode, reuse is real: turn k's prompt
    # starts with turn k-1's. VllmClient has no public hook for this; the bench reaches in.
    engine = getattr(client.inner, "_llm", None)
    if engine is not None:
        engine.reset_prefix_cache()
    before = os.getloadavg()
    logger.info("%s: starting (load average %.2f)", label, before[0])
    sampler.reset()
    started = time.perf_counter()
    result = work()
    wall = time.perf_counter() - started
    window = sampler.reset()
    after = os.getloadavg()
    logger.info("%s: %.1f s", label, wall)
    stats = {
        "wall_s": wall,
        "generate_s": sum(seconds for _, seconds in client.calls),
        "generate_calls": len(client.calls),
        "fallback_batches": rejections.count,
        "cpu_busy_cores": window.cpu_s / wall if wall else 0.0,
        "peak_rss_gib": window.peak_rss_bytes / _GIB,
        "peak_pss_gib": window.peak_pss_bytes / _GIB,
        "loadavg_before": tuple(round(x, 2) for x in before),
        "loadavg_after": tuple(round(x, 2) for x in after),
    }
    return result, stats


def result_from(mode: str, label: str, records, stats: dict, **extra) -> ModeResult:  # type: ignore[no-untyped-def]
    """Numbers from Completions (flat, serial) or stored Answers (waves)."""
    ok = sum(1 for r in records if _is_ok(r))
    rejected = sum(1 for r in records if (r.error or "").startswith("rejected by vLLM"))
    prompt = sum(r.prompt_tokens or 0 for r in records)
    generated = sum(r.completion_tokens or 0 for r in records)
    wall = stats["wall_s"]
    return ModeResult(
        mode=mode,
        label=label,
        requests=len(records),
        ok=ok,
        failed=len(records) - ok,
        rejected=rejected,
        prompt_tokens=prompt,
        generated_tokens=generated,
        requests_per_s=len(records) / wall,
        generated_tokens_per_s=generated / wall,
        prompt_tokens_per_s=prompt / wall,
        **stats,
        **extra,
    )


def _is_ok(record) -> bool:  # type: ignore[no-untyped-def]
    status = getattr(record, "status", None)
    if status is not None:
        return status == "ok"
    return record.error is None and record.text is not None


def fit_cost(per_request: Sequence[tuple[int, int, float]]) -> dict | None:
    """Least squares: seconds = per_request_s + per_prompt_token_s * prompt tokens."""
    if len(per_request) < 3:
        return None
    xs = [float(p) for p, _, _ in per_request]
    ys = [seconds for _, _, seconds in per_request]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if not sxx:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - mean_y) ** 2 for y in ys)
    return {
        "per_request_s": intercept,
        "per_prompt_token_s": slope,
        "r2": 1 - residual / total if total else 1.0,
    }


def serial_wall_for(serial: ModeResult, other: ModeResult) -> float | None:
    """Serial's fitted cost of `other`'s requests and prompt tokens, in seconds.

    The serial sample's prompts need not be as long on average as the whole set's; the
    fit carries the sample's cost per request and per prompt token over to the whole set.
    """
    if not serial.cost_fit:
        return None
    fit = serial.cost_fit
    return other.requests * fit["per_request_s"] + other.prompt_tokens * fit["per_prompt_token_s"]


def ratios(results: list[ModeResult]) -> dict:
    """waves/serial and waves/flat, on generated tokens/s and on requests/s."""
    flat = next((r for r in results if r.mode == "flat"), None)
    serial = next((r for r in results if r.mode == "serial"), None)
    out: dict = {}
    for waves in (r for r in results if r.mode == "waves"):
        entry: dict = {"chunk_size": waves.chunk_size}
        for name, other in (("over_serial", serial), ("over_flat", flat)):
            if other is None or not other.generated_tokens_per_s:
                continue
            entry[f"tokens_per_s_{name}"] = (
                waves.generated_tokens_per_s / other.generated_tokens_per_s
            )
            entry[f"requests_per_s_{name}"] = waves.requests_per_s / other.requests_per_s
        fitted = serial_wall_for(serial, waves) if serial is not None else None
        if fitted is not None:
            # Same requests, same tokens: the ratio of wall times is the ratio of rates.
            entry["serial_fitted_wall_s"] = fitted
            entry["tokens_per_s_over_serial_fitted"] = fitted / waves.wall_s
        if "tokens_per_s_over_serial" in entry:
            entry["target_over_serial_met"] = (
                entry["tokens_per_s_over_serial"] >= TARGET_WAVES_OVER_SERIAL
            )
        if "tokens_per_s_over_flat" in entry:
            entry["target_over_flat_met"] = (
                entry["tokens_per_s_over_flat"] >= TARGET_WAVES_OVER_FLAT
            )
        out[waves.label] = entry
    return out


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        default=DEFAULT_DATASET,
        help="LLMEval-Med dataset.json (default: %(default)s)",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=list(MODES),
        help="modes to run, in this order (default: flat waves serial)",
    )
    parser.add_argument("--max-tokens", type=int, default=32, help="max_tokens of every request")
    parser.add_argument(
        "--chunk-size",
        type=int,
        nargs="+",
        default=[LIBRARY_CHUNK_SIZE],
        help="answer_items chunk_size; several values give one waves run each",
    )
    parser.add_argument(
        "--serial-limit",
        type=int,
        default=64,
        help="requests measured one at a time; 0 = all (default: %(default)s)",
    )
    parser.add_argument(
        "--overlong",
        choices=("keep", "drop"),
        default="keep",
        help="keep the prompts that exceed --max-model-len, or drop their "
        "conversations (default: %(default)s)",
    )
    parser.add_argument(
        "--max-model-len",
        type=int,
        default=4096,
        help="VllmClient max_model_len (default: the library's, %(default)s)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=0,
        help="only the first N conversations (a quick check); 0 = all",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        help="a JSON file of an interrupted run with the same settings: skip the steps it "
        "holds, measure the rest (with a new engine) and write into it",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file to write (default: bench/results/answer_throughput-<date>.json)",
    )
    args = parser.parse_args(argv)
    for name in ("max_tokens", "max_model_len"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(size < 1 for size in args.chunk_size):
        parser.error("--chunk-size values must be at least 1")
    return args


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr
    )
    if not args.dataset.is_file():
        print(
            f"error: the LLMEval-Med dataset is not at {args.dataset}.\n"
            "Download dataset/dataset.json from the llmeval-fdu/LLMEval-Med repository and "
            "pass it with --dataset PATH.",
            file=sys.stderr,
        )
        return 2

    from medjudge.answering import conversations
    from medjudge.benchmarks import load
    from medjudge.models.vllm import VllmClient
    from medjudge.records import SamplingConfig

    benchmark = load(args.dataset)
    all_items = list(benchmark.items)
    if args.limit:
        all_items = [i for turns in conversations(all_items)[: args.limit] for i in turns]
    sampling = SamplingConfig(temperature=0.0, max_tokens=args.max_tokens)

    sampler = TreeSampler(interval_s=0.25)
    sampler.start()
    rejections = _RejectionCounter()
    logging.getLogger("medjudge.models.vllm").addHandler(rejections)
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    signal.signal(signal.SIGTERM, _terminated)

    inner = VllmClient("smollm2-135m-instruct", max_model_len=args.max_model_len)
    client = TimedClient(inner)
    previous = json.loads(args.resume.read_text(encoding="utf-8")) if args.resume else None
    results = [ModeResult(**mode) for mode in previous["modes"]] if previous else []
    session = len(previous["engine_sessions"]) if previous else 0
    try:
        logger.info("starting the engine")
        inner.start()
        engine_window = sampler.reset()
        engine_processes = describe_tree()

        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(inner.model_path)
        selection = select_items(
            all_items,
            tokenizer,
            max_model_len=args.max_model_len,
            max_tokens=args.max_tokens,
            drop=args.overlong == "drop",
        )
        items = selection.items
        convs = conversations(items)
        logger.info(
            "%d items in %d conversations (%d turn-1 prompts >= max_model_len; %d "
            "conversations dropped)",
            len(items),
            len(convs),
            len(selection.overlong_turn1),
            len(selection.dropped_conversations),
        )

        # Warm-up: the shortest prompts, once as a batch and once alone (both code paths).
        shortest = sorted(items, key=lambda i: selection.turn1_prompt_tokens[i.item_id])[:8]
        warm_started = time.perf_counter()
        run_flat(shortest, client, sampling)
        run_flat(shortest[:1], client, sampling)
        warmup_s = time.perf_counter() - warm_started
        sampler.reset()

        output = (
            args.resume
            or args.output
            or RESULTS / f"answer_throughput-{time.strftime('%Y%m%d-%H%M%S')}.json"
        )
        context = {
            "started_at": previous["started_at"] if previous else started_at,
            "settings": {
                "model": "vllm/smollm2-135m-instruct",
                "enforce_eager": inner.enforce_eager,
                "max_model_len": args.max_model_len,
                "kv_cache_gib": inner.kv_cache_gib,
                "sampling": sampling.model_dump(),
                "chunk_sizes": args.chunk_size,
                "serial_limit": args.serial_limit,
                "overlong": args.overlong,
                "memory_sampler": sampler.backend,
            },
            "dataset": {
                "path": str(args.dataset),
                "sha256": benchmark.sha256,
                "items_in_file": len(benchmark.items),
                "items_run": len(items),
                "conversations_run": len(convs),
                "turn_depths": _depths(convs),
                "turn1_prompts_over_max_model_len": selection.overlong_turn1,
                "dropped_conversations": selection.dropped_conversations,
                "mean_flat_prompt_tokens": round(
                    sum(selection.turn1_prompt_tokens[i.item_id] for i in items) / len(items), 1
                ),
            },
            "engine_sessions": [
                *(previous["engine_sessions"] if previous else []),
                {
                    "started_at": started_at,
                    "start_s": inner.start_seconds,
                    "start_peak_rss_gib": engine_window.peak_rss_bytes / _GIB,
                    "warmup_s": warmup_s,
                    # vLLM's CPU backend binds its worker's OpenMP threads; on x86 it reserves
                    # one core for the engine core process: see cpus_allowed.
                    "processes": engine_processes,
                },
            ],
        }
        if previous:
            _check_same_run(previous, context)
        done = {result.label for result in results}
        with tempfile.TemporaryDirectory(prefix="medjudge-bench-") as folder:
            for step in plan(args.modes, args.chunk_size):
                if _label(step) in done:
                    logger.info("%s: already measured in %s", _label(step), output)
                    continue
                results.append(
                    run_step(
                        step,
                        items,
                        convs,
                        client,
                        benchmark,
                        sampling,
                        args,
                        Path(folder),
                        sampler,
                        rejections,
                    )
                )
                results[-1].session = session
                # Written after every step: a long run that is killed keeps what it measured.
                write_summary(output, context, results, sampler, complete=False)
        summary = write_summary(output, context, results, sampler, complete=True)
    finally:
        inner.close()
        sampler.stop()
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"written to {output}", file=sys.stderr)
    return 0


def plan(modes: Sequence[str], chunk_sizes: Sequence[int]) -> list[tuple[str, int | None]]:
    """(mode, chunk size) steps: the modes in order, waves at the first chunk size; the
    other chunk sizes last, so the main comparison is measured first."""
    steps: list[tuple[str, int | None]] = [
        (mode, chunk_sizes[0] if mode == "waves" else None) for mode in modes
    ]
    if "waves" in modes:
        steps.extend(("waves", size) for size in chunk_sizes[1:])
    return steps


def _label(step: tuple[str, int | None]) -> str:
    mode, size = step
    return f"waves chunk={size}" if mode == "waves" else mode


def _check_same_run(previous: dict, context: dict) -> None:
    """--resume only adds to a run with the same settings and the same items."""
    for section, keys in (
        ("settings", ("model", "enforce_eager", "max_model_len", "sampling", "overlong")),
        ("dataset", ("sha256", "items_run", "conversations_run")),
    ):
        for key in keys:
            if previous[section].get(key) != context[section].get(key):
                raise SystemExit(
                    f"error: --resume file has {section}.{key} = {previous[section].get(key)!r}, "
                    f"this run {context[section].get(key)!r}; resume with the same options"
                )


def _terminated(signum: int, frame: object) -> None:
    logger.warning("terminated by signal %d; the steps measured so far are in the JSON", signum)
    raise SystemExit(128 + signum)


def run_step(step, items, convs, client, benchmark, sampling, args, folder, sampler, rejections):  # type: ignore[no-untyped-def]
    mode, size = step
    if mode == "flat":
        outs, stats = measure(
            "flat", lambda: run_flat(items, client, sampling), client, sampler, rejections
        )
        return result_from("flat", "flat", outs, stats)
    if mode == "waves":
        label = _label(step)
        answers, stats = measure(
            label,
            lambda: run_waves(items, client, benchmark, sampling, size, folder),
            client,
            sampler,
            rejections,
        )
        return result_from("waves", label, answers, stats, chunk_size=size)
    sample = serial_sample(convs, args.serial_limit)
    outs, stats = measure(
        "serial",
        lambda: run_serial(sample, client, sampling, args.serial_limit),
        client,
        sampler,
        rejections,
    )
    result = result_from("serial", "serial", outs, stats, full_requests=len(items))
    result.extrapolated_wall_s = len(items) / result.requests_per_s
    result.per_request = [
        (out.prompt_tokens or 0, out.completion_tokens or 0, round(seconds, 4))
        for out, (_, seconds) in zip(outs, client.calls, strict=True)
    ]
    result.cost_fit = fit_cost(result.per_request)
    if result.requests < len(items):
        result.notes.append(
            f"measured on {result.requests} of {len(items)} requests (every k-th "
            "conversation); rates extrapolated to the full set"
        )
    return result


def write_summary(
    output: Path, context: dict, results: list[ModeResult], sampler, *, complete: bool
) -> dict:  # type: ignore[no-untyped-def]
    overall = sampler.overall()
    summary = {
        "bench": "answer_throughput",
        "complete": complete,
        **context,
        "machine": machine(),
        "modes": [asdict(r) for r in results],
        "ratios": ratios(results),
        "targets": {
            "waves_over_serial_tokens_per_s": TARGET_WAVES_OVER_SERIAL,
            "waves_over_flat_tokens_per_s": TARGET_WAVES_OVER_FLAT,
        },
        "peak_rss_gib_overall": overall.peak_rss_bytes / _GIB,
        "peak_pss_gib_overall": overall.peak_pss_bytes / _GIB,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _depths(convs) -> dict[str, int]:  # type: ignore[no-untyped-def]
    depths: dict[str, int] = {}
    for turns in convs:
        depths[str(len(turns))] = depths.get(str(len(turns)), 0) + 1
    return dict(sorted(depths.items()))


if __name__ == "__main__":  # required: vLLM starts its workers with spawn
    raise SystemExit(main(sys.argv[1:]))
