"""Plots for the HTML report, as inline SVG text that needs nothing from the network.

matplotlib draws on a `Figure` with an Agg canvas (never pyplot: no GUI backend, no global
state, safe in threads); the SVG backend writes it. Text stays text (`svg.fonttype` none), and
matplotlib escapes it, so a category named `<script>` is drawn, not run; `$` is not parsed as
mathtext. `inline_svg` then strips the XML prologue, the namespace URLs and the metadata, and
prefixes every id so that several plots can share one HTML page. `svg.hashsalt` is fixed, so the
same numbers give the same file.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "accuracy_bars",
    "confusion_heatmap",
    "grouped_rate_bars",
    "inline_svg",
    "score_distribution",
]

#: One colour per score 1..5, red (poor) to green (excellent); colour-blind-safe enough
#: together with the score labels in the legend.
SCORE_COLOURS = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")
SERIES_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3")
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "medjudge",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    """A figure on an Agg canvas, under the report's rc settings (which savefig reads too:
    draw and save inside the block)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # (typed as rc key literals)
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(figure)
        yield figure


def _svg(figure: Figure, label: str, prefix: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_METADATA)
    return inline_svg(buffer.getvalue(), label=label, prefix=prefix)


_PROLOGUE = re.compile(
    r"""
    <\?xml[^>]*\?>                 # the XML declaration
    | <!DOCTYPE[^>]*>               # the doctype, which names a DTD URL
    | <metadata>.*?</metadata>      # RDF metadata, with its namespace URLs
    """,
    re.VERBOSE | re.DOTALL,
)
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')  # xmlns="http://…", xmlns:xlink=…
_ID = re.compile(r'\bid="([^"]+)"')  # an element's id
_REF = re.compile(r'(url\(\#|href="\#)([^")]+)')  # a reference to one: url(#id), href="#id"


def inline_svg(svg: str, *, label: str, prefix: str) -> str:
    """An SVG document as an element for an HTML page: no prologue, no namespace URLs (the
    HTML parser knows <svg> and xlink:href), ids prefixed, an accessible label."""
    text = _NAMESPACE.sub("", _PROLOGUE.sub("", svg)).strip()
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    attributes = f' role="img" aria-label="{html.escape(label, quote=True)}"'
    return text.replace("<svg", "<svg" + attributes, 1)


def grouped_rate_bars(
    groups: Sequence[str],
    series: Mapping[str, Sequence[tuple[float | None, tuple[float, float] | None]]],
    *,
    title: str,
    prefix: str,
    xlabel: str = "rate",
) -> str:
    """Horizontal bars: one row per group, one bar per series, CI whiskers; rates 0..1."""
    names = list(series)
    height = 0.9 + 0.28 * len(groups) * max(1, len(names))
    step = 0.8 / max(1, len(names))
    with _figure(6.4, min(height, 14)) as figure:
        ax = figure.add_subplot()
        for s, name in enumerate(names):
            label: str | None = name
            for g, (value, ci) in enumerate(series[name]):
                if value is None:
                    continue
                error = None if ci is None else [[value - ci[0]], [ci[1] - value]]
                ax.barh(g + (s - (len(names) - 1) / 2) * step, value, height=step * 0.9,
                        color=SERIES_COLOURS[s % len(SERIES_COLOURS)], label=label,
                        xerr=error, capsize=2, error_kw={"elinewidth": 0.8})
                label = None  # one legend entry per series
        ax.set_yticks(range(len(groups)), labels=list(groups))
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_title(title, loc="left")
        if len(names) > 1:
            ax.legend(loc="lower right", fontsize=7, frameon=False)
        return _svg(figure, title, prefix)


def score_distribution(counts: Mapping[str, Sequence[int]], *, title: str, prefix: str) -> str:
    """Stacked horizontal bars: per group, the share of scored verdicts at each score 1..5."""
    groups = list(counts)
    with _figure(6.4, min(1.2 + 0.32 * len(groups), 14)) as figure:
        ax = figure.add_subplot()
        left = [0.0] * len(groups)
        for score in range(1, 6):
            shares = [
                counts[g][score - 1] / total if (total := sum(counts[g])) else 0.0
                for g in groups
            ]
            ax.barh(range(len(groups)), shares, left=left, color=SCORE_COLOURS[score - 1],
                    label=str(score), height=0.7)
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_yticks(range(len(groups)), labels=groups)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_xlabel("share of scored verdicts")
        ax.set_title(title, loc="left")
        figure.legend(title="score", ncols=5, fontsize=7, title_fontsize=7, frameon=False,
                      loc="outside lower center")
        return _svg(figure, title, prefix)


def accuracy_bars(
    levels: Sequence[str],
    languages: Mapping[str, Sequence[tuple[float | None, tuple[float, float] | None]]],
    *,
    title: str,
    prefix: str,
) -> str:
    """Accuracy per level (rows), one bar per language, CI whiskers."""
    return grouped_rate_bars(levels, languages, title=title, prefix=prefix, xlabel="accuracy")


def confusion_heatmap(
    confusion: Sequence[Sequence[int]], *, title: str, prefix: str,
    rows: str = "physician", columns: str = "judge",
) -> str:
    """A 5×5 table of counts: `rows`' score down, `columns`' score across; the diagonal is
    exact agreement."""
    peak = max((max(r) for r in confusion), default=0) or 1
    with _figure(3.4, 3.1) as figure:
        ax = figure.add_subplot()
        ax.imshow([list(r) for r in confusion], cmap="Blues", vmin=0, vmax=peak)
        for i, row in enumerate(confusion):
            for j, count in enumerate(row):
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="white" if count > peak / 2 else "black")
        ax.set_xticks(range(5), labels=[str(s) for s in range(1, 6)])
        ax.set_yticks(range(5), labels=[str(s) for s in range(1, 6)])
        ax.set_xlabel(f"{columns} score")
        ax.set_ylabel(f"{rows} score")
        ax.set_title(title, loc="left", fontsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        return _svg(figure, title, prefix)
