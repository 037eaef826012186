"""Running the audit page: loopback by default, uvicorn in the foreground (`serve`) or in a
background thread on a free loopback port (`BackgroundServer`, for tests and benches)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import uvicorn

from medjudge.audit.app import create_app
from medjudge.audit.auth import DEFAULT_SESSION_TTL_S
from medjudge.errors import ConfigError

__all__ = ["BackgroundServer", "check_host", "is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool) -> bool:
    """True when `host` is reachable from other machines (allowed only with allow_remote)."""
    if is_loopback(host):
        return False
    if not allow_remote:
        raise ConfigError(
            f"--host {host} would let other machines reach the audit page (medical answers "
            "and physicians' ratings). Pass --allow-remote to do so deliberately, or keep the "
            "default 127.0.0.1."
        )
    return True


def serve(store: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          allow_remote: bool = False, session_ttl_s: float = DEFAULT_SESSION_TTL_S) -> None:
    """Serve the audit page until interrupted."""
    check_host(host, allow_remote=allow_remote)
    app = create_app(store, session_ttl_s=session_ttl_s)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)


class BackgroundServer:
    """`with BackgroundServer(app) as server: httpx.get(server.url + "/queue")` — uvicorn on
    127.0.0.1 and a free port, in a daemon thread, stopped on exit."""

    def __init__(self, app: Callable[..., Any], *, start_timeout_s: float = 15.0) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="audit-server",
                                        daemon=True)
        self._timeout = start_timeout_s
        self.url = ""

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the audit server did not start")
            time.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
