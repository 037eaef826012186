"""The audit page under test: a real uvicorn server on a loopback port, over a store of judged
answers, and physicians' clients speaking real HTTP to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.audit_client import ReviewerClient
from support.audit_data import build_store

from medjudge.audit import BackgroundServer, add_reviewer, create_app


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """40 judged answers (two judges each) in run `run-a`."""
    return build_store(tmp_path / "audit.sqlite", answers=40)


@pytest.fixture
def tokens(store: Path) -> dict[str, str]:
    return {name: add_reviewer(store, name) for name in ("alice", "bob")}


@pytest.fixture
def serve(store: Path) -> Iterator[Callable[..., BackgroundServer]]:
    """serve(**create_app options) -> a running server (stopped after the test)."""
    running: list[BackgroundServer] = []

    def start(**options: object) -> BackgroundServer:
        server = BackgroundServer(create_app(store, **options))
        running.append(server.__enter__())
        return server

    yield start
    for server in running:
        server.__exit__(None, None, None)


@pytest.fixture
def server(serve: Callable[..., BackgroundServer]) -> BackgroundServer:
    return serve()


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[Callable[[str | None], ReviewerClient]]:
    """client(token) -> a signed-in reviewer's client (client(None): not signed in)."""
    made: list[ReviewerClient] = []

    def make(token: str | None) -> ReviewerClient:
        reviewer = ReviewerClient(server.url)
        made.append(reviewer)
        if token is not None:
            response = reviewer.sign_in(token)
            assert response.status_code == 303, response.text
        return reviewer

    yield make
    for reviewer in made:
        reviewer.close()

