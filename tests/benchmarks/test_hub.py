"""`hf:` names: the real huggingface_hub download code path against a Hugging Face cache in
tmp_path (offline: nothing is ever sent), and a clear error for every way a download fails."""

from __future__ import annotations

import builtins
import importlib
from pathlib import Path

import pytest
from support.hub_cache import COMMIT, hub_cache, put

from medjudge.benchmarks import load
from medjudge.benchmarks.hub import hub_file
from medjudge.errors import DatasetError


def one_language(record_id: str, question: str, target: str) -> dict:
    return {
        "id": record_id,
        "question": question,
        "A": "N2O",
        "B": "Xenon",
        "C": "Argon",
        "D": "Helium",
        "choice_num": 4,
        "target": target,
        "category": 1,
    }


def error_of(spec: str, **options) -> str:
    with pytest.raises(DatasetError) as caught:
        hub_file(spec, **options)
    return str(caught.value)


def test_anesbench_loads_the_file_of_the_language_asked_from_the_hf_cache(tmp_path, monkeypatch):
    cache = hub_cache(tmp_path, monkeypatch)
    put(cache, "MiliLab/AnesBench", "anesbench_en.json", [one_language("e1", "Which gas?", "B")])
    put(cache, "MiliLab/AnesBench", "anesbench_zh.json", [one_language("z1", "哪种气体？", "C")])

    english = load("hf:MiliLab/AnesBench")
    chinese = load("hf:MiliLab/AnesBench", lang="zh")

    assert [(i.item_id, i.language, i.answer_key) for i in english.items] == [
        ("e1:en:mcq", "en", "B")
    ]
    assert [(i.item_id, i.question) for i in chinese.items] == [("z1:zh:mcq", "哪种气体？")]
    # The run records where the file came from: the cached snapshot of that commit.
    assert english.path.endswith(f"snapshots/{COMMIT}/anesbench_en.json")
    assert english.path.startswith(str(cache))


def test_any_file_of_any_dataset_by_its_path_in_the_repository(tmp_path, monkeypatch):
    cache = hub_cache(tmp_path, monkeypatch)
    put(cache, "someone/bench", "data/test.jsonl", '{"id": "g1", "question": "Q?"}\n')
    bench = load("hf:someone/bench/data/test.jsonl")
    assert [item.question for item in bench.items] == ["Q?"]


def test_offline_without_the_file_in_the_cache_says_how_to_download_it(tmp_path, monkeypatch):
    hub_cache(tmp_path, monkeypatch)
    message = error_of("MiliLab/AnesBench", lang="zh")
    assert "hf:MiliLab/AnesBench/anesbench_zh.json" in message
    assert "could not reach the Hugging Face Hub" in message
    assert (
        "hf download MiliLab/AnesBench anesbench_zh.json --repo-type dataset "
        "--local-dir data/anesbench"
    ) in message


def test_without_huggingface_hub_the_error_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_hub(name, *args, **kwargs):
        if name == "huggingface_hub":
            raise ImportError("No module named 'huggingface_hub'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hub)
    message = error_of("llmeval-fdu/LLMEval-Med")
    assert "huggingface_hub, which is not installed" in message
    assert "pip install 'medjudge[hub]'" in message
    assert "hf download llmeval-fdu/LLMEval-Med dataset.json" in message


def test_names_that_do_not_say_which_file_are_refused_before_any_download():
    def never(**_: object) -> str:
        raise AssertionError("nothing may be downloaded")

    assert "name the file: hf:someone/bench/FILE" in error_of("someone/bench", download=never)
    assert "not a Hugging Face dataset name" in error_of("MiliLab", download=never)
    both = error_of("MiliLab/AnesBench", lang="both", download=never)
    assert "hf:MiliLab/AnesBench/anesbench_en.json" in both and "one at a time" in both


def _raising(class_name: str):
    """A download that fails with huggingface_hub's own error of that name."""
    errors = pytest.importorskip("huggingface_hub.errors")
    error_class = getattr(errors, class_name)
    message = "404 Client Error for url https://huggingface.co/datasets/MiliLab/AnesBench"
    if issubclass(error_class, errors.HfHubHTTPError):  # these carry the HTTP response
        http = importlib.import_module(errors.Response.__module__.split(".")[0])
        request = http.Request("GET", "https://huggingface.co/datasets/MiliLab/AnesBench")
        error = error_class(message, response=http.Response(404, request=request))
    else:
        error = error_class(message)

    def download(**_: object) -> str:
        raise error

    return download


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("GatedRepoError", "this dataset is gated"),
        ("RepositoryNotFoundError", "has no such dataset"),
        ("RemoteEntryNotFoundError", "the dataset has no such file"),
        ("LocalEntryNotFoundError", "could not reach the Hugging Face Hub"),
        ("OfflineModeIsEnabled", "could not reach the Hugging Face Hub"),
        ("HfHubHTTPError", "the download failed (HfHubHTTPError: 404 Client Error"),
    ],
)
def test_each_hub_failure_becomes_one_clear_error(class_name: str, expected: str):
    message = error_of("MiliLab/AnesBench", download=_raising(class_name))
    assert message.startswith("hf:MiliLab/AnesBench/anesbench_en.json: ")
    assert expected in message


def test_the_download_is_asked_for_the_dataset_file(tmp_path: Path):
    asked: list[dict] = []
    target = tmp_path / "dataset.json"

    def download(**kwargs: object) -> str:
        asked.append(kwargs)
        return str(target)

    assert hub_file("llmeval-fdu/LLMEval-Med", download=download) == target
    assert asked == [
        {"repo_id": "llmeval-fdu/LLMEval-Med", "filename": "dataset.json", "repo_type": "dataset"}
    ]
