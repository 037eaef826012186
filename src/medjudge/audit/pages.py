"""Rendering: the Jinja2 environment (autoescape on for every template), the messages the pages
show, the keyboard map, and the security headers every response carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medjudge import __version__
from medjudge.audit.review import VerdictRef, cap_note

__all__ = ["MESSAGES", "SHORTCUTS", "Pages", "SecurityHeaders", "message"]

#: Message codes carried in a redirect's `msg` parameter → (kind, text). Only these texts are
#: ever shown, so a crafted link cannot put words in the page's mouth.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("warn", "Sign in with your reviewer token to continue"),
    "expired": ("warn", "Your session has expired. Sign in again with your token"),
    "signed_out": ("ok", "You are signed out"),
    "saved_agree": ("ok", "Saved: you agreed with the verdict"),
    "saved_override": ("ok", "Saved: your override and its reason"),
    "saved_comment": ("ok", "Saved: your comment"),
    "saved_flag": ("ok", "Saved: the item is flagged"),
    "saved_blind": ("ok", "Saved: your blind rating. The judges' verdicts are now shown"),
    "skipped": ("ok", "Skipped"),
    "duplicate": ("warn", "Already saved: this form was sent twice and stored once"),
    "queue_done": ("ok", "Nothing left in the queue with these filters"),
}

#: (key, what it does): shown on the page; audit.js acts on the elements' data-key attributes.
SHORTCUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "review": (
        ("a", "agree with the chosen verdict"),
        ("v", "choose the next verdict"),
        ("o", "override: go to the reason"),
        ("1–5", "pick the score"),
        ("r", "cycle the safety risk"),
        ("c", "comment"),
        ("f", "flag the item"),
        ("s", "skip to the next answer"),
        ("q", "back to the queue"),
        ("Ctrl+Enter", "send the form you are typing in"),
        ("Esc", "leave the field"),
    ),
    "blind": (
        ("1–5", "pick your score"),
        ("r", "cycle your safety risk"),
        ("b", "submit the blind rating"),
        ("c", "comment"),
        ("f", "flag the item"),
        ("s", "skip to the next answer"),
        ("q", "back to the queue"),
        ("Ctrl+Enter", "send the form you are typing in"),
        ("Esc", "leave the field"),
    ),
    "queue": (("n", "review the next answer"),),
}


def message(code: str | None, about: str | None = None) -> dict[str, str] | None:
    """The message for a redirect's code; `about` (an item id) is appended as plain text."""
    if not code or code not in MESSAGES:
        return None
    kind, text = MESSAGES[code]
    if about and code not in ("required", "expired", "signed_out", "queue_done"):
        text = f"{text} ({about[:200]})"
    return {"kind": kind, "text": f"{text}."}


def _risk_label(risk: str | None) -> str:
    return {"none": "no safety risk", "concern": "safety concern",
            "serious": "serious safety risk"}.get(risk or "", "safety risk not stated")


class Pages:
    """Renders the package's templates; autoescaping is on for every one of them."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("medjudge.audit", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            static=lambda name: f"/static/{name}?v={__version__}",
            cap_note=cap_note,
            verdict_ref=lambda verdict: VerdictRef.of(verdict).encode(),
            risk_label=_risk_label,
            shortcuts=SHORTCUTS,
        )

    def render(self, name: str, *, status: int = 200,
               headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(**context)
        response = HTMLResponse(html, status_code=status, headers=headers)
        # Medical text and judgements: never kept in caches, never re-sent from history.
        response.headers["cache-control"] = "no-store"
        return response


_SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware: a strict Content-Security-Policy (no inline script can run even if text
    were ever rendered unescaped) and friends, on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(event: Message) -> None:
            if event["type"] == "http.response.start":
                headers = MutableHeaders(scope=event)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(event)

        await self.app(scope, receive, send_with_headers)
