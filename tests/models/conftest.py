"""The offline vLLM engine running the embedded model, shared by the engine tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


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

        client = VllmClient(EMBEDDED_MODEL_NAME, max_model_len=2048)
        try:
            client.start()
            yield client
        finally:
            client.close()
    finally:
        session_env.undo()
