"""The HTML report: one self-contained file, inline SVG plots, no external references, hostile
text escaped, and the numbers in its tables the library's own."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support.report_data import (
    HOSTILE_ANSWER,
    HOSTILE_CATEGORY,
    HOSTILE_RATIONALE,
    JUDGE,
    MCQ_RUN,
    OPEN_RUN,
    build_report_store,
)
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.interchange.audit_export import audit_records
from medjudge.report.agreement import fmt_num, fmt_pct
from medjudge.report.html import build_html_report, write_html_report
from medjudge.report.judged import judged_reports
from medjudge.report.mcq import build_accuracy_table
from medjudge.report.runs import mcq_results
from medjudge.scoring.agreement_report import agreement_report
from medjudge.scoring.corrected import corrected_usability
from medjudge.store import Store

runner = CliRunner()


@dataclass
class Cell:
    attrs: dict[str, str | None]
    text: str = ""


@dataclass
class Row:
    attrs: dict[str, str | None]
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Table:
    attrs: dict[str, str | None]
    rows: list[Row] = field(default_factory=list)


class Tables(HTMLParser):
    """Every <table> of a page: rows with their attributes, cells with attributes and text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._cell: Cell | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(Table(dict(attrs)))
        elif tag == "tr" and self.tables:
            self.tables[-1].rows.append(Row(dict(attrs)))
        elif tag in ("td", "th") and self.tables and self.tables[-1].rows:
            self._cell = Cell(dict(attrs))
            self.tables[-1].rows[-1].cells.append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data

    def of_class(self, name: str) -> list[Table]:
        return [t for t in self.tables if name in (t.attrs.get("class") or "").split()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> tuple[Path, Path]:
    """The store and its report, made once for the tests that only read them."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MPLCONFIGDIR", str(cache_dir / "matplotlib"))  # as tests/conftest.py
        folder = tmp_path_factory.mktemp("html-report")
        store = build_report_store(folder / "report.sqlite")
        return store, write_html_report(store, folder / "out" / "report.html")


@pytest.fixture
def store(built: tuple[Path, Path]) -> Path:
    return built[0]


@pytest.fixture
def page(built: tuple[Path, Path]) -> str:
    return built[1].read_text(encoding="utf-8")


def test_one_file_with_inline_svg_and_nothing_external(
    page: str, built: tuple[Path, Path]
) -> None:
    out = built[1]
    assert out.is_file() and [p.name for p in out.parent.iterdir()] == ["report.html"]
    assert page.startswith("<!DOCTYPE html>")
    # usability, score distribution, MCQ accuracy, and a confusion matrix per mode
    assert page.count("<svg") >= 5
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|link|iframe|object|embed|img)\b", page, re.IGNORECASE)
    # Every reference points inside the file: #ids, or data: (matplotlib's raster cells).
    targets = re.findall(r"""\b(?:src|href)\s*=\s*(["'])(.*?)\1""", page, re.IGNORECASE)
    assert targets and all(t.startswith(("#", "data:")) for _, t in targets), targets
    assert all(t.startswith("#") for t in re.findall(r"url\(\s*['\"]?([^)'\"]*)", page))
    assert "@import" not in page


def test_hostile_text_is_escaped(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the answer, shown as text
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page  # the judge's rationale
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page  # the physician's reason
    assert "<b>MTG</b>" not in page and "&lt;b&gt;MTG&lt;/b&gt;" in page  # a category name
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # the flag's comment
    assert "</details></section></body>" not in page.split("</header>", 1)[1].split(
        "</section>\n</body>")[0].replace("</details>\n", "")  # the answer cannot close them
    assert page.rstrip().endswith("</html>") and page.count("</body>") == 1


def test_agreement_tables_show_the_stats_functions_numbers(page: str, store: Path) -> None:
    with Store(store) as db:
        records = audit_records(db)
    tables = Tables(page).of_class("agreement")
    assert len(tables) == 2  # blind, then all ratings
    for table, mode in zip(tables, ("blind", "all"), strict=True):
        report = agreement_report(records.items, records.verdicts, records.audits, mode=mode)
        shown = {(r.attrs["data-judge"], r.attrs["data-category"]): r.cells
                 for r in table.rows if "data-judge" in r.attrs}
        expected = [*report.judge_vs_physician, *report.physician_vs_physician]
        assert len(shown) == len(expected)
        for row in expected:
            cells = shown[(row.label, row.category)]
            a, s = row.agreement, row.safety
            assert cells[2].text == str(a.n)
            for cell, value in zip(cells[3:7], (a.exact, a.within_one, a.kappa, a.usability),
                                   strict=True):
                assert cell.attrs["data-value"] == ("" if value is None else str(value))
            assert cells[3].text.startswith(fmt_pct(a.exact))
            assert cells[5].text.startswith(fmt_num(a.kappa))
            assert cells[8].attrs["data-value"] == ("" if s.recall is None else str(s.recall))
            assert cells[9].attrs["data-value"] == (
                "" if s.precision is None else str(s.precision))
    blind_overall = agreement_report(records.items, records.verdicts, records.audits,
                                     mode="blind").row(JUDGE)
    assert blind_overall.agreement.exact == 0.5  # see tests/audit/test_stats.py


def test_confusion_matrix_table_matches(page: str, store: Path) -> None:
    with Store(store) as db:
        records = audit_records(db)
    report = agreement_report(records.items, records.verdicts, records.audits, mode="blind")
    confusion = Tables(page).of_class("confusion")[0]
    counts = [[int(c.text) for c in row.cells[1:]] for row in confusion.rows[1:]]
    assert counts == [list(r) for r in report.row(JUDGE).confusion]
    assert sum(map(sum, counts)) == 6


def test_usability_mcq_and_corrected_tables_match(page: str, store: Path) -> None:
    parsed = Tables(page)
    with Store(store) as db:
        (judged,) = judged_reports(db, [OPEN_RUN])
        accuracy = build_accuracy_table(mcq_results(db, MCQ_RUN))
        records = audit_records(db)
    usability = parsed.of_class("usability")[0]
    values = {r.attrs["data-category"]: r.cells for r in usability.rows[1:]}
    for summary in (*judged.usability.categories, judged.usability.overall):
        cells = values[summary.category]
        assert cells[1].text == f"{summary.n_scored} of {summary.n_questions}"  # coverage
        assert cells[3].attrs["data-value"] == str(summary.usability_rate)
        among = summary.usability_rate_among_scored
        assert cells[4].attrs["data-value"] == ("" if among is None else str(among))
    # o0 (mean 4.5) and o4 (5) are the usable answers of six: OP 2/6
    assert judged.usability.op == pytest.approx(2 / 6)
    assert values[HOSTILE_CATEGORY][0].text == HOSTILE_CATEGORY  # escaped, shown as text

    mcq = parsed.of_class("mcq")[0]
    header = [c.text for c in mcq.rows[0].cells]
    for row in mcq.rows[1:]:
        language = row.cells[0].text
        for level, cell in zip(header[1:], row.cells[1:], strict=True):
            value = accuracy.cell(language, level).accuracy
            assert cell.attrs["data-value"] == ("" if value is None else str(value))
    assert accuracy.cell("all", "Total").accuracy == pytest.approx(4 / 6)

    corrected = corrected_usability(
        records.items, records.verdicts, records.audits,
        expected=[a for a in records.answers if a.run_id == OPEN_RUN],
    )
    table = parsed.of_class("corrected")[0]
    overall = next(r for r in table.rows if r.attrs.get("data-category") == "overall")
    shown = {c.attrs["data-view"]: c.attrs["data-value"] for c in overall.cells[1:]}
    assert shown == {view: str(r.overall.usability_rate) for view, r in corrected.items()}


def test_unscored_and_capped_counts(page: str) -> None:
    verdicts = Tables(page).of_class("verdicts")[0]
    last = verdicts.rows[-1]
    # eight verdicts, o3 unscored, o2 capped by its serious risk
    assert [c.text for c in last.cells[:4]] == ["all", "8", "1", "1"]
    assert "reply cut off at max_tokens: 1" in page


def test_the_same_store_gives_the_same_page(store: Path) -> None:
    with Store(store) as db:
        first = build_html_report(db, generated_at="t")
        second = build_html_report(db, generated_at="t")
    assert first == second


def test_report_html_command(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", str(store), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and out.stat().st_size > 10_000
    assert "<svg" in out.read_text(encoding="utf-8")
    only_mcq = tmp_path / "mcq.html"
    result = runner.invoke(app, ["report", "--store", str(store), "--html", str(only_mcq),
                                 "--run", MCQ_RUN])
    assert result.exit_code == 0, result.output
    text = only_mcq.read_text(encoding="utf-8")
    assert "MCQ accuracy" in text and 'id="audit"' not in text
    missing = runner.invoke(app, ["report", "--store", str(tmp_path / "none.sqlite"),
                                  "--html", str(out)])
    assert missing.exit_code == 2 and "no such store" in missing.output


def test_nothing_to_report_says_what_to_run(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    with Store(empty) as db:
        db.runs()  # the schema, no run
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--store", str(empty), "--html", str(out)])
    assert result.exit_code == 2 and "nothing to report yet" in result.output
    assert not out.exists()


CHROMIUM = Path("/usr/bin/chromium")


def test_opens_offline_in_a_browser_and_runs_no_script(built: tuple[Path, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (make browser)")
    path = built[1]
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            context = browser.new_context(offline=True)
            tab = context.new_page()
            tab.on("request", lambda request: requests.append(request.url))
            tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            tab.goto(path.as_uri())
            assert tab.locator("svg").count() >= 5
            tab.locator("details summary").first.click()
            assert HOSTILE_ANSWER in tab.locator("details .text").nth(1).inner_text()
            assert HOSTILE_RATIONALE in tab.content().replace("&lt;", "<").replace("&gt;", ">")
            assert tab.evaluate("document.querySelectorAll('script, img').length") == 0
        finally:
            browser.close()
    assert dialogs == []  # no alert() ran
    assert all(url.startswith("file://") for url in requests), requests


def test_the_page_says_which_rubric_version_it_reports(page: str) -> None:
    assert "Rubrics: llmeval-med/MK 1 (latest)." in page
