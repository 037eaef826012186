"""`medjudge audit add-reviewer` and `medjudge audit serve` from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.audit import hash_token
from medjudge.cli.main import app

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """uvicorn.run recorded instead of serving."""
    calls: list[dict] = []
    monkeypatch.setattr("medjudge.audit.server.uvicorn.run",
                        lambda app, **kwargs: calls.append(kwargs))
    return calls


def test_add_reviewer_prints_a_token_and_stores_only_its_hash(store: Path):
    result = runner.invoke(app, ["audit", "add-reviewer", "Dr. Wang", "--store", str(store)])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    db = sqlite3.connect(store)
    rows = db.execute("SELECT name, token_hash FROM reviewers").fetchall()
    assert rows == [("Dr. Wang", hash_token(token))]
    assert token.encode() not in store.read_bytes()


def test_a_second_reviewer_with_the_same_name_is_a_clear_error(store: Path):
    runner.invoke(app, ["audit", "add-reviewer", "alice", "--store", str(store)])
    result = runner.invoke(app, ["audit", "add-reviewer", "alice", "--store", str(store)])
    assert result.exit_code == 2 and "already exists" in result.output


def test_serve_binds_loopback_by_default(store: Path, served: list[dict]):
    result = runner.invoke(app, ["audit", "serve", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "127.0.0.1", "port": 8765, "log_level": "warning",
                       "server_header": False}]
    assert "warning" not in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_a_non_loopback_host_needs_allow_remote(store: Path, served: list[dict], host: str):
    result = runner.invoke(app, ["audit", "serve", "--store", str(store), "--host", host])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output and served == []


def test_allow_remote_serves_with_a_warning(store: Path, served: list[dict]):
    result = runner.invoke(app, ["audit", "serve", "--store", str(store), "--host", "0.0.0.0",
                                 "--port", "9000", "--allow-remote"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "other machines can reach" in result.output
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 9000


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_other_loopback_addresses_need_no_flag(store: Path, served: list[dict], host: str):
    result = runner.invoke(app, ["audit", "serve", "--store", str(store), "--host", host])
    assert result.exit_code == 0, result.output
    assert served[0]["host"] == host


def test_serve_without_a_store_says_so(tmp_path: Path, served: list[dict]):
    result = runner.invoke(app, ["audit", "serve", "--store", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2 and "no such store" in result.output and served == []
