"""Memory and CPU time of this process and all its descendants (vLLM's engine core and worker).

    sampler = TreeSampler(interval_s=0.25)
    sampler.start()
    sampler.reset()                 # start a new window
    ... work ...
    window = sampler.reset()        # peaks and CPU seconds since the previous reset
    sampler.stop()

Peaks are sampled in a background thread, so a spike shorter than the interval can be missed.
RSS summed over processes counts pages they share (shared memory between the engine and its
worker, the same libraries) more than once; PSS divides shared pages among their users, so the
PSS sum is the better estimate of what the tree really costs. Both are reported.

psutil is used when installed; otherwise the numbers are read from /proc (Linux only).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TreeSample", "TreeSampler", "TreeWindow", "describe_tree", "sample_tree"]

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class TreeSample:
    processes: int
    rss_bytes: int
    pss_bytes: int
    #: user + system CPU seconds of the processes alive now (not of those that exited).
    cpu_s: float


@dataclass(frozen=True)
class TreeWindow:
    """What the tree did between two `reset` calls."""

    peak_rss_bytes: int
    peak_pss_bytes: int
    peak_processes: int
    cpu_s: float
    samples: int


def sample_tree(root: int | None = None) -> TreeSample:
    """RSS, PSS and CPU time of `root` (default: this process) and its descendants, now."""
    root = os.getpid() if root is None else root
    try:
        import psutil
    except ImportError:
        return _sample_proc(root)
    return _sample_psutil(psutil, root)


def _sample_psutil(psutil, root: int) -> TreeSample:  # type: ignore[no-untyped-def]
    parent = psutil.Process(root)
    try:
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        processes = [parent]
    rss = pss = 0
    cpu = 0.0
    counted = 0
    for process in processes:
        try:
            memory = process.memory_full_info()
            times = process.cpu_times()
        except psutil.Error:  # exited between listing and reading
            continue
        counted += 1
        rss += memory.rss
        pss += getattr(memory, "pss", memory.rss)
        cpu += times.user + times.system
    return TreeSample(counted, rss, pss, cpu)


def describe_tree(root: int | None = None) -> list[dict]:
    """Name, thread count and allowed CPUs of each process in the tree (Linux /proc)."""
    described = []
    for pid in _tree_pids(os.getpid() if root is None else root):
        status = _read(Path(f"/proc/{pid}/status"))
        if status is None:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        described.append(
            {
                "pid": pid,
                "name": fields.get("Name", "").strip(),
                "threads": int(fields.get("Threads", "0")),
                "cpus_allowed": fields.get("Cpus_allowed_list", "").strip(),
            }
        )
    return described


def _tree_pids(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(entry / "stat")
        if stat is None:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        queue.extend(children.get(pid, []))
    return pids


def _sample_proc(root: int) -> TreeSample:
    pids = _tree_pids(root)
    rss = pss = 0
    cpu = 0.0
    counted = 0
    for pid in pids:
        statm, stat = _read(Path(f"/proc/{pid}/statm")), _read(Path(f"/proc/{pid}/stat"))
        if statm is None or stat is None:
            continue
        counted += 1
        pid_rss = int(statm.split()[1]) * _PAGE
        rss += pid_rss
        pss += _pss(pid) or pid_rss
        fields = stat.rsplit(")", 1)[-1].split()
        cpu += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return TreeSample(counted, rss, pss, cpu)


def _pss(pid: int) -> int | None:
    rollup = _read(Path(f"/proc/{pid}/smaps_rollup"))
    for line in (rollup or "").splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return None


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


class TreeSampler:
    """Samples the process tree every `interval_s` in a daemon thread and keeps the peaks."""

    def __init__(self, interval_s: float = 0.25, root: int | None = None) -> None:
        self.interval_s = interval_s
        self.root = os.getpid() if root is None else root
        self.backend = _backend()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._window_start = sample_tree(self.root)
        self._overall = _Peaks()
        self._window = _Peaks()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reset(self) -> TreeWindow:
        """Close the current window (sampling once more now) and open a new one."""
        now = sample_tree(self.root)
        with self._lock:
            self._window.add(now)
            self._overall.add(now)
            window = self._window.finish(cpu_s=now.cpu_s - self._window_start.cpu_s)
            self._window = _Peaks()
            self._window.add(now)
            self._window_start = now
        return window

    def overall(self) -> TreeWindow:
        with self._lock:
            return self._overall.finish(cpu_s=float("nan"))

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                now = sample_tree(self.root)
            except OSError:
                continue
            with self._lock:
                self._window.add(now)
                self._overall.add(now)


class _Peaks:
    def __init__(self) -> None:
        self.rss = self.pss = self.processes = self.samples = 0

    def add(self, sample: TreeSample) -> None:
        self.rss = max(self.rss, sample.rss_bytes)
        self.pss = max(self.pss, sample.pss_bytes)
        self.processes = max(self.processes, sample.processes)
        self.samples += 1

    def finish(self, *, cpu_s: float) -> TreeWindow:
        return TreeWindow(self.rss, self.pss, self.processes, cpu_s, self.samples)


def _backend() -> str:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return "/proc"
    return "psutil"


if __name__ == "__main__":
    started = time.perf_counter()
    print(sample_tree(), f"({_backend()}, {time.perf_counter() - started:.3f} s)")
