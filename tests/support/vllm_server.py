"""vLLM's own OpenAI-compatible server on loopback: the real peer for the API clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SERVED_NAME = "smollm2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VllmServer:
    def __init__(self, model_dir: Path, cache_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        env = dict(os.environ)
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        env["VLLM_CACHE_ROOT"] = str(cache_dir / "vllm")
        env["HF_HUB_OFFLINE"] = "1"
        if (os.cpu_count() or 1) >= 2:
            # vLLM binds each CPU engine to core 0 by default; the session's offline engine
            # is there already, so the server takes core 1 and neither starves the other.
            env.setdefault("VLLM_CPU_OMP_THREADS_BIND", "1")
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.log_path = log_path
        self._process = subprocess.Popen(
            [
                sys.executable, "-m", "vllm.entrypoints.openai.api_server",
                "--model", str(model_dir), "--served-model-name", SERVED_NAME,
                "--host", "127.0.0.1", "--port", str(self.port),
                "--enforce-eager", "--max-model-len", "8192",
                # float32, as medjudge runs the embedded model: vllm-cpu's bfloat16 path
                # computed garbage on CPUs with AMX.
                "--dtype", "float32",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"vLLM server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except OSError:
                time.sleep(1.0)
        raise RuntimeError(f"vLLM server not ready after {timeout_s} s; see {self.log_path}")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
