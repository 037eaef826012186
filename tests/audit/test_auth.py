"""Signing in, sessions and CSRF on the real server: a wrong token, an expired session or a
forged form gets a clear page, never a 500, and nothing is written."""

from __future__ import annotations

import hashlib
import time

import pytest
from support.audit_client import ReviewerClient, location_params, review_path
from support.audit_data import RUN_ID, stored_audits

from medjudge.audit.auth import SESSION_COOKIE, SessionSigner, hash_token

MK = review_path(RUN_ID, "MK-0-1")


def test_good_token_signs_in_with_a_strict_httponly_cookie(server, tokens):
    reviewer = ReviewerClient(server.url)
    response = reviewer.sign_in(tokens["alice"])
    assert response.status_code == 303 and response.headers["location"] == "/queue"
    cookie = next(c for c in response.headers.get_list("set-cookie")
              if c.startswith("medjudge_session=")).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = reviewer.get("/queue")
    assert page.status == 200 and "signed in as" in page.html and "alice" in page.html
    reviewer.close()


def test_wrong_token_is_refused_with_a_clear_message(server, tokens):
    reviewer = ReviewerClient(server.url)
    response = reviewer.sign_in("not-a-token")
    assert response.status_code == 401
    assert "does not match any reviewer" in response.text
    assert "medjudge_session" not in response.headers.get("set-cookie", "")
    queue = reviewer.http.get("/queue")
    assert queue.status_code == 303 and location_params(queue)["msg"] == "required"
    reviewer.close()


def test_sign_in_without_the_forms_token_is_refused(server, tokens):
    reviewer = ReviewerClient(server.url)
    response = reviewer.post("/signin", {"token": tokens["alice"]})
    assert response.status_code == 403 and "Reload the sign-in page" in response.text
    assert "medjudge_session" not in response.headers.get("set-cookie", "")


def test_signed_out_pages_send_you_to_sign_in_and_back(server, tokens):
    reviewer = ReviewerClient(server.url)
    first = reviewer.http.get(MK)
    assert first.status_code == 303
    params = location_params(first)
    assert params["msg"] == "required" and params["next"] == MK
    page = reviewer.get(first.headers["location"])
    assert "Sign in with your reviewer token" in page.text("message")
    back = reviewer.http.post("/signin", data={**page.forms[-1].fields,
                                                "token": tokens["bob"]})
    assert back.headers["location"] == MK


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
])
def test_next_never_leaves_the_server(server, tokens, target):
    reviewer = ReviewerClient(server.url)
    page = reviewer.get("/signin")
    response = reviewer.http.post("/signin", data={**page.forms[-1].fields, "next": target,
                                                    "token": tokens["alice"]})
    assert response.headers["location"] == "/queue"


SECRET = b"test-secret-of-the-audit-server-32b"


def _use_session(reviewer: ReviewerClient, cookie: str) -> None:
    """Replace the reviewer's session cookie (the sign-in cookie goes too)."""
    reviewer.http.cookies.clear()
    reviewer.http.cookies.set(SESSION_COOKIE, cookie)


def test_expired_session_redirects_to_sign_in_with_a_message(serve, store, tokens):
    """A session cookie signed by this server whose lifetime ended an hour ago, made with the
    signer's own clock argument (`now`), instead of sleeping past a short lifetime."""
    server = serve(secret=SECRET)
    reviewer = ReviewerClient(server.url)
    assert reviewer.sign_in(tokens["alice"]).status_code == 303
    page = reviewer.get(MK)
    assert page.status == 200
    comment = page.form("comment-form")
    signer = SessionSigner(SECRET, ttl_s=3600.0)
    # Control: the same signer's cookie issued now is accepted, so only its age differs.
    _use_session(reviewer, signer.issue("alice")[1])
    assert reviewer.get(MK).status == 200
    _use_session(reviewer, signer.issue("alice", now=time.time() - 7200.0)[1])
    response = reviewer.http.get("/queue")
    assert response.status_code == 303 and location_params(response)["msg"] == "expired"
    shown = reviewer.get(response.headers["location"])
    assert "Your session has expired" in shown.text("message")
    # A form sent after expiry is not saved either.
    _use_session(reviewer, signer.issue("alice", now=time.time() - 7200.0)[1])
    posted = reviewer.submit(comment, follow=False, comment="too late")
    assert posted.status == 303 and stored_audits(store) == []
    reviewer.close()


def test_post_without_csrf_is_refused_with_403_and_nothing_saved(client, store, tokens):
    alice = client(tokens["alice"])
    form = alice.get(MK).form("comment-form")
    fields = {k: v for k, v in form.fields.items() if k != "csrf"}
    response = alice.post("/review", {**fields, "comment": "no token"})
    assert response.status_code == 403
    assert "security token is missing" in response.text
    assert stored_audits(store) == []


def test_csrf_token_of_another_session_is_refused(client, store, tokens):
    alice, bob = client(tokens["alice"]), client(tokens["bob"])
    bobs_form = bob.get(MK).form("comment-form")
    alices = alice.get(MK).form("comment-form")
    response = alice.post("/review", {**alices.fields, "csrf": bobs_form.fields["csrf"],
                                      "comment": "forged"})
    assert response.status_code == 403 and stored_audits(store) == []


def test_sign_out_ends_the_session(client, tokens):
    alice = client(tokens["alice"])
    page = alice.get("/queue")
    signout = next(f for f in page.forms if f.action == "/signout")
    response = alice.submit(signout, follow=False)
    assert response.status == 303
    assert alice.http.get("/queue").status_code == 303


def test_only_the_tokens_hash_is_stored(store, tokens):
    raw = store.read_bytes() + b"".join(
        p.read_bytes() for p in store.parent.glob(store.name + "-*"))
    for token in tokens.values():
        assert token.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest() == hash_token(token)


@pytest.mark.parametrize("tamper", [
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),
    lambda c: "x" + c,
    lambda c: c.split(".")[0],
])
def test_a_tampered_or_foreign_session_cookie_is_not_a_session(tamper):
    signer = SessionSigner(b"k" * 32, ttl_s=60)
    _, cookie = signer.issue("alice")
    assert signer.read(cookie).reviewer == "alice"
    assert signer.read(tamper(cookie)) == "invalid"
    assert SessionSigner(b"z" * 32).read(cookie) == "invalid"
    assert signer.read(cookie, now=time.time() + 61) == "expired"
