"""A reviewer's HTTP client for the audit page: signs in like a browser and submits the page's
own forms (hidden fields, CSRF token, request id) — over real HTTP to a real server."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

__all__ = ["Page", "ReviewerClient", "location_params", "parse_page", "review_path"]


@dataclass
class Form:
    testid: str | None
    action: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    status: int
    html: str
    url: str
    forms: list[Form]
    #: data-testid -> the text inside each element carrying it, in document order.
    texts: dict[str, list[str]]

    def form(self, testid: str) -> Form:
        for form in self.forms:
            if form.testid == testid:
                return form
        raise AssertionError(f"no form {testid!r} on {self.url}")

    def text(self, testid: str) -> str:
        return self.texts[testid][0]

    def form_with_action(self, action: str) -> Form:
        for form in self.forms:
            if form.fields.get("action") == action:
                return form
        raise AssertionError(f"no form for action {action!r} on {self.url}")


class _Parser(HTMLParser):
    VOID: ClassVar[frozenset[str]] = frozenset({"input", "br", "img", "meta", "link", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []  # (tag, testid)
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        testid = a.get("data-testid")
        if tag == "form":
            self.forms.append(Form(testid=testid, action=a.get("action", "")))
        form = self.forms[-1] if self.forms else None
        if tag == "input" and form is not None and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    form.fields[a["name"]] = a.get("value", "on")
            else:
                form.fields[a["name"]] = a.get("value", "")
        if tag == "select" and form is not None:
            self._select = a.get("name")
            self._first_option = True
        if tag == "option" and form is not None and self._select:
            if self._first_option or "selected" in a:
                form.fields[self._select] = a.get("value", "")
            self._first_option = False
        if tag == "textarea" and form is not None:
            self._textarea = a.get("name")
            form.fields[self._textarea or ""] = ""
        if tag not in self.VOID:
            self._open.append((tag, testid))
            if testid:
                self.texts.setdefault(testid, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data
        seen: set[str] = set()
        for _, testid in self._open:
            if testid and testid not in seen:
                seen.add(testid)
                self.texts[testid][-1] += data


def parse_page(response: httpx.Response) -> Page:
    parser = _Parser()
    parser.feed(response.text)
    return Page(status=response.status_code, html=response.text, url=str(response.url),
                forms=parser.forms, texts=parser.texts)


class ReviewerClient:
    """One physician's browser: its own cookies."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30.0)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, *, follow: bool = True) -> Page:
        return parse_page(self.http.get(path, follow_redirects=follow))

    def sign_in(self, token: str) -> httpx.Response:
        page = self.get("/signin")
        fields = dict(page.forms[-1].fields, token=token)
        return self.http.post("/signin", data=fields)

    def submit(self, form: Form, *, follow: bool = True, **changes: str) -> Page:
        data = {**form.fields, **changes}
        return parse_page(self.http.post(form.action, data=data, follow_redirects=follow))

    def post(self, path: str, data: dict[str, str], *, follow: bool = False) -> httpx.Response:
        return self.http.post(path, data=data, follow_redirects=follow)


def review_path(run_id: str, item_id: str, sample: int = 0, **extra: str) -> str:
    return "/review?" + urlencode({"run_id": run_id, "item_id": item_id, "sample": sample,
                                   **extra})


def location_params(response: httpx.Response) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))

