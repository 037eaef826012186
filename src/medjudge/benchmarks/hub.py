"""`hf:` benchmark names: the file a Hugging Face dataset repository holds, downloaded once
through `huggingface_hub` (the `[hub]` extra) into the user's Hugging Face cache.

    hub_file("MiliLab/AnesBench", lang="zh")          # anesbench_zh.json
    hub_file("llmeval-fdu/LLMEval-Med")               # dataset.json
    hub_file("someone/bench/data/test.jsonl")         # any file of any dataset repository

The cache is huggingface_hub's own (HF_HUB_CACHE, HF_HOME), so a file downloaded once is
read from there afterwards, and with HF_HUB_OFFLINE=1 nothing is sent at all. Without
huggingface_hub, or without a network, the error says how to download the file by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from medjudge.errors import DatasetError

__all__ = ["HUB_FILES", "Download", "hub_file"]

#: The benchmark file of each known dataset repository, by language ("*": every language).
HUB_FILES: dict[str, dict[str, str]] = {
    "MiliLab/AnesBench": {"en": "anesbench_en.json", "zh": "anesbench_zh.json"},
    "llmeval-fdu/LLMEval-Med": {"*": "dataset.json"},
}

#: `huggingface_hub.hf_hub_download`'s shape: (repo_id=, filename=, repo_type=) -> local path.
Download = Callable[..., str]


def hub_file(spec: str, *, lang: str = "en", download: Download | None = None) -> Path:
    """The local path of the file `spec` names ("owner/name" of a known repository, or
    "owner/name/path/in/repo"), downloaded first when the HF cache lacks it."""
    repo, filename = _split(spec, lang)
    fetch = download or _hf_hub_download(repo, filename)
    try:
        return Path(fetch(repo_id=repo, filename=filename, repo_type="dataset"))
    except Exception as exc:  # noqa: BLE001 - every Hub or network failure: one clear error
        raise _download_error(repo, filename, exc) from None


def _split(spec: str, lang: str) -> tuple[str, str]:
    parts = [part for part in spec.strip().split("/") if part]
    if len(parts) < 2:
        raise DatasetError(
            f"hf:{spec}",
            "is not a Hugging Face dataset name",
            hint="write hf:OWNER/NAME for a known benchmark ("
            + ", ".join(f"hf:{repo}" for repo in HUB_FILES)
            + "), or hf:OWNER/NAME/FILE",
        )
    repo, filename = "/".join(parts[:2]), "/".join(parts[2:])
    if filename:
        return repo, filename
    files = HUB_FILES.get(repo)
    if files is None:
        raise DatasetError(
            f"hf:{spec}",
            "medjudge does not know which file of this repository is the benchmark",
            hint=f"name the file: hf:{repo}/FILE (the path of the file inside the repository)",
        )
    if "*" in files:
        return repo, files["*"]
    if lang not in files:
        names = " and ".join(f"hf:{repo}/{name}" for name in files.values())
        raise DatasetError(
            f"hf:{spec}",
            f"has one file per language, so lang={lang!r} cannot be loaded from it at once",
            hint=f"answer {names} one at a time (or lang={' / '.join(map(repr, files))})",
        )
    return repo, files[lang]


def _manual(repo: str, filename: str) -> str:
    folder = "data/" + repo.rsplit("/", 1)[-1].lower()
    return (
        f"download it once by hand with `hf download {repo} {filename} "
        f"--repo-type dataset --local-dir {folder}`, then load {folder}/{filename}"
    )


def _hf_hub_download(repo: str, filename: str) -> Download:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise DatasetError(
            f"hf:{repo}",
            "downloading a benchmark needs huggingface_hub, which is not installed",
            hint=f"pip install 'medjudge[hub]'; or {_manual(repo, filename)}",
        ) from None
    return hf_hub_download


def _download_error(repo: str, filename: str, exc: Exception) -> DatasetError:
    """A DatasetError for what went wrong, by the class names huggingface_hub raises (matched
    by name along the class's ancestry, so this module never imports huggingface_hub)."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    where = f"hf:{repo}/{filename}"
    if "GatedRepoError" in kinds:
        return DatasetError(
            where,
            "this dataset is gated: its terms must be accepted on huggingface.co",
            hint=f"accept them on https://huggingface.co/datasets/{repo}, log in with "
            f"`hf auth login`, then try again; or {_manual(repo, filename)}",
        )
    if "RepositoryNotFoundError" in kinds:
        return DatasetError(
            where,
            "the Hugging Face Hub has no such dataset (or it is private)",
            hint="check the owner and name on https://huggingface.co/datasets",
        )
    if "LocalEntryNotFoundError" in kinds or "OfflineModeIsEnabled" in kinds:
        return DatasetError(
            where,
            "could not reach the Hugging Face Hub, and the file is not in the Hugging Face "
            "cache (offline, or HF_HUB_OFFLINE=1)",
            hint=_manual(repo, filename),
        )
    if "EntryNotFoundError" in kinds:
        return DatasetError(
            where,
            "the dataset has no such file",
            hint=f"see its files on https://huggingface.co/datasets/{repo}/tree/main and "
            f"name one: hf:{repo}/FILE",
        )
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    return DatasetError(
        where,
        f"the download failed ({type(exc).__name__}: {reason})",
        hint=_manual(repo, filename),
    )
