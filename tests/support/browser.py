"""The audit page in a real browser: Debian's Chromium driven by Python Playwright (sync API).

Playwright's own browser download cannot work on our machines, so the browser is the system's
`/usr/bin/chromium`, started with flags that keep it from dialling out. Tests skip when either
the binary or the Python package is missing. `png_summary` says whether a screenshot shows
anything (it decodes the PNG with Pillow, which matplotlib — a core dependency — brings).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "VIEWPORT",
    "PngSummary",
    "png_summary",
    "sign_in",
    "url_params",
    "wait_for_answer",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIEWPORT = {"width": 1280, "height": 900}


def url_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def sign_in(page: Page, token: str) -> None:
    """Sign in through the page's own form and land on the queue."""
    page.goto("/signin")
    page.get_by_test_id("signin-token").fill(token)
    page.get_by_test_id("signin-submit").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/queue")


def wait_for_answer(page: Page, item_id: str, msg: str | None = None) -> None:
    """Wait until the page has loaded the review screen of `item_id` (with the redirect's
    message code `msg`, when given)."""

    def arrived(url: str) -> bool:
        params = url_params(url)
        return (urlsplit(url).path == "/review" and params.get("item_id") == item_id
                and (msg is None or params.get("msg") == msg))

    page.wait_for_url(arrived)


@dataclass(frozen=True)
class PngSummary:
    width: int
    height: int
    #: Distinct RGB colours in the image.
    colours: int
    #: Share of pixels that have the single commonest colour (1.0: a flat image).
    commonest_share: float
    #: Darkest and lightest grey level (0–255) in the image.
    darkest: int
    lightest: int


def png_summary(data: bytes) -> PngSummary:
    """What a PNG screenshot holds, to tell a rendered page from a blank one."""
    import io

    from PIL import Image

    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise AssertionError("not a PNG file")
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    counts = rgb.getcolors(maxcolors=width * height) or []
    darkest, lightest = rgb.convert("L").getextrema()
    return PngSummary(
        width=width, height=height, colours=len(counts),
        commonest_share=max(n for n, _ in counts) / (width * height),
        darkest=darkest, lightest=lightest,
    )
