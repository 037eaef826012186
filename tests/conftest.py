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
