"""vLLM engine options on `medjudge answer` and `grade`: they reach the client's options, and a
bad `--engine-arg` exits with code 2 and one line, before any store is made. No engine starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import medjudge.models
from medjudge.cli.main import app
from medjudge.errors import ConfigError
from medjudge.models import ClientOptions

runner = CliRunner()

ENGINE_FLAGS = [
    "--max-model-len", "2048", "--tensor-parallel-size", "2", "--pipeline-parallel-size", "3",
    "--data-parallel-size", "4", "--gpu-memory-utilization", "0.8", "--quantization", "awq",
    "--no-enforce-eager", "--distributed-executor-backend", "ray",
    "--engine-arg", "max_num_seqs=64", "--engine-arg", "tokenizer=some/tok",
]


@pytest.fixture
def seen_options(monkeypatch: pytest.MonkeyPatch) -> list[ClientOptions]:
    """Replace client creation: record the options, then stop the command (exit 2)."""
    seen: list[ClientOptions] = []

    def record(spec: str, options: ClientOptions | None = None):
        seen.append(options or ClientOptions())
        raise ConfigError("stopped by the test")

    monkeypatch.setattr(medjudge.models, "create_client", record)
    return seen


def assert_engine_flags_arrived(options: ClientOptions) -> None:
    engine = options.engine
    assert options.max_model_len == 2048
    assert (engine.tensor_parallel_size, engine.pipeline_parallel_size,
            engine.data_parallel_size) == (2, 3, 4)
    assert (engine.gpu_memory_utilization, engine.quantization) == (0.8, "awq")
    assert (engine.enforce_eager, engine.distributed_executor_backend) == (False, "ray")
    assert engine.engine_args == {"max_num_seqs": 64, "tokenizer": "some/tok"}


def test_answer_engine_flags_reach_the_client_options(tmp_path: Path, seen_options):
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["answer", "sample:generic", "--store", str(store),
                                 *ENGINE_FLAGS])

    assert result.exit_code == 2, result.output
    assert_engine_flags_arrived(seen_options[0])
    assert not store.exists()


def test_answer_defaults_leave_eager_mode_to_the_platform(tmp_path: Path, seen_options):
    runner.invoke(app, ["answer", "sample:generic", "--store", str(tmp_path / "s.sqlite")])

    (options,) = seen_options
    assert options.engine.enforce_eager is None
    assert options.engine.engine_args == {}
    assert options.max_model_len == 4096


def test_grade_engine_flags_reach_the_vllm_judges_options(tmp_path: Path, seen_options):
    store = tmp_path / "s.sqlite"
    store.touch()  # grade checks that the store exists; the clients are made before it is read
    result = runner.invoke(app, ["grade", "--store", str(store), "--judge",
                                 "vllm/smollm2-135m-instruct", *ENGINE_FLAGS])

    assert result.exit_code == 2, result.output
    assert_engine_flags_arrived(seen_options[0])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("max_num_seqs", "is not KEY=VALUE"),
        ("tensor_parallel_size=2", "duplicates --tensor-parallel-size"),
        ("max_num_seq=4", "no engine argument 'max_num_seq'; did you mean max_num_seqs"),
    ],
)
def test_bad_engine_arg_exits_2_with_one_line_and_no_store(
    tmp_path: Path, entry: str, message: str
):
    if "no engine argument" in message:
        pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["answer", "sample:generic", "--store", str(store),
                                 "--engine-arg", entry])

    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not store.exists()


def test_grade_refuses_a_bad_engine_arg_before_looking_at_the_store(tmp_path: Path):
    result = runner.invoke(app, ["grade", "--store", str(tmp_path / "none.sqlite"), "--judge",
                                 "vllm/smollm2-135m-instruct", "--engine-arg", "dtype=half"])

    assert result.exit_code == 2
    assert "duplicates --dtype" in result.output


def test_data_parallel_in_the_offline_engine_exits_2_pointing_to_vllm_serve(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["answer", "sample:generic", "--store", str(store),
                                 "--data-parallel-size", "2"])

    assert result.exit_code == 2, result.output
    assert "vllm serve MODEL --data-parallel-size N" in " ".join(result.output.split())
    assert not store.exists()
