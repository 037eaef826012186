"""Shared fixtures: every path the code writes points into pytest's temporary folders."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports huggingface_hub (vLLM does): it reads HF_HUB_OFFLINE once, at
# import, and without it an engine start waits on network time-outs. Tests never download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_is_delivered() -> Iterator[None]:
    """A suite started as a background job of a script (`make test &`) inherits SIGINT
    ignored, and so would every command it starts: the Ctrl-C tests would then see nothing
    happen. Deliver it as a terminal would, in this process and the commands it starts."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the session: the embedded model is converted once, not per test."""
    return tmp_path_factory.mktemp("medjudge-cache")


@pytest.fixture(autouse=True)
def isolated_paths(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("MEDJUDGE_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("VLLM_CACHE_ROOT", str(cache_dir / "vllm"))
    # matplotlib (the HTML report) reads it when first imported: the session's cache.
    monkeypatch.setenv("MPLCONFIGDIR", str(cache_dir / "matplotlib"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def embedded_model(cache_dir: Path) -> Path:
    """The bundled model converted to a Hugging Face folder (once per session)."""
    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    embedded = pytest.importorskip("medjudge.models.embedded")
    mp = pytest.MonkeyPatch()
    mp.setenv("MEDJUDGE_CACHE_DIR", str(cache_dir))
    try:
        return embedded.embedded_model_dir()
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def vllm_server(embedded_model: Path, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """vLLM's OpenAI-compatible server running the bundled model, started once per session."""
    from support.vllm_server import VllmServer

    server = VllmServer(embedded_model, cache_dir, tmp_path_factory.mktemp("vllm-server") / "log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def vllm_client(cache_dir: Path) -> Iterator[object]:
    """One VllmClient for the session: the embedded model is converted into the session's
    cache folder and the engine (~20-40 s to start on 2 cores) starts once."""
    session_env = pytest.MonkeyPatch()
    # Before vLLM is imported: huggingface_hub reads HF_HUB_OFFLINE once, at import.
    session_env.setenv("HF_HUB_OFFLINE", "1")
    session_env.setenv("MEDJUDGE_CACHE_DIR", str(cache_dir))
    session_env.setenv("VLLM_CACHE_ROOT", str(cache_dir / "vllm"))
    try:
        pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
        from medjudge.models.embedded import EMBEDDED_MODEL_NAME
        from medjudge.models.vllm import VllmClient

        client = VllmClient(EMBEDDED_MODEL_NAME, max_model_len=8192)
        try:
            client.start()
            yield client
        finally:
            client.close()
    finally:
        session_env.undo()
