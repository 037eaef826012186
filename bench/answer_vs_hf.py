"""`medjudge answer` end to end vs the seed's way (Hugging Face transformers, one turn at a time).

    .venv/bin/python bench/answer_vs_hf.py --conversations 120          # 168 turns
    .venv/bin/python bench/answer_vs_hf.py                              # all 667 turns
    .venv/bin/python bench/answer_vs_hf.py --sides medjudge --engine-arg enable_prefix_caching=false

Both sides run the embedded SmolLM2-135M from the SAME converted Hugging Face folder (the one
`medjudge.models.embedded` caches), in float32, greedy, --max-tokens new tokens, the same
--max-model-len, on the first --conversations conversations of the real LLMEval-Med file (0:
all). Each side runs in its own child process, and its wall time is the child's whole life:
Python start, imports, model load (and for medjudge the vLLM engine start and its known-answer
probe) included.

- hf:       `AutoModelForCausalLM` + the tokenizer's chat template; each turn asked alone with
            its conversation's history of ITS OWN earlier answers; `generate(do_sample=False,
            max_new_tokens=...)`. A prompt of max_model_len tokens or more is not asked and
            fails its conversation's later turns, as vLLM and medjudge do.
- medjudge: `python -m medjudge answer DATASET --limit N ...` into a fresh store, as a user
            runs it (its default engine options, waves, store writes).

The answers are compared item by item (identical text; identical after stripping white space).
The summary is printed and written to bench/results/answer_vs_hf-<conversations>-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine
from proctree import TreeSampler

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
DEFAULT_DATASET = PROJECT.parent / "shared" / "data" / "llmeval-med" / "dataset.json"
RESULTS = BENCH / "results"
SIDES = ("hf", "medjudge")
#: The issue's target: medjudge end to end at least this many times faster than HF serial.
TARGET_SPEEDUP = 8.0
_GIB = 1 << 30


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    src = str(PROJECT / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def _timed_child(command: list[str], log: Path) -> dict:
    """Run `command` to its end; wall seconds, CPU cores busy and peak memory of its tree."""
    before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        child = subprocess.Popen(
            command, env=_child_env(), stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT
        )
        # Rooted at this process (the bench itself adds ~50 MB): the child may be gone
        # when the window closes.
        sampler = TreeSampler(interval_s=1.0)
        sampler.start()
        code = child.wait()
        window = sampler.reset()
        sampler.stop()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "command": command,
        "exit_code": code,
        "wall_s": round(wall, 2),
        # CPU seconds of the child and the descendants it waited for, over wall seconds.
        "cpu_s": round(cpu_s, 1),
        "cpu_busy_cores": round(cpu_s / wall, 2) if wall else 0.0,
        "peak_rss_gib": round(window.peak_rss_bytes / _GIB, 2),
        "peak_pss_gib": round(window.peak_pss_bytes / _GIB, 2),
        "loadavg_before": [round(x, 2) for x in before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "log": str(log),
    }


# -- the HF side (runs in a child: `answer_vs_hf.py --hf-worker ...`) ------------------------


def hf_worker(dataset: Path, conversations_n: int, max_tokens: int, max_model_len: int,
              out: Path, every: int = 1) -> int:  # fmt: skip
    """The seed's way: one turn at a time, each with its own earlier answers as history."""
    started = time.perf_counter()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from medjudge.answering import build_messages, conversations
    from medjudge.benchmarks import load
    from medjudge.models.embedded import embedded_model_dir

    folder = embedded_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.eval()
    convs = conversations(load(str(dataset)).items)
    if conversations_n:
        convs = convs[:conversations_n]
    convs = convs[::every]
    loaded_s = time.perf_counter() - started
    records = []
    with torch.inference_mode():
        for turns in convs:
            history: list[str] = []
            for index, item in enumerate(turns):
                if len(history) < index:  # an earlier turn failed: not asked
                    records.append({"item_id": item.item_id, "status": "not asked"})
                    continue
                messages = build_messages(turns[: index + 1], history)
                chat = [{"role": m.role, "content": m.content} for m in messages]
                text = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
                ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
                prompt_tokens = ids.shape[1]
                if prompt_tokens >= max_model_len:
                    records.append(
                        {"item_id": item.item_id, "status": "too long",
                         "prompt_tokens": prompt_tokens}
                    )  # fmt: skip
                    continue
                turn_started = time.perf_counter()
                generated = model.generate(
                    ids,
                    attention_mask=torch.ones_like(ids),
                    do_sample=False,
                    max_new_tokens=min(max_tokens, max_model_len - prompt_tokens),
                    pad_token_id=tokenizer.eos_token_id,
                )
                new = generated[0, prompt_tokens:]
                answer = tokenizer.decode(new, skip_special_tokens=True)
                records.append(
                    {
                        "item_id": item.item_id,
                        "status": "ok",
                        "text": answer,
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": int((new != tokenizer.eos_token_id).sum()),
                        "seconds": round(time.perf_counter() - turn_started, 4),
                    }
                )
                history.append(answer)
    out.write_text(
        json.dumps({"load_s": round(loaded_s, 2), "threads": torch.get_num_threads(),
                    "answers": records}, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    return 0


def run_hf(args: argparse.Namespace, folder: Path) -> tuple[dict, dict[str, dict]]:
    out = folder / "hf.json"
    command = [
        sys.executable, str(Path(__file__).resolve()), "--hf-worker",
        "--dataset", str(args.dataset), "--conversations", str(args.conversations),
        "--max-tokens", str(args.max_tokens), "--max-model-len", str(args.max_model_len),
        "--hf-out", str(out), "--hf-every", str(args.hf_every),
    ]  # fmt: skip
    timing = _timed_child(command, Path(args.log_dir) / f"hf-{args.conversations}.log")
    if timing["exit_code"] != 0:
        raise SystemExit(f"HF side failed; see {timing['log']}")
    data = json.loads(out.read_text(encoding="utf-8"))
    answers = {r["item_id"]: r for r in data["answers"]}
    ok = [r for r in data["answers"] if r["status"] == "ok"]
    timing.update(
        {
            "load_s": data["load_s"],
            "torch_threads": data["threads"],
            "turns": len(answers),
            "ok": len(ok),
            "prompt_tokens": sum(r["prompt_tokens"] for r in ok),
            "generated_tokens": sum(r["completion_tokens"] for r in ok),
            "generate_s": round(sum(r["seconds"] for r in ok), 2),
        }
    )
    return timing, answers


def run_medjudge(args: argparse.Namespace, folder: Path) -> tuple[dict, dict[str, dict]]:
    from medjudge.store import Store

    store = folder / "medjudge.sqlite"
    command = [
        sys.executable, "-m", "medjudge", "answer", str(args.dataset),
        "--max-tokens", str(args.max_tokens), "--temperature", "0",
        "--max-model-len", str(args.max_model_len), "--store", str(store),
    ]  # fmt: skip
    if args.conversations:
        command += ["--limit", str(args.conversations)]
    for entry in args.engine_arg:
        command += ["--engine-arg", entry]
    timing = _timed_child(command, Path(args.log_dir) / f"medjudge-{args.conversations}.log")
    # Exit code 3 (some answers failed: the over-long prompts) still answered the rest.
    if not store.exists():
        raise SystemExit(f"medjudge side wrote no store; see {timing['log']}")
    with Store(store) as opened:
        (run,) = opened.runs()
        stored = opened.answers(run.run_id)
    answers = {
        a.item_id: {
            "status": a.status,
            "text": a.text,
            "error": a.error,
            "prompt_tokens": a.prompt_tokens,
            "completion_tokens": a.completion_tokens,
        }
        for a in stored
    }
    ok = [a for a in stored if a.status == "ok"]
    timing.update(
        {
            "turns": len(answers),
            "ok": len(ok),
            "prompt_tokens": sum(a.prompt_tokens or 0 for a in ok),
            "generated_tokens": sum(a.completion_tokens or 0 for a in ok),
            "failures": sorted({(a.error or "")[:90] for a in stored if a.status != "ok"}),
        }
    )
    return timing, answers


def extrapolate(hf: dict, answers: dict[str, dict[str, dict]], every: int) -> dict:
    """HF's wall time for every turn medjudge answered, from a sample of every K-th conversation.

    Least squares on the sample: seconds = a + b * prompt tokens (each turn generates up to
    max_tokens); applied to the prompt tokens medjudge's turns had (later turns' histories
    differ a little, as the answers do). Start-up (load_s) is added once.
    """
    sample = [r for r in answers["hf"].values() if r.get("status") == "ok"]
    xs = [float(r["prompt_tokens"]) for r in sample]
    ys = [float(r["seconds"]) for r in sample]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - mean_y) ** 2 for y in ys)
    ours = [a for a in answers["medjudge"].values() if a["status"] == "ok"]
    generate_s = sum(intercept + slope * (a["prompt_tokens"] or 0) for a in ours)
    return {
        "every_kth_conversation": every,
        "sample_turns": len(sample),
        "per_turn_s": round(intercept, 4),
        "per_prompt_token_s": slope,
        "r2": round(1 - residual / total, 3) if total else 1.0,
        "turns": len(ours),
        "generate_s": round(generate_s, 1),
        # Process start + model load as measured, plus the fitted time of every turn.
        "wall_s": round(hf["wall_s"] - hf["generate_s"] + generate_s, 1),
    }


def compare(hf: dict[str, dict], ours: dict[str, dict]) -> dict:
    both = [i for i in hf if hf[i].get("status") == "ok" and ours.get(i, {}).get("status") == "ok"]
    same = [i for i in both if hf[i]["text"] == ours[i]["text"]]
    same_stripped = [i for i in both if hf[i]["text"].strip() == ours[i]["text"].strip()]
    # HF's decode of a reply cut mid-character ends in U+FFFD; vLLM holds such bytes back.
    same_but_cut = [
        i for i in both if hf[i]["text"].replace("\ufffd", "") == ours[i]["text"].replace("\ufffd", "")
    ]
    same_prompt = [i for i in both if hf[i]["prompt_tokens"] == ours[i]["prompt_tokens"]]
    # A disagreement on turn 1 is the engines'; on later turns it may follow from an earlier one.
    differing = [i for i in both if hf[i]["text"].strip() != ours[i]["text"].strip()]
    return {
        "answered_by_both": len(both),
        "identical_text": len(same),
        "identical_after_strip": len(same_stripped),
        "identical_but_for_a_cut_character": len(same_but_cut),
        "same_prompt_tokens": len(same_prompt),
        "hf_only_ok": sorted(
            i for i in hf if hf[i].get("status") == "ok" and ours.get(i, {}).get("status") != "ok"
        ),
        "medjudge_only_ok": sorted(
            i for i in ours if ours[i]["status"] == "ok" and hf.get(i, {}).get("status") != "ok"
        ),
        "examples_differing": [
            {"item_id": i, "hf": hf[i]["text"], "medjudge": ours[i]["text"]} for i in differing[:5]
        ],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--conversations", type=int, default=0, help="first N (0: all)")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--max-model-len", type=int, default=4096)
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES))
    parser.add_argument("--engine-arg", action="append", default=[], help="to medjudge answer")
    parser.add_argument("--label", default="", help="a name for this run in the results")
    parser.add_argument("--reuse-hf", type=Path, help="an earlier result JSON: take its HF side")
    parser.add_argument("--log-dir", default=tempfile.gettempdir())
    parser.add_argument("--output", type=Path)
    parser.add_argument("--hf-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hf-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--hf-every", type=int, default=1,
        help="HF on every K-th conversation only; its time for all is then extrapolated",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.hf_worker:
        return hf_worker(
            args.dataset, args.conversations, args.max_tokens, args.max_model_len, args.hf_out,
            args.hf_every,
        )
    if not args.dataset.is_file():
        raise SystemExit(f"no dataset at {args.dataset} (see ../shared/data/README.md)")

    summary: dict = {
        "bench": "answer_vs_hf",
        "label": args.label,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {
            "model": "smollm2-135m-instruct (converted HF folder), float32 both sides",
            "conversations": args.conversations or "all",
            "max_tokens": args.max_tokens,
            "temperature": 0,
            "max_model_len": args.max_model_len,
            "engine_args": args.engine_arg,
        },
        "machine": machine(),
    }
    answers: dict[str, dict[str, dict]] = {}
    if args.reuse_hf:
        earlier = json.loads(args.reuse_hf.read_text(encoding="utf-8"))
        summary["hf"] = {**earlier["hf"], "reused_from": str(args.reuse_hf)}
        answers["hf"] = earlier["hf_answers"]
    with tempfile.TemporaryDirectory(prefix="medjudge-vs-hf-") as tmp:
        for side in args.sides:
            print(f"{side}: starting (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
            runner = run_hf if side == "hf" else run_medjudge
            summary[side], answers[side] = runner(args, Path(tmp))
            print(f"{side}: {summary[side]['wall_s']} s", file=sys.stderr, flush=True)
    if "hf" in answers and "medjudge" in answers:
        if args.hf_every > 1:
            summary["hf"]["extrapolation"] = extrapolate(summary["hf"], answers, args.hf_every)
            hf_wall = summary["hf"]["extrapolation"]["wall_s"]
        else:
            hf_wall = summary["hf"]["wall_s"]
        summary["speedup"] = round(hf_wall / summary["medjudge"]["wall_s"], 2)
        summary["target_speedup"] = TARGET_SPEEDUP
        summary["target_met"] = summary["speedup"] >= TARGET_SPEEDUP
        summary["agreement"] = compare(answers["hf"], answers["medjudge"])
    summary["hf_answers"] = answers.get("hf")
    name = f"answer_vs_hf-{args.conversations or 'all'}{'-' + args.label if args.label else ''}"
    output = args.output or RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    shown = {k: v for k, v in summary.items() if k not in ("hf_answers", "machine")}
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
