"""The pipeline as a library: the run file, which stage runs where, a stage in its own process."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge import api
from medjudge.errors import RubricError
from medjudge.pipeline import StageFailed, judge_stages, needs_own_process, run_pipeline
from medjudge.run_config import RunConfigError, load_run_config, parse_run_config
from medjudge.store import Store

MINIMAL = "store: s.sqlite\nbenchmark:\n  path: sample:anesbench\n"


def test_relative_paths_are_read_from_the_run_files_folder(tmp_path: Path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "evaluation.yaml").write_text(
        "store: out/run.sqlite\n"
        "benchmark:\n  path: data/bench.jsonl\n"
        "judges:\n  models: [gpt-4o]\n  rubric: my-rubric.yaml\n"
        "report:\n  html: out/report.html\n"
        , encoding="utf-8")
    config = load_run_config(folder / "evaluation.yaml")
    assert config.store == folder / "out" / "run.sqlite"
    assert config.benchmark.path == str(folder / "data" / "bench.jsonl")
    assert config.judges is not None and config.judges.rubric == folder / "my-rubric.yaml"
    assert config.report.html == folder / "out" / "report.html"
    sample = parse_run_config(MINIMAL).relative_to(folder)
    assert sample.benchmark.path == "sample:anesbench"  # a sample is no path
    hub = parse_run_config(MINIMAL.replace("sample:anesbench", "hf:MiliLab/AnesBench"))
    assert hub.relative_to(folder).benchmark.path == "hf:MiliLab/AnesBench"  # nor a hub name


def test_defaults_and_short_judge_names():
    config = parse_run_config(MINIMAL + "judges:\n  models:\n    - gpt-4o\n"
                              "    - name: openai-compatible/qwen\n"
                              "      base_url: http://127.0.0.1:8000/v1\n")
    assert config.model.name is None and config.model.samples == 1
    assert config.model.sampling.temperature == 0.0 and config.report.format == "table"
    assert config.judges is not None
    assert [(m.name, m.base_url) for m in config.judges.models] == [
        ("openai/gpt-4o", None), ("openai-compatible/qwen", "http://127.0.0.1:8000/v1")
    ]
    assert parse_run_config(MINIMAL).judges is None  # no judges section: no grading


@pytest.mark.parametrize(("text", "line", "field", "problem"), [
    (MINIMAL + "model:\n  samples: 0\n", 5, "model.samples", "greater than or equal to 1"),
    (MINIMAL + "model:\n  sampling:\n    temperature: 3\n", 6, "model.sampling.temperature",
     "less than or equal to 2"),
    (MINIMAL + "judges:\n  models:\n    - gpt-4o\n    - gpt-4o\n", 5, "judges.models",
     "listed twice"),
    (MINIMAL + "judges:\n  models:\n    - gpt-4o\n    - name: mystery\n", 7,
     "judges.models.1.name", "unknown model 'mystery'"),
    (MINIMAL + "judges:\n  models: []\n", 5, "judges.models", "at least 1"),
    (MINIMAL + "report:\n  format: pdf\n", 5, "report.format", "'table', 'json'"),
    ("benchmark:\n  path: sample:anesbench\n", 1, "store", "Field required"),
    (MINIMAL + "stroe: x\n", 4, "stroe", "unknown field"),
])
def test_a_bad_field_is_named_with_its_line(text: str, line: int, field: str, problem: str):
    with pytest.raises(RunConfigError) as caught:
        parse_run_config(text, source="eval.yaml")
    error = caught.value
    assert (error.path, error.line, error.field) == ("eval.yaml", line, field)
    assert problem in error.problem
    assert str(error).startswith(f"eval.yaml, line {line}, field '{field}': ")


def test_broken_yaml_and_a_missing_file(tmp_path: Path):
    with pytest.raises(RunConfigError, match=r"^eval.yaml, line 3: not valid YAML"):
        parse_run_config("store: s\nbenchmark:\n  path: a: b\n", source="eval.yaml")
    with pytest.raises(RunConfigError, match="appears twice"):
        parse_run_config("store: a\nstore: b\n", source="eval.yaml")
    with pytest.raises(RunConfigError, match="expected a mapping"):
        parse_run_config("- store\n", source="eval.yaml")
    with pytest.raises(RunConfigError, match="file not found"):
        load_run_config(tmp_path / "nope.yaml")


def test_local_engines_get_their_own_process_and_api_judges_share_one_stage():
    assert needs_own_process("vllm/Qwen/Qwen2.5-7B-Instruct")
    assert not needs_own_process("gpt-4o") and not needs_own_process("openai-compatible/m")
    config = parse_run_config(MINIMAL + "judges:\n  models: [vllm/a, gpt-4o, vllm/b, "
                              "claude-sonnet-4-5]\n")
    assert config.judges is not None
    assert judge_stages(config.judges) == [
        ("openai/gpt-4o", "anthropic/claude-sonnet-4-5"), ("vllm/a",), ("vllm/b",)
    ]


def test_a_missing_rubric_stops_before_anything_runs(tmp_path: Path):
    config = load_run_config(_write(tmp_path, MINIMAL.replace(
        "sample:anesbench", "sample:llmeval-med") + "judges:\n  models: [gpt-4o]\n"
        "  rubric: no-such-rubric.yaml\n"))
    with pytest.raises(RubricError, match="no-such-rubric.yaml"):
        run_pipeline(config)
    assert not (tmp_path / "s.sqlite").exists()


def _write(folder: Path, text: str) -> Path:
    path = folder / "evaluation.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _answering_in_own_process(folder: Path, url: str, bench: str) -> Path:
    return _write(folder, f"store: s.sqlite\nbenchmark:\n  path: {bench}\n  limit: 3\n"
                  f"model:\n  name: openai-compatible/m\n  base_url: {url}\n")


def test_a_stage_in_its_own_process_stores_its_answers(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("medjudge.pipeline.needs_own_process", lambda model: True)
    # Only the parent's api.answer is broken: the stage succeeds only if a child runs it.
    monkeypatch.setattr(api, "answer", lambda *a, **k: pytest.fail("answered in-process"))
    seen: list[str] = []
    with FakeOpenAI([Reply(text="Answer: B")]) as server:
        config = load_run_config(_answering_in_own_process(tmp_path, server.base_url,
                                                           "sample:anesbench"))
        result = run_pipeline(config, on_stage=lambda stage: seen.append(stage.stage))
    assert len(server.seen) == 3
    assert seen == ["answer", "score", "report"]
    answer = result.stages[0]
    assert answer.own_process and answer.complete and "3 answered, 0 failed" in answer.summary
    assert result.complete and result.report is not None and result.report.mcq
    with Store(tmp_path / "s.sqlite") as store:
        assert len(store.answers(result.run.run_id)) == 3


def test_bad_input_in_a_child_process_names_the_stage(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("medjudge.pipeline.needs_own_process", lambda model: True)
    config = load_run_config(_answering_in_own_process(tmp_path, "http://127.0.0.1:9/v1",
                                                       "missing.json"))
    with pytest.raises(StageFailed) as caught:
        run_pipeline(config)
    assert caught.value.stage == "answer" and caught.value.kind == "DatasetError"
    assert str(caught.value).startswith("stage 'answer': ") and "missing.json" in str(caught.value)
    assert not (tmp_path / "s.sqlite").exists()


def test_the_run_file_takes_the_prompt_settings_and_the_run_uses_them(tmp_path: Path):
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "system.txt").write_text("你是一名麻醉科医生。\n", encoding="utf-8")
    with FakeOpenAI([Reply(text="Answer: B")]) as server:
        path = _write(tmp_path, f"store: s.sqlite\nbenchmark:\n  path: sample:anesbench\n"
                      f"  limit: 1\nmodel:\n  name: openai-compatible/m\n  base_url: {server.base_url}\n"
                      "  prompt_template: anesbench-step-by-step\n"
                      "  system_prompt: '@prompts/system.txt'\n"
                      "  chat_template_kwargs:\n    enable_thinking: false\n")
        config = load_run_config(path)
        assert config.model.system_prompt == "你是一名麻醉科医生。\n"
        result = run_pipeline(config)
    body = server.seen[0].body
    assert body["messages"][0] == {"role": "system", "content": "你是一名麻醉科医生。\n"}
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    with Store(tmp_path / "s.sqlite") as store:
        assert store.run(result.run.run_id).prompt.template == "anesbench-step-by-step"


@pytest.mark.parametrize(("text", "line", "field", "problem"), [
    (MINIMAL + "model:\n  prompt_template: cot\n", 5, "model.prompt_template",
     "the templates are: default, anesbench-step-by-step"),
    (MINIMAL + "model:\n  system_prompt: ' '\n", 5, "model.system_prompt", "is empty"),
    (MINIMAL + "model:\n  chat_template_kwargs: [1]\n", 5, "model.chat_template_kwargs",
     "valid dictionary"),
])
def test_bad_prompt_settings_in_the_run_file_are_named(text, line, field, problem):
    with pytest.raises(RunConfigError) as caught:
        parse_run_config(text, source="eval.yaml")
    assert (caught.value.line, caught.value.field) == (line, field)
    assert problem in caught.value.problem


def test_a_missing_system_prompt_file_is_named_with_the_run_file(tmp_path: Path):
    path = _write(tmp_path, MINIMAL + "model:\n  system_prompt: '@nope.txt'\n")
    with pytest.raises(RunConfigError, match=r"field 'model.system_prompt'.*nope.txt: no such"):
        load_run_config(path)
