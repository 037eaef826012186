"""Shared fixtures: every path the code writes points into pytest's temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


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
