"""vLLM engine options: each reaches the kwargs of `vllm.LLM`, eager mode follows the
platform, and a bad engine arg is a ConfigError naming it. No engine is started here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from medjudge.errors import ConfigError
from medjudge.models import ClientOptions, create_client
from medjudge.models.engine_options import (
    EngineOptions,
    check_engine_args,
    engine_kwargs,
    parse_engine_args,
)
from medjudge.models.vllm import VllmClient

STRUCTURED = {"backend": "xgrammar"}


def kwargs(options: EngineOptions, *, on_cpu: bool = False) -> dict[str, Any]:
    return engine_kwargs(
        options, "/models/m", on_cpu=on_cpu, max_model_len=2048, dtype="auto",
        kv_cache_gib=0.5, structured_outputs=STRUCTURED,
    )


def test_defaults_give_one_device_and_vllms_own_memory_and_quantization():
    built = kwargs(EngineOptions())

    assert built == {
        "model": "/models/m", "max_model_len": 2048, "enforce_eager": False, "dtype": "auto",
        "tensor_parallel_size": 1, "pipeline_parallel_size": 1, "data_parallel_size": 1,
        "structured_outputs_config": STRUCTURED,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tensor_parallel_size", 4),
        ("pipeline_parallel_size", 2),
        ("data_parallel_size", 3),
        ("gpu_memory_utilization", 0.75),
        ("quantization", "awq"),
        ("distributed_executor_backend", "ray"),
        ("enforce_eager", True),
    ],
)
def test_each_named_option_reaches_the_kwargs(field: str, value: object):
    assert kwargs(EngineOptions(**{field: value}))[field] == value


def test_eager_by_default_on_a_cpu_only_and_an_explicit_choice_wins():
    assert kwargs(EngineOptions(), on_cpu=True)["enforce_eager"] is True
    assert kwargs(EngineOptions(), on_cpu=False)["enforce_eager"] is False
    assert kwargs(EngineOptions(enforce_eager=False), on_cpu=True)["enforce_eager"] is False
    assert kwargs(EngineOptions(enforce_eager=True), on_cpu=False)["enforce_eager"] is True


def test_kv_cache_size_is_set_on_a_cpu_only():
    assert kwargs(EngineOptions(), on_cpu=True)["kv_cache_memory_bytes"] == 1 << 29
    assert "kv_cache_memory_bytes" not in kwargs(EngineOptions(), on_cpu=False)


def test_engine_args_are_passed_through():
    built = kwargs(EngineOptions(engine_args={"max_num_seqs": 4, "seed": 7}))

    assert (built["max_num_seqs"], built["seed"]) == (4, 7)


def test_engine_arg_values_are_json_when_they_parse_else_text():
    parsed = parse_engine_args(
        ["max_num_seqs=4", "cpu_offload_gb=1.5", "trust_remote_code=true", "tokenizer=a/b",
         'hf_overrides={"x": 1}']
    )

    assert parsed == {
        "max_num_seqs": 4, "cpu_offload_gb": 1.5, "trust_remote_code": True, "tokenizer": "a/b",
        "hf_overrides": '{"x": 1}',
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("max_num_seqs", "is not KEY=VALUE"),
        ("=4", "is not KEY=VALUE"),
        ("max-num-seqs=4", "must be a Python identifier"),
        ("tensor_parallel_size=2", "duplicates --tensor-parallel-size"),
        ("max_model_len=8192", "duplicates --max-model-len"),
    ],
)
def test_bad_engine_args_are_config_errors_naming_them(entry: str, message: str):
    with pytest.raises(ConfigError, match=message):
        parse_engine_args([entry])


def test_an_engine_arg_given_twice_is_refused():
    with pytest.raises(ConfigError, match="given twice"):
        parse_engine_args(["seed=1", "seed=2"])


def test_engine_options_are_bounded():
    for bad in ({"tensor_parallel_size": 0}, {"data_parallel_size": 0},
                {"gpu_memory_utilization": 0.0}, {"gpu_memory_utilization": 1.5},
                {"distributed_executor_backend": "slurm"}, {"engine_args": {"dtype": "x"}},
                {"nonsense": 1}):
        with pytest.raises(ValidationError):
            EngineOptions(**bad)


def test_unknown_engine_arg_is_refused_with_close_matches():
    known = frozenset({"max_num_seqs", "seed", "cpu_offload_gb"})

    check_engine_args(["max_num_seqs", "seed"], known)
    with pytest.raises(ConfigError, match="no engine argument 'max_num_seq'.*max_num_seqs"):
        check_engine_args(["max_num_seq"], known)


def test_the_real_engine_args_know_the_named_options_and_refuse_typos():
    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    from medjudge.models.engine_options import NAMED_OPTIONS, vllm_engine_fields

    assert set(NAMED_OPTIONS) <= vllm_engine_fields()
    with pytest.raises(ConfigError, match="did you mean.*max_num_seqs"):
        VllmClient("HuggingFaceTB/SmolLM2-135M-Instruct",
                   engine=EngineOptions(engine_args={"max_num_seq": 4}))


def test_client_options_reach_vllm_llm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    vllm = pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    for name, value in (("VLLM_CACHE_ROOT", str(tmp_path)), ("VLLM_NO_USAGE_STATS", "1"),
                        ("HF_HUB_OFFLINE", "1")):
        monkeypatch.setenv(name, value)
    seen: dict[str, Any] = {}

    class FakeLLM:
        def __init__(self, **given: Any) -> None:
            seen.update(given)

    monkeypatch.setattr(vllm, "LLM", FakeLLM)
    engine = EngineOptions(tensor_parallel_size=2, quantization="fp8", enforce_eager=False,
                           engine_args={"max_num_seqs": 2})
    client = create_client(f"vllm/{tmp_path}", ClientOptions(
        max_model_len=1024, dtype="float16", engine=engine, probe=False))
    client.start()
    client.close()

    assert seen["model"] == str(tmp_path.resolve())
    assert (seen["max_model_len"], seen["dtype"]) == (1024, "float16")
    assert (seen["tensor_parallel_size"], seen["quantization"]) == (2, "fp8")
    assert (seen["enforce_eager"], seen["max_num_seqs"]) == (False, 2)


def test_data_parallel_in_one_offline_engine_is_refused_before_vllm_would_hang():
    with pytest.raises(ConfigError, match="vllm serve MODEL --data-parallel-size N"):
        VllmClient("HuggingFaceTB/SmolLM2-135M-Instruct",
                   engine=EngineOptions(data_parallel_size=2))


def test_unknown_quantization_is_refused_with_close_matches():
    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    VllmClient("HuggingFaceTB/SmolLM2-135M-Instruct", engine=EngineOptions(quantization="awq"))
    with pytest.raises(ConfigError, match="--quantization awk: .*did you mean awq"):
        VllmClient("HuggingFaceTB/SmolLM2-135M-Instruct",
                   engine=EngineOptions(quantization="awk"))
