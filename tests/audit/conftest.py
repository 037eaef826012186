"""The audit page under test: a real uvicorn server on a loopback port, over a store of judged
answers, and physicians' clients speaking real HTTP to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support.audit_client import ReviewerClient
from support.audit_data import build_store
from support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

from medjudge.audit import BackgroundServer, add_reviewer, create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


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


# -- a real browser --------------------------------------------------------------------------
# Module scope, not session scope: while Playwright's sync API is alive it marks its own event
# loop as running in the main thread, so any later test calling asyncio.run() (the OpenAI
# client, grading) would fail. One browser serves the whole browser-test module; it is closed
# when that module is done.


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright, one per test module."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` (make browser)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Python playwright is not installed (the [dev] extra)")
    sync_api.expect.set_options(timeout=10_000)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium: Browser, server: BackgroundServer) -> Iterator[Callable[..., Page]]:
    """open_page(**context options) -> a tab in a fresh browser context (its own cookies) on
    the test's server. Fails the test if the page's own script threw an uncaught error."""
    contexts = []
    errors: list[str] = []

    def make(**options: Any) -> Page:
        context = chromium.new_context(base_url=server.url, viewport=VIEWPORT,
                                       locale="en-US", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    if errors:
        pytest.fail(f"the page threw: {errors}")
