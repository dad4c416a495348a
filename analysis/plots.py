"""Figures of a run's report, drawn with matplotlib's object API on the Agg canvas (no pyplot state).

Each function takes plain arrays or records and returns a ``Figure``;
``render`` turns it into PNG or SVG bytes. No Django here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from common.fonts import cjk_font_names  # noqa: E402
from scoring.alphabet import MIGRATION_STATUSES  # noqa: E402

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
STATUS_CODES = MIGRATION_STATUSES.codes
STATUS_NAMES = MIGRATION_STATUSES.names
STATUS_COLOURS = MIGRATION_STATUSES.colours
def _font_family() -> list[str]:
    """DejaVu Sans with a CJK fallback when one is installed (labels are translated)."""
    return ["DejaVu Sans", *cjk_font_names()]


FONT_FAMILY = _font_family()
# Text objects read the family when created: set it for the process (the app's only matplotlib user).
matplotlib.rcParams["font.family"] = FONT_FAMILY
matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text (searchable, small)


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


Translate = Callable[[str], str]  # the caller's translation of the core's English terms (identity by default)


def _same(text: str) -> str:
    return text


def _status_legend(figure: Figure, tr: Translate) -> None:
    handles = [Patch(color=colour, label=tr(name)) for colour, name in zip(STATUS_COLOURS, STATUS_NAMES)]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8, frameon=False)


def _cluster_order(clusters: np.ndarray, names: Mapping[int, str]) -> list[int]:
    return [cluster for cluster in sorted(names) if (clusters == cluster).any()]


def sequence_index_plot(
    sequences: np.ndarray, clusters: np.ndarray, names: Mapping[int, str], *, title: str = "", tr: Translate = _same
) -> Figure:
    """One panel per cluster, one line per respondent (sorted within the cluster), one colour per status."""
    order = _cluster_order(clusters, names)
    sizes = [int((clusters == cluster).sum()) for cluster in order] or [1]
    figure = _figure(8, 1.2 + 1.1 * max(len(order), 1))
    if not order:
        figure.text(0.5, 0.5, tr("no clustered respondents"), ha="center")
        return figure
    axes = figure.subplots(len(order), 1, sharex=True, squeeze=False, height_ratios=[max(size, 1) ** 0.5 for size in sizes])[:, 0]
    colours = ListedColormap(STATUS_COLOURS)
    years = sequences.shape[1]
    for ax, cluster, size in zip(axes, order, sizes):
        rows = sequences[clusters == cluster]
        rows = rows[np.lexsort(rows.T[::-1])]
        ax.imshow(rows - 1, aspect="auto", interpolation="nearest", cmap=colours, vmin=0, vmax=3,
                  extent=(0.5, years + 0.5, size, 0))
        ax.set_ylabel(f"{cluster}\n(n={size})", rotation=0, ha="right", va="center", fontsize=8)
        ax.set_yticks([])
        ax.set_title(tr(names[cluster]), fontsize=9, loc="left")
    axes[-1].set_xticks(range(1, years + 1))
    axes[-1].set_xlabel(tr("year of life"))
    if title:
        figure.suptitle(title)
    _status_legend(figure, tr)
    return figure


def state_distribution_plot(
    sequences: np.ndarray, clusters: np.ndarray, names: Mapping[int, str], *, title: str = "", tr: Translate = _same
) -> Figure:
    """Per cluster, the share of each status in each year of life (stacked bars)."""
    order = _cluster_order(clusters, names)
    columns = min(3, max(len(order), 1))
    rows = int(np.ceil(max(len(order), 1) / columns))
    figure = _figure(3.2 * columns, 2.6 * rows + 0.8)
    if not order:
        figure.text(0.5, 0.5, tr("no clustered respondents"), ha="center")
        return figure
    axes = figure.subplots(rows, columns, sharey=True, squeeze=False).ravel()
    years = np.arange(1, sequences.shape[1] + 1)
    for ax, cluster in zip(axes, order):
        members = sequences[clusters == cluster]
        shares = np.stack([(members == code).mean(axis=0) for code in STATUS_CODES])
        bottom = np.zeros(len(years))
        for share, colour in zip(shares, STATUS_COLOURS):
            ax.bar(years, share, bottom=bottom, color=colour, width=1.0, edgecolor="white", linewidth=0.3)
            bottom += share
        ax.set_title(f"{cluster}. {tr(names[cluster])} (n={len(members)})", fontsize=8, loc="left")
        ax.set_xticks(years[::2])
        ax.set_ylim(0, 1)
    for ax in axes[len(order):]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    _status_legend(figure, tr)
    return figure


QUALITY_MEASURES = ("ASW", "ASWw", "PBC", "HG", "HC")


def quality_plot(quality: Sequence[Mapping], *, chosen_k: int | None = None, title: str = "", tr: Translate = _same) -> Figure:
    """Cluster quality measures by k (records with ``k`` and measure columns); the chosen k marked."""
    figure = _figure(6, 3.6)
    ax = figure.subplots()
    ks = [row["k"] for row in quality]
    for measure in QUALITY_MEASURES:
        values = [row.get(measure) for row in quality]
        if any(value is not None for value in values):
            ax.plot(ks, [np.nan if v is None else v for v in values], marker="o", label=measure)
    if chosen_k is not None:
        ax.axvline(chosen_k, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(tr("k (number of clusters)"))
    ax.set_xticks(ks)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title or tr("Cluster quality by k"), fontsize=10)
    return figure


def coefficient_plot(
    terms: Sequence[Mapping], *, title: str = "", constant: str = "constant", tr: Translate = _same
) -> Figure:
    """Coefficients with their 95 % confidence intervals (the constant left out), first term on top."""
    terms = [term for term in terms if term.get("term") != constant and term.get("coef") is not None]
    figure = _figure(7, 0.9 + 0.32 * max(len(terms), 1))
    ax = figure.subplots()
    positions = np.arange(len(terms))[::-1]
    coef = np.array([term["coef"] for term in terms], dtype=float)
    low = np.array([np.nan if term.get("ci_low") is None else term["ci_low"] for term in terms], dtype=float)
    high = np.array([np.nan if term.get("ci_high") is None else term["ci_high"] for term in terms], dtype=float)
    significant = np.array([bool(term.get("stars")) for term in terms])
    if len(terms):
        ax.errorbar(coef, positions, xerr=[coef - low, high - coef], fmt="none", ecolor="#555", capsize=2, linewidth=1)
        ax.scatter(coef[~significant], positions[~significant], color="white", edgecolors="#333", zorder=3, s=22)
        ax.scatter(coef[significant], positions[significant], color="#333", zorder=3, s=22)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(positions, [tr(str(term["term"])) for term in terms], fontsize=8)
    ax.set_xlabel(tr("coefficient (95% CI); filled: p < .05"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return figure


def render(figure: Figure, fmt: str = "png") -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=120 if fmt == "png" else None)
    return buffer.getvalue()
