"""The wheel carries the rubrics: `pip install medjudge` finds every built-in rubric, from the
one copy kept in the repository's top-level `rubrics/`; and the answering stage's prompt
templates, package data under `medjudge/answering/prompt_templates/`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
RUBRICS = PROJECT / "rubrics"
TEMPLATES = PROJECT / "src" / "medjudge" / "answering" / "prompt_templates"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="the [dev] extra installs hatchling to build wheels")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(PROJECT), "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("medjudge-*.whl")
    return built


def unpack(wheel: Path, site: Path) -> Path:
    """The wheel's files as pip would install them (a wheel is a zip of the site-packages tree)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def run_from(site: Path, probe: str) -> dict:
    """Run `probe` in a fresh Python whose medjudge is the one in `site`; its printed JSON."""
    # PYTHONPATH comes before the editable install's path entry: the wheel's medjudge wins.
    env = os.environ | {"PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=site.parent, check=True, capture_output=True,
        text=True, timeout=120,
    )
    return json.loads(result.stdout)


def rubric_files() -> list[str]:
    return sorted(p.relative_to(RUBRICS).as_posix() for p in RUBRICS.rglob("*") if p.is_file())


def test_the_repository_keeps_the_rubrics_at_the_top_only() -> None:
    assert {"llmeval-med/MK.yaml", "anesbench/open-ended.yaml", "README.md"} <= set(rubric_files())
    assert not list((PROJECT / "src").rglob("*.yaml"))


def test_the_wheel_holds_every_rubric_file_byte_for_byte(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in rubric_files():
            assert f"medjudge/rubrics/{name}" in names, name
            assert archive.read(f"medjudge/rubrics/{name}") == (RUBRICS / name).read_bytes()


def test_an_installed_wheel_loads_the_builtin_rubrics_from_its_own_copy(
    wheel: Path, tmp_path: Path
) -> None:
    site = unpack(wheel, tmp_path / "site")
    probe = (
        "import json, medjudge\n"
        "from medjudge.judging.rubric import _builtin_folder, builtin_rubrics\n"
        "mse = builtin_rubrics()['llmeval-med-MSE']\n"
        "print(json.dumps({'package': medjudge.__file__, 'folder': str(_builtin_folder()),\n"
        "                  'ids': sorted(builtin_rubrics()), 'mse': mse.version}))\n"
    )
    seen = run_from(site, probe)
    assert Path(seen["package"]).is_relative_to(site)
    assert Path(seen["folder"]) == site / "medjudge" / "rubrics"
    assert seen["ids"] == sorted(
        [f"llmeval-med-{c}" for c in ("MK", "MLU", "MR", "MSE", "MTG")] + ["anesbench-open-ended"]
    )
    assert seen["mse"]


def template_files() -> list[str]:
    return sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*") if p.is_file())


def test_the_wheel_holds_every_prompt_template_byte_for_byte(wheel: Path) -> None:
    assert {"default/mcq_en.j2", "anesbench-step-by-step/mcq_system_zh.j2"} <= set(template_files())
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in template_files():
            packed = f"medjudge/answering/prompt_templates/{name}"
            assert packed in names, name
            assert archive.read(packed) == (TEMPLATES / name).read_bytes()
        assert not [n for n in names if n.startswith("medjudge/prompt_templates/")]


def test_an_installed_wheel_renders_prompts_from_its_own_templates(
    wheel: Path, tmp_path: Path
) -> None:
    site = unpack(wheel, tmp_path / "site")
    probe = (
        "import json\n"
        "from medjudge.answering import build_messages\n"
        "from medjudge.answering.prompts import _TEMPLATE_DIR, make_prompt\n"
        "from medjudge.records import Item\n"
        "item = Item(item_id='q1', conversation_id='q1', benchmark='b', language='en',\n"
        "            kind='mcq', question='Which drug?', options={'A': 'x', 'B': 'y', 'C': 'z'})\n"
        "prompt = make_prompt(template='anesbench-step-by-step')\n"
        "messages = build_messages([item], [], prompt)\n"
        "print(json.dumps({'folder': str(_TEMPLATE_DIR),\n"
        "                  'messages': [m.model_dump() for m in messages]}))\n"
    )
    seen = run_from(site, probe)
    assert Path(seen["folder"]) == site / "medjudge" / "answering" / "prompt_templates"
    system, user = seen["messages"]
    assert system["role"] == "system"
    assert system["content"].startswith(
        "You are a medical AI assistant specializing in anesthesiology"
    )
    assert user["role"] == "user"
    assert "select the most suitable one choice from A, B and C as the final answer" in (
        user["content"]
    )
    # The template ends with an empty line (AnesBench's format): the text ends "C. z\n".
    assert user["content"].endswith("as follows:\nWhich drug?\nA. x\nB. y\nC. z\n")
