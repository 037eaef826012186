"""A Hugging Face cache in a temporary folder, laid out as huggingface_hub lays out its own
(`datasets--OWNER--NAME/refs/main` naming a commit, the files under `snapshots/<commit>/`),
so the real `hf_hub_download` finds files there with HF_HUB_OFFLINE=1 and sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache that huggingface_hub (offline) reads instead of the user's own."""
    constants = pytest.importorskip("huggingface_hub.constants")
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    # huggingface_hub reads HF_HUB_CACHE and HF_HUB_OFFLINE once, at import: set them there.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def put(cache: Path, repo: str, filename: str, content: Any) -> Path:
    """Store `content` (JSON, or text as given) as `filename` of dataset `repo` in `cache`."""
    folder = cache / f"datasets--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(COMMIT)
    path = folder / "snapshots" / COMMIT / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path
