"""Providers are plugins: a prefix names a factory, built in, registered by code, or declared by
an installed package's `medjudge.models` entry point; `medjudge answer` uses any of them."""

from __future__ import annotations

import sqlite3
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.errors import ConfigError, MissingDependency
from medjudge.models import (
    ClientOptions,
    canonical_name,
    create_client,
    register_provider,
    registered_prefixes,
    registry,
)
from medjudge.records import ChatRequest, Completion

BUILT_IN = ["anthropic", "openai", "openai-compatible", "vllm"]


class EchoClient:
    """A custom client: answers every request with its model name and the last message."""

    def __init__(self, model: str, options: ClientOptions) -> None:
        self.name = f"echo/{model}"
        self.model = model
        self.options = options
        self.closed = False

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        return [Completion(text=f"{self.model} says {r.messages[-1].content[:20]}")
                for r in requests]

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers into an empty registry of its own."""
    monkeypatch.setattr(registry, "_REGISTERED", {})


def plugin_package(root: Path, prefix: str, module: str, body: str) -> None:
    """An installed package as importlib.metadata sees it: a module and a dist-info folder."""
    (root / f"{module}.py").write_text(textwrap.dedent(body))
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[medjudge.models]\n{prefix} = {module}:make\n")


PLUGIN = """
    from medjudge.records import Completion

    class PluggedClient:
        def __init__(self, model, options):
            self.name = "plugged/" + model
            self.concurrency_seen = options.concurrency

        def generate(self, requests):
            return [Completion(text="plugged answer") for _ in requests]

        def close(self):
            pass

    def make(model, options):
        return PluggedClient(model, options)
"""


@pytest.fixture
def plugged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    plugin_package(tmp_path, "plugged", "medjudge_plugged_provider", PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "plugged"
    sys.modules.pop("medjudge_plugged_provider", None)


# ---------------------------------------------------------------------------------------
# Names


def test_short_names_become_canonical_and_prefixed_names_stay() -> None:
    assert canonical_name("gpt-4o") == "openai/gpt-4o"
    assert canonical_name("o3-mini") == "openai/o3-mini"
    assert canonical_name("claude-sonnet-4") == "anthropic/claude-sonnet-4"
    assert canonical_name("vllm/Qwen/Qwen2.5-7B-Instruct") == "vllm/Qwen/Qwen2.5-7B-Instruct"
    assert canonical_name("openai-compatible/x") == "openai-compatible/x"


def test_an_unknown_prefix_lists_the_registered_ones() -> None:
    register_provider("echo", EchoClient)
    with pytest.raises(ConfigError) as caught:
        create_client("Qwen/Qwen2.5-7B-Instruct")
    message = str(caught.value)
    assert "unknown model 'Qwen/Qwen2.5-7B-Instruct'" in message
    assert "anthropic, echo, openai, openai-compatible, vllm" in message


# ---------------------------------------------------------------------------------------
# Registered by code


def test_a_registered_provider_makes_the_client_with_the_model_and_options() -> None:
    register_provider("echo", EchoClient)
    client = create_client("echo/tiny", ClientOptions(concurrency=3))
    assert isinstance(client, EchoClient)
    assert (client.model, client.options.concurrency) == ("tiny", 3)
    assert canonical_name("echo/tiny") == "echo/tiny"
    assert "echo" in registered_prefixes()


def test_built_in_prefixes_cannot_be_replaced_and_bad_prefixes_are_refused() -> None:
    for prefix in BUILT_IN:
        with pytest.raises(ConfigError, match="built in"):
            register_provider(prefix, EchoClient)
    for prefix in ("Echo", "a/b", "", "-x"):
        with pytest.raises(ConfigError, match="prefix"):
            register_provider(prefix, EchoClient)
    assert registered_prefixes() == BUILT_IN


def test_a_factory_that_returns_no_client_is_a_clear_error() -> None:
    register_provider("broken", lambda model, options: "not a client")
    with pytest.raises(ConfigError, match="returned str, not a ModelClient"):
        create_client("broken/x")


def test_answer_runs_a_registered_provider(tmp_path: Path) -> None:
    from medjudge.cli.main import app

    register_provider("echo", EchoClient)
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        app, ["answer", "sample:generic", "--model", "echo/tiny", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(store) as db:
        texts = [row[0] for row in db.execute("SELECT text FROM answers")]
    assert texts and all(text.startswith("tiny says ") for text in texts)


# ---------------------------------------------------------------------------------------
# Declared by an installed package


def test_an_entry_point_provider_is_found_without_registering(plugged: str) -> None:
    assert plugged in registered_prefixes()
    client = create_client(f"{plugged}/m1", ClientOptions(concurrency=5))
    assert client.name == "plugged/m1"
    assert client.concurrency_seen == 5


def test_answer_runs_an_entry_point_provider(plugged: str, tmp_path: Path) -> None:
    from medjudge.cli.main import app

    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        app, ["answer", "sample:generic", "--model", f"{plugged}/m1", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(store) as db:
        rows = db.execute("SELECT DISTINCT r.model, a.text FROM answers a "
                          "JOIN runs r USING (run_id)").fetchall()
    assert rows == [("plugged/m1", "plugged answer")]


def test_an_entry_point_that_cannot_load_names_itself(tmp_path: Path, monkeypatch) -> None:
    plugin_package(tmp_path, "ghost", "medjudge_ghost_provider", "import no_such_module_x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError) as caught:
        create_client("ghost/m")
    assert "medjudge_ghost_provider:make" in str(caught.value)
    assert "no_such_module_x" in str(caught.value)


# ---------------------------------------------------------------------------------------
# Missing SDKs


@pytest.mark.parametrize(("name", "sdk"), [("anthropic/claude-x", "anthropic"),
                                            ("openai/gpt-4o", "openai")])
def test_a_missing_sdk_names_its_pip_extra(name: str, sdk: str, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, sdk, None)  # as if not installed: find_spec → None
    with pytest.raises(MissingDependency) as caught:
        create_client(name)
    assert caught.value.extra == sdk
    assert f"pip install 'medjudge[{sdk}]'" in str(caught.value)
