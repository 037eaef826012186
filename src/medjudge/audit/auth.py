"""Reviewer tokens, signed session cookies and CSRF tokens.

- A reviewer's sign-in token is `secrets.token_urlsafe(32)` (256 random bits), shown once; the
  store keeps only its SHA-256, so a copy of the store does not let anyone sign in.
- A session is a cookie `payload.signature`: the payload (reviewer, expiry, a random nonce) in
  base64url JSON, the signature an HMAC-SHA256 of it under a per-server secret. A restarted
  server has a new secret, so old cookies simply ask the reviewer to sign in again.
- A CSRF token is an HMAC of the session's nonce under the same secret: every form carries it,
  and a POST whose token does not match its own session is refused. The sign-in form, sent
  before any session exists, is tied the same way to a short-lived pre-session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from medjudge.errors import ConfigError, StoreError
from medjudge.store import Store

__all__ = [
    "DEFAULT_SESSION_TTL_S",
    "SESSION_COOKIE",
    "SIGNIN_COOKIE",
    "Session",
    "SessionSigner",
    "add_reviewer",
    "hash_token",
    "new_token",
]

DEFAULT_SESSION_TTL_S = 12 * 3600
SESSION_COOKIE = "medjudge_session"
SIGNIN_COOKIE = "medjudge_signin"
#: How long a sign-in form stays valid (its pre-session cookie's lifetime).
SIGNIN_FORM_TTL_S = 3600


def new_token() -> str:
    """A one-time sign-in token for a new reviewer (shown once, never stored)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the store keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def add_reviewer(store: str | Path, name: str) -> str:
    """Register a reviewer; returns their one-time sign-in token (the store keeps its hash)."""
    path = Path(store)
    if not path.is_file():
        raise StoreError(f"{path}: no such store; run `medjudge answer` first")
    name = name.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise ConfigError(f"reviewer name {name!r}: use 1 to 100 printable characters")
    token = new_token()
    with Store(path) as db:
        db.add_reviewer(name, hash_token(token))
    return token


@dataclass(frozen=True)
class Session:
    reviewer: str
    expires_at: float
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens under one secret."""

    def __init__(self, secret: bytes | None = None, *, ttl_s: float = DEFAULT_SESSION_TTL_S):
        if ttl_s <= 0:
            raise ValueError("the session lifetime must be positive")
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def _mac(self, purpose: str, message: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}\x00{message}".encode(), hashlib.sha256)
        return _b64(digest.digest())

    # -- sessions ----------------------------------------------------------------------------
    def issue(self, reviewer: str, *, now: float | None = None) -> tuple[Session, str]:
        """A new session for `reviewer` and its cookie value."""
        start = time.time() if now is None else now
        session = Session(reviewer=reviewer, expires_at=start + self.ttl_s,
                          nonce=secrets.token_urlsafe(16))
        payload = _b64(json.dumps(
            {"r": session.reviewer, "e": session.expires_at, "n": session.nonce},
            ensure_ascii=False,
        ).encode("utf-8"))
        return session, f"{payload}.{self._mac('session', payload)}"

    def read(self, cookie: str | None, *, now: float | None = None) -> Session | None | str:
        """The session in `cookie`; None when there is no cookie; "expired" when it was signed
        by this server but has run out, "invalid" when it was not signed by this server."""
        if not cookie:
            return None
        payload, _, signature = cookie.partition(".")
        if not signature or not hmac.compare_digest(signature, self._mac("session", payload)):
            return "invalid"
        try:
            data = json.loads(_unb64(payload))
            session = Session(reviewer=str(data["r"]), expires_at=float(data["e"]),
                              nonce=str(data["n"]))
        except (ValueError, KeyError, TypeError):
            return "invalid"
        if session.expires_at <= (time.time() if now is None else now):
            return "expired"
        return session

    # -- CSRF --------------------------------------------------------------------------------
    def csrf_token(self, session: Session) -> str:
        return self._mac("csrf", session.nonce)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))

    # -- the sign-in form (before any session exists) ----------------------------------------
    def signin_nonce(self) -> tuple[str, str]:
        """A pre-session cookie value and the CSRF token its sign-in form carries."""
        nonce = f"{int(time.time())}.{secrets.token_urlsafe(16)}"
        return nonce, self._mac("signin", nonce)

    def signin_ok(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        issued, _, _ = nonce.partition(".")
        try:
            fresh = time.time() - int(issued) < SIGNIN_FORM_TTL_S
        except ValueError:
            return False
        return fresh and hmac.compare_digest(str(token), self._mac("signin", nonce))
