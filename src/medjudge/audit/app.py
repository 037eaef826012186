"""The physicians' audit page: a Starlette app, server-rendered (Jinja2, autoescaped).

Routes
  GET  /               → /queue
  GET  /signin         sign-in form (token)          POST /signin   check the token, start a session
  POST /signout        end the session
  GET  /queue          judged answers, filters, progress, paging
  GET  /next           → the next answer to review under the current filters
  GET  /review         one answer: conversation, reference, checklist, answer, verdicts, actions
  POST /review         one action → one audit row (agree, override, comment, flag, skip, blind)
  GET  /static/…       CSS and JS

Every database call runs in a worker thread on its own short-lived connection; every write is
one `Store.save_audit` transaction keyed by the form's request id, so a form sent twice is
stored once.
"""

from __future__ import annotations

import secrets
import threading
from contextlib import closing
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from medjudge.audit.actions import ActionError, build_audit
from medjudge.audit.auth import (
    DEFAULT_SESSION_TTL_S,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_FORM_TTL_S,
    Session,
    SessionSigner,
    hash_token,
)
from medjudge.audit.pages import Pages, SecurityHeaders, message
from medjudge.audit.queue import (
    FilterError,
    QueueFilters,
    ScreenMode,
    next_answer,
    progress,
    queue_page,
)
from medjudge.audit.review import NotFound, Screen, load_screen
from medjudge.errors import StoreError
from medjudge.records import AnswerKey
from medjudge.store import Store, utc_now
from medjudge.store.queries import Facets, connect, facets, items_signature, request_seen

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"
#: After these actions the page moves on to the next answer in the queue; after the others
#: (comment, flag, blind rating) it stays, so the physician sees what was saved.
_ADVANCE = {"agree", "override", "skip"}
_SAVED = {"agree": "saved_agree", "override": "saved_override", "comment": "saved_comment",
          "flag_item": "saved_flag", "blind_rating": "saved_blind", "skip": "skipped"}


class SignInRequired(Exception):
    def __init__(self, code: str, next_url: str = "/queue") -> None:
        super().__init__(code)
        self.code = code
        self.next_url = next_url


def _mode(params: Any) -> ScreenMode:
    return "blind" if params.get("mode") == "blind" else "review"


def _safe_next(url: str | None) -> str:
    """Only paths on this server (no open redirect)."""
    if (url and url.startswith("/") and not url.startswith("//") and "\\" not in url
            and url.isprintable() and " " not in url):
        return url
    return "/queue"


def _redirect(path: str, params: dict[str, str]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


class AuditApp:
    """Routes bound to one store and one session secret."""

    def __init__(self, store_path: Path, *, session_ttl_s: float, secret: bytes | None) -> None:
        self.store = store_path
        self.signer = SessionSigner(secret, ttl_s=session_ttl_s)
        self.pages = Pages()
        self._facets: tuple[tuple[int, int], Facets] | None = None
        self._facets_lock = threading.Lock()

    # -- sessions ------------------------------------------------------------------------
    def session(self, request: Request, next_url: str | None = None) -> Session:
        state = self.signer.read(request.cookies.get(SESSION_COOKIE))
        if isinstance(state, Session):
            return state
        if next_url is None:
            query = f"?{request.url.query}" if request.url.query else ""
            next_url = f"{request.url.path}{query}"
        raise SignInRequired("required" if state is None else "expired", next_url)

    async def form_for(self, request: Request, next_url: str = "/queue"
                       ) -> tuple[Session, dict[str, str]]:
        """The signed-in session and the POSTed form, its CSRF token checked."""
        session = self.session(request, next_url)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not self.signer.csrf_ok(session, fields.get("csrf")):
            raise HTTPException(403, "This form's security token is missing or does not belong "
                                     "to your session, so nothing was saved. Reload the page "
                                     "and try again.")
        return session, fields

    # -- sign-in ---------------------------------------------------------------------------
    async def signin_page(self, request: Request) -> Response:
        if isinstance(self.signer.read(request.cookies.get(SESSION_COOKIE)), Session):
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        return self._signin_form(request.query_params.get("next"),
                                 message(request.query_params.get("msg")))

    def _signin_form(self, next_url: str | None, note: dict[str, str] | None,
                     status: int = 200) -> Response:
        nonce, token = self.signer.signin_nonce()
        response = self.pages.render("signin.html", status=status, csrf=token, message=note,
                                     next=_safe_next(next_url), reviewer=None)
        response.set_cookie(SIGNIN_COOKIE, nonce, max_age=SIGNIN_FORM_TTL_S, path="/signin",
                            httponly=True, samesite="strict")
        return response

    async def signin(self, request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not self.signer.signin_ok(request.cookies.get(SIGNIN_COOKIE), fields.get("csrf")):
            raise HTTPException(403, "This sign-in form has expired or did not come from this "
                                     "page. Reload the sign-in page and try again.")
        token = (fields.get("token") or "").strip()
        reviewer = await run_in_threadpool(self._reviewer_for, token) if token else None
        if reviewer is None:
            return self._signin_form(fields.get("next"), {
                "kind": "error",
                "text": "That token does not match any reviewer. Check it, or ask for a new one "
                        "(medjudge audit add-reviewer NAME).",
            }, status=401)
        _, cookie = self.signer.issue(reviewer)
        response = RedirectResponse(_safe_next(fields.get("next")), 303)
        response.set_cookie(SESSION_COOKIE, cookie, path="/", httponly=True, samesite="strict")
        response.delete_cookie(SIGNIN_COOKIE, path="/signin")
        return response

    def _reviewer_for(self, token: str) -> str | None:
        with Store(self.store) as store:
            found = store.reviewer_for_token_hash(hash_token(token))
        return None if found is None else found.name

    async def signout(self, request: Request) -> Response:
        await self.form_for(request)
        response = _redirect("/signin", {"msg": "signed_out"})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- queue -------------------------------------------------------------------------------
    def _filters(self, params: Any) -> QueueFilters:
        try:
            return QueueFilters.from_query(params)
        except FilterError as exc:
            raise HTTPException(400, f"{exc}. Clear the filters and try again.") from None

    def _facets_for(self, db: Any) -> Facets:
        signature = items_signature(db)
        with self._facets_lock:
            if self._facets is None or self._facets[0] != signature:
                self._facets = (signature, facets(db))
            return self._facets[1]

    async def queue(self, request: Request) -> Response:
        session = self.session(request)
        mode, params = _mode(request.query_params), request.query_params
        filters = self._filters(params)
        try:
            page = max(0, int(params.get("page") or 0))
        except ValueError:
            page = 0
        return await run_in_threadpool(self._queue, session, mode, filters, page,
                                       message(params.get("msg"), params.get("prev")))

    def _queue(self, session: Session, mode: ScreenMode, filters: QueueFilters, page: int,
               note: dict[str, str] | None) -> Response:
        with closing(connect(self.store)) as db:
            data = queue_page(db, session.reviewer, filters, mode, page=page)
            choices = self._facets_for(db)
        return self.pages.render(
            "queue.html", reviewer=session.reviewer, csrf=self.signer.csrf_token(session),
            mode=mode, filters=filters.for_mode(mode), queue=data, facets=choices, message=note,
        )

    async def next(self, request: Request) -> Response:
        session = self.session(request)
        filters, mode = self._filters(request.query_params), _mode(request.query_params)
        after = AnswerKey.from_params(request.query_params)
        return await run_in_threadpool(self._next, session, filters, mode, after, "", "")

    def _next(self, session: Session, filters: QueueFilters, mode: ScreenMode,
              after: AnswerKey | None, code: str, prev: str) -> Response:
        with closing(connect(self.store)) as db:
            # the next answer this reviewer has not reviewed yet; else simply the next one
            key = None if filters.unreviewed else next_answer(
                db, session.reviewer, filters.model_copy(update={"unreviewed": True}), mode,
                after=after)
            key = key or next_answer(db, session.reviewer, filters, mode, after=after)
        blind = {"mode": "blind"} if mode == "blind" else {}
        if key is None:
            return _redirect("/queue", {**filters.params(), **blind,
                                        "msg": code or "queue_done", "prev": prev})
        return _redirect("/review", {**key.query(), **blind, **filters.params(), "msg": code,
                                     "prev": prev})

    # -- review ------------------------------------------------------------------------------
    async def review(self, request: Request) -> Response:
        session = self.session(request)
        params = request.query_params
        filters, mode = self._filters(params), _mode(params)
        key = AnswerKey.from_params(params)
        note = message(params.get("msg"), params.get("prev"))
        return await run_in_threadpool(self._review, session, key, filters, mode, note)

    def _review(self, session: Session, key: AnswerKey | None, filters: QueueFilters,
                mode: ScreenMode, note: dict[str, str] | None, *,
                values: dict[str, str] | None = None,
                status: int = 200) -> Response:
        if key is None:
            raise HTTPException(404, "No answer was named: open answers from the queue "
                                     "(the link needs run_id, item_id and sample).")
        with closing(connect(self.store)) as db:
            try:
                screen = load_screen(db, key, session.reviewer)
            except NotFound as exc:
                raise HTTPException(404, str(exc)) from None
            done = progress(db, session.reviewer, filters, mode)
        return self._render_review(session, screen, filters, mode, note, done, values or {},
                                   status)

    def _render_review(self, session: Session, screen: Screen, filters: QueueFilters,
                       mode: ScreenMode, note: dict[str, str] | None, done: Any,
                       values: dict[str, str], status: int) -> Response:
        reveal = mode == "review" or screen.blind_rating is not None
        return self.pages.render(
            "review.html", status=status, reviewer=session.reviewer, mode=mode,
            csrf=self.signer.csrf_token(session), request_id=secrets.token_urlsafe(16),
            screen=screen, reveal=reveal, filters=filters.for_mode(mode), progress=done,
            message=note, values=values,
            blind_blocked=mode == "blind" and screen.blind_rating is None
            and screen.seen_in_review,
        )

    async def act(self, request: Request) -> Response:
        session, form = await self.form_for(request)
        filters = self._filters(dict(parse_qsl(form.get("filters") or "")))
        return await run_in_threadpool(self._act, session, form, filters)

    def _act(self, session: Session, form: dict[str, str], filters: QueueFilters) -> Response:
        key, mode = AnswerKey.from_params(form), _mode(form)
        if key is None:
            raise HTTPException(404, "The form did not name an answer (run_id, item_id, "
                                     "sample); nothing was saved. Reopen it from the queue.")
        request_id = (form.get("request_id") or "").strip()
        if not request_id or len(request_id) > 100:
            raise HTTPException(400, "This form is incomplete (no request id), so nothing was "
                                     "saved. Reload the page and try again.")
        stored_id = f"{session.reviewer}:{request_id}"
        blind = {"mode": "blind"} if mode == "blind" else {}
        stay = {**key.query(), **blind, **filters.params()}
        with closing(connect(self.store)) as db:
            try:
                screen = load_screen(db, key, session.reviewer)
            except NotFound as exc:
                raise HTTPException(404, f"{exc} Nothing was saved.") from None
            if request_seen(db, stored_id):
                return _redirect("/review", {**stay, "msg": "duplicate"})
            try:
                audit = build_audit(form, screen=screen, reviewer=session.reviewer, mode=mode,
                                    now=utc_now())
            except ActionError as exc:
                done = progress(db, session.reviewer, filters, mode)
                return self._render_review(session, screen, filters, mode,
                                           {"kind": "error", "text": str(exc)}, done,
                                           form, status=400)
        with Store(self.store) as store:
            saved = store.save_audit(audit, request_id=stored_id)
        if saved is None:
            return _redirect("/review", {**stay, "msg": "duplicate"})
        code = _SAVED[audit.action]
        if audit.action in _ADVANCE:
            return self._next(session, filters, mode, key, code, key.item_id)
        return _redirect("/review", {**stay, "msg": code})

    # -- errors --------------------------------------------------------------------------------
    async def on_signin_required(self, request: Request, exc: Exception) -> Response:
        exc = cast(SignInRequired, exc)
        response = _redirect("/signin", {"msg": exc.code, "next": exc.next_url})
        if exc.code == "expired":
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def on_http_error(self, request: Request, exc: Exception) -> Response:
        exc = cast(HTTPException, exc)
        titles = {400: "That request cannot be used", 403: "Refused", 404: "Not found",
                  405: "Not allowed"}
        return self.pages.render("error.html", status=exc.status_code, reviewer=None,
                                 title=titles.get(exc.status_code, "Error"),
                                 detail=exc.detail, message=None, headers=exc.headers)

    async def on_server_error(self, request: Request, exc: Exception) -> Response:
        """A friendly page; Starlette re-raises afterwards, so uvicorn logs the traceback."""
        return self.pages.render(
            "error.html", status=500, reviewer=None, title="Something went wrong",
            detail="The server hit an error and saved nothing for this request. Go back and try "
                   "again; if it keeps happening, the server's log says why.", message=None,
        )


def create_app(store_path: str | Path, *, session_ttl_s: float = DEFAULT_SESSION_TTL_S,
               secret: bytes | None = None) -> Starlette:
    """The audit page for one store. `secret` signs sessions (default: random per app, so a
    restart signs everyone out); `session_ttl_s` is how long a sign-in lasts."""
    path = Path(store_path)
    if not path.is_file():
        raise StoreError(f"{path}: no such store; run `medjudge answer` and `medjudge grade` "
                         "first")
    Store(path).close()  # brings the schema up to date (the queue's indexes) before serving
    pages = AuditApp(path, session_ttl_s=session_ttl_s, secret=secret)
    app = Starlette(
        routes=[
            Route("/", lambda request: RedirectResponse("/queue", 303)),
            Route("/favicon.ico", lambda request: Response(status_code=204)),
            Route("/signin", pages.signin_page, methods=["GET"]),
            Route("/signin", pages.signin, methods=["POST"]),
            Route("/signout", pages.signout, methods=["POST"]),
            Route("/queue", pages.queue, methods=["GET"]),
            Route("/next", pages.next, methods=["GET"]),
            Route("/review", pages.review, methods=["GET"]),
            Route("/review", pages.act, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={
            SignInRequired: pages.on_signin_required,
            HTTPException: pages.on_http_error,
            Exception: pages.on_server_error,
        },
    )
    app.add_middleware(SecurityHeaders)
    return app
