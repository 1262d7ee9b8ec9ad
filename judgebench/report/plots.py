"""Static plots of a run (matplotlib, Agg backend): each function draws one figure from figures that
ratings/ and diagnostics.py computed, and `save` writes it as PNG and SVG for papers and READMEs.

Plots: `forest` (ratings with intervals), `win_rate_heatmap` (pairwise win rates with counts),
`rank_distribution` (how often each model took each rank in the bootstrap), `position_bias` and
`length_bias` (judge diagnostics with their intervals).
"""

from __future__ import annotations

import functools
import io
import os
import textwrap
import warnings
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

_COUNT_LABELS_UP_TO = 20  # models; beyond that the heatmap's cells are too small for numbers
_MANY_MODELS_CELL = 0.15  # inches a side of a heatmap cell beyond _COUNT_LABELS_UP_TO models: 16 pixels at 110 dpi
_MOST_MATRIX_INCHES = 24.0  # the most the cells of many models take, across and down
_MANY_MODELS_FONT = 8.0  # points of its labels: 12 pixels at 110 dpi, drawn at that size in the page
_LABEL_CHARACTERS = 40  # a longer model name is shortened in the middle on an axis (`_labels`)
_Drawing = TypeVar("_Drawing", bound=Callable[..., Any])


def _quiet(draw: _Drawing) -> _Drawing:
    """`draw` without matplotlib's warnings about characters its font lacks (a model named in Chinese drew 18 of
    them per report, 36 lines on the terminal): those characters are drawn as boxes, and the report's tables
    show the names whole."""
    @functools.wraps(draw)
    def quietly(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from", category=UserWarning)
            return draw(*args, **kwargs)
    return quietly  # type: ignore[return-value]


def _labels(names: list[str]) -> list[str]:
    """Model names as an axis shows them, each different: one longer than _LABEL_CHARACTERS keeps its start and
    end around an ellipsis (a 210-character name squeezed every plot's axis off the figure and cut every other
    name). Names whose shortened labels would be the same (checkpoints differing mid-name) show the part where
    they differ, as often as that makes new labels alike (vendor-A/checkpoint-001-... and vendor-B/checkpoint-001-...
    both showed as ...point-001-...); labels still alike after that end in their place in `names` (" #3")."""
    half = (_LABEL_CHARACTERS - 1) // 2
    shown = [name if len(name) <= _LABEL_CHARACTERS else f"{name[:half]}\u2026{name[-half:]}" for name in names]
    for _ in range(len(names)):
        groups = _alike(shown)
        if not groups:
            return shown
        for alike in groups:
            alike_names = [names[i] for i in alike]
            same_start = len(os.path.commonprefix(alike_names))
            same_end = min(len(os.path.commonprefix([name[::-1] for name in alike_names])),
                           min(map(len, alike_names)) - same_start)
            # from a little before the first difference, and on to the last where the window reaches that far;
            # else the first and the last difference, each with a little around it
            reach_last = max(map(len, alike_names)) - same_end - (_LABEL_CHARACTERS - 2)
            for i in alike:
                if reach_last <= same_start:
                    start = max(same_start - 8, reach_last, 1)
                    end = start + _LABEL_CHARACTERS - 2
                    shown[i] = f"\u2026{names[i][start:end]}" + ("\u2026" if end < len(names[i]) else "")
                else:
                    piece = (_LABEL_CHARACTERS - 3) // 2
                    last = len(names[i]) - same_end
                    shown[i] = (f"\u2026{names[i][max(same_start - 4, 0):][:piece]}\u2026"
                                f"{names[i][:last + 4][-piece:]}" + ("\u2026" if last + 4 < len(names[i]) else ""))
    for alike in _alike(shown):
        for i in alike:
            shown[i] = f"{shown[i]} #{i + 1}"
    return shown


def shortened(names: list[str]) -> list[tuple[str, str]]:
    """(label, name) of each name that the plots show shortened (`_labels`), for the report's key to them."""
    return [(label, name) for label, name in zip(_labels(names), names, strict=True) if label != name]


def _alike(labels: list[str]) -> list[list[int]]:
    """The places of labels that are the same, one list per label shown more than once."""
    places: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        places.setdefault(label, []).append(i)
    return [alike for alike in places.values() if len(alike) > 1]


@_quiet
def forest(models: list[dict[str, Any]], rating_title: str, confidence: float, scale: str | None = None,
           interval: str | None = None, percent: bool = False) -> Figure:
    """Each model's rating (dot) and interval (bar), best at the top; `scale` says what the ratings are measured
    from on the axis ("Elo scale, base at 1000"), `interval` how the interval is made when the axis should say
    ("±1.96 LC SE"); with `percent`, the ratings are rates in [0, 1], and the axis shows them as percentages, as
    the tables beside it do (it ran 0.0 to 1.0 beside a table of 74.7%)."""
    names = [entry["model"] for entry in models]
    rating = np.array([_number(entry.get("rating")) for entry in models])
    lower = np.array([_number(entry.get("lower")) for entry in models])
    upper = np.array([_number(entry.get("upper")) for entry in models])
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.28 * len(names)))
    y = np.arange(len(names))[::-1]
    ax.errorbar(rating, y, xerr=[np.maximum(rating - lower, 0), np.maximum(upper - rating, 0)], fmt="o",
                color="#1f5fa8", ecolor="#7aa6d8", capsize=3)
    ax.set_yticks(y, _labels(names), fontsize=8 if len(names) > 30 else 10)
    ax.set_xlabel(_wrapped(f"{rating_title}" + (f" rating ({scale}; " if scale else " (")
                           + f"{100 * confidence:g}% interval" + (f": {interval})" if interval else ")"), fig))
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.grid(axis="x", alpha=0.3)
    ax.set_ylim(-0.8, len(names) - 0.2)
    _fit(fig)
    return fig


@_quiet
def win_rate_heatmap(names: list[str], win_rate: np.ndarray, counts: np.ndarray) -> Figure:
    """Row model's win rate against the column model (ties half), with the number of outcomes per cell; beyond
    _COUNT_LABELS_UP_TO models the cells are too small for numbers, which the report's table gives instead.

    Many models get cells of a fixed size (_MANY_MODELS_CELL) and labels of a fixed size (_MANY_MODELS_FONT):
    a 30-model heatmap was drawn 18 inches wide with 7-point labels, 6 pixels tall on a 1200-pixel page. Past
    _MOST_MATRIX_INCHES of cells (160 models) the cells and labels shrink instead, so that the figure stays a
    size a page can hold."""
    n = len(names)
    labels = _labels(names)
    if n <= _COUNT_LABELS_UP_TO:
        size = 3 + 0.45 * n
        fig, ax = plt.subplots(figsize=(size + 1.5, size))
        fontsize = 9.0
    else:
        matrix = min(_MANY_MODELS_CELL * n, _MOST_MATRIX_INCHES)  # 500 models drew a 79-inch, 4 MB figure
        fontsize = min(_MANY_MODELS_FONT, 72 * matrix / n)  # a label no taller than its cell
        label_inches = max(map(len, labels)) * 0.6 * fontsize / 72  # a character is about 0.6 of the font size
        fig, ax = plt.subplots(figsize=(label_inches + matrix + 1.6, label_inches + matrix + 0.8))
    shown = np.ma.masked_invalid(win_rate)
    image = ax.imshow(shown, cmap="RdBu", vmin=0, vmax=1)
    ticks = np.arange(n)
    ax.set_xticks(ticks, labels, rotation=90, fontsize=fontsize)
    ax.set_yticks(ticks, labels, fontsize=fontsize)
    if n <= _COUNT_LABELS_UP_TO:
        for i in range(n):
            for j in range(n):
                if counts[i, j] > 0:
                    ax.text(j, i, f"{win_rate[i, j]:.2f}\nn={counts[i, j]:g}", ha="center", va="center", fontsize=7,
                            color="white" if abs(win_rate[i, j] - 0.5) > 0.3 else "black")
    fig.colorbar(image, ax=ax, label="win rate of the row model", shrink=0.8 if n > _COUNT_LABELS_UP_TO else 1.0)
    ax.set_title(_wrapped("Pairwise win rates" + ("" if n <= _COUNT_LABELS_UP_TO
                                                  else " (numbers and counts: the report's pairwise table)"), fig,
                          plt.rcParams["axes.titlesize"]))
    _fit(fig)
    return fig


@_quiet
def rank_distribution(names: list[str], shares: np.ndarray) -> Figure:
    """shares[i, r]: share of bootstrap replicates in which model i ranked r + 1."""
    fig, ax = plt.subplots(figsize=(min(3 + 0.3 * len(names), 24), min(2 + 0.28 * len(names), 24)))
    image = ax.imshow(shares, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_yticks(np.arange(len(names)), _labels(names), fontsize=8 if len(names) > 30 else 10)
    ax.set_xlabel(_wrapped("rank in bootstrap replicate (1 = best)", fig))
    ax.set_xticks(np.arange(len(names)), [str(r + 1) for r in range(len(names))],
                  fontsize=6 if len(names) > 30 else 9)
    fig.colorbar(image, ax=ax, label="share of replicates")
    _fit(fig)
    return fig


@_quiet
def rates_with_intervals(title: str, rates: list[tuple[str, dict[str, Any] | None]], reference: float | None,
                         reference_label: str, referenced: Collection[str] | None = None) -> Figure:
    """Horizontal bars of rates (diagnostics.Rate as JSON) with their intervals, and a reference mark (what an
    unbiased judge would show) across the bars of the rates named in `referenced` (None: every rate), not
    across rates it means nothing for (0.5 is no first-slot preference, not an ideal position consistency)."""
    shown = [(name, rate) for name, rate in rates if rate and rate.get("value") is not None]
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * max(len(shown), 1)))
    y = np.arange(len(shown))[::-1]
    values = np.array([rate["value"] for _, rate in shown], dtype=float)
    # an interval from an older diagnostics.json may miss its value by rounding (upper 0.9999999999999998 at 1)
    low = np.maximum(values - np.array([rate["lower"] for _, rate in shown], dtype=float), 0)
    high = np.maximum(np.array([rate["upper"] for _, rate in shown], dtype=float) - values, 0)
    # lists, not arrays: matplotlib checks the first error of an array with a NumPy conversion deprecated since 1.25
    ax.barh(y, values, xerr=[low.tolist(), high.tolist()] if len(shown) else None, color="#8fb8de", capsize=4)
    ax.set_yticks(y, [name for name, _ in shown])
    marked = [position for position, (name, _) in zip(y, shown, strict=True)
              if referenced is None or name in referenced]
    if reference is not None and marked:
        ax.vlines(np.full(len(marked), reference), np.array(marked) - 0.45, np.array(marked) + 0.45,
                  color="#b03030", linestyle="--", label=reference_label)
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_title(_wrapped(title, fig, plt.rcParams["axes.titlesize"]))
    if not shown:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    _fit(fig)
    return fig


def _wrapped(text: str, fig: Figure, fontsize: Any = None) -> str:
    """`text` (a title or an axis label) broken into lines as wide as `fig`: on one line, the length plot's
    title and a forest plot's label naming a long baseline ran off both sides of the figure."""
    size = matplotlib.font_manager.FontProperties(size=fontsize or plt.rcParams["font.size"]).get_size_in_points()
    characters = int(0.9 * fig.get_figwidth() * 72 / (0.6 * size))  # a character is about 0.6 of the font size
    return "\n".join(textwrap.fill(line, max(characters, 20)) for line in text.split("\n"))


def _fit(fig: Figure) -> None:
    """Lay `fig` out (tight layout), and widen or heighten it until every text it draws is inside it: with
    long model names, a narrow rank plot or heatmap cut its axis label and colorbar label at the edge."""
    with warnings.catch_warnings():  # "Tight layout not applied": then the figure grows below
        warnings.filterwarnings("ignore", message="Tight layout not applied", category=UserWarning)
        for _ in range(4):
            fig.tight_layout()
            drawn = fig.get_tightbbox()
            width, height = fig.get_size_inches()
            wider = max(-drawn.x0, 0.0) + max(drawn.x1 - width, 0.0)
            higher = max(-drawn.y0, 0.0) + max(drawn.y1 - height, 0.0)
            if wider < 0.01 and higher < 0.01:
                return
            fig.set_size_inches(width + wider + 0.1, height + higher + 0.1)


@_quiet
def save(fig: Figure, directory: Path, name: str) -> tuple[Path, Path, bytes]:
    """Write `name`.png and `name`.svg into `directory`; returns their paths and the PNG bytes (for inlining)."""
    from judgebench.outputs import atomic_open

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    png = buffer.getvalue()
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    plt.close(fig)
    png_path, svg_path = directory / f"{name}.png", directory / f"{name}.svg"
    with atomic_open(png_path, "wb") as handle:
        handle.write(png)
    with atomic_open(svg_path) as handle:
        handle.write(svg.getvalue())
    return png_path, svg_path, png


def _number(value: Any) -> float:
    return float(value) if value is not None else float("nan")
