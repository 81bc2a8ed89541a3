"""Figures of ``xbench analyze`` and ``xbench report``: grouped bars, heatmaps, scatter plots with a fit,
and lines across model sizes.

Every function takes ``path`` without a suffix, writes ``path.png`` (dpi 150) and ``path.svg``, and
returns both paths. Output is deterministic: the default style (whatever the user's matplotlibrc),
a fixed ``svg.hashsalt`` for the ids in the SVG, and no date or software version in the files, so
the same inputs give the same bytes. matplotlib is imported inside the functions (importing this
module stays cheap); its absence is reported at import as ModuleNotFoundError, so callers can leave
figures out with a hint instead of failing half-way through.
"""

from __future__ import annotations

import importlib.util
import io
import math
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from xbench.paths import write_atomic

if importlib.util.find_spec("matplotlib") is None:
    raise ModuleNotFoundError("xbench.analysis.plots needs matplotlib (fix: pip install 'xbench[analysis]')",
                              name="matplotlib")

DPI = 150
MISSING_COLOUR = "#d9d9d9"
EXCLUDED_COLOUR = "#7f7f7f"
_RC = {
    "svg.hashsalt": "xbench",  # element ids from a fixed salt instead of a random one
    "svg.fonttype": "path",  # glyphs as paths: the SVG does not depend on the viewer's fonts
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


# ---- figures -------------------------------------------------------------------------------------

def grouped_bars(path, categories: list[str], series: dict[str, list[float | None]],
                 lows: dict[str, list[float | None]] | None = None, highs: dict[str, list[float | None]] | None = None,
                 *, ylabel: str, title: str) -> list[Path]:
    """Bars per category (language, perturbation), one colour per series, with error bars from
    ``lows``/``highs`` where given; a missing value (None) is a gap marked "n/a"."""
    n = len(categories)
    _check_series(series, n, "grouped_bars", "categories")
    _check_bounds(series, lows, highs, n, "grouped_bars")
    n_series = max(1, len(series))
    width = min(0.8 / n_series, 0.35)
    with _figure(min(max(5.0, 0.3 * n * n_series + 2.0), 16.0), 3.8) as fig:
        ax = fig.add_subplot()
        handles = []
        for j, (name, values, colour) in enumerate(_coloured(series)):
            offset = (j - (n_series - 1) / 2) * width
            present = [(i, v) for i, v in enumerate(_numbers(values)) if v is not None]
            ax.bar([i + offset for i, _ in present], [v for _, v in present], width, color=colour, zorder=2)
            _error_bars(ax, [i + offset for i in range(n)], values, lows, highs, name, "black")
            for i, v in enumerate(_numbers(values)):
                if v is None:
                    ax.text(i + offset, 0, "n/a", ha="center", va="bottom", rotation=90, fontsize=6,
                            color=EXCLUDED_COLOUR)
            handles.append(_patch(colour, name))
        ax.axhline(0, color="black", linewidth=0.6, zorder=3)
        _category_ticks(ax, categories)
        ax.set_xlim(-0.6, n - 0.4)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="y", linewidth=0.4, alpha=0.5, zorder=0)
        if handles:
            ax.legend(handles=handles, fontsize=7, frameon=False, loc="best")
        return _save(fig, path)


def heatmap(path, row_labels: list[str], col_labels: list[str], values: list[list[float | None]], *, title: str,
            fmt: str = "{:.1f}", cmap: str = "viridis") -> list[Path]:
    """A table of values as coloured cells, each value written in its cell; missing cells grey with "–"."""
    import matplotlib
    import matplotlib.colors
    import numpy as np

    if len(values) != len(row_labels) or any(len(row) != len(col_labels) for row in values):
        raise ValueError(f"heatmap: values must be {len(row_labels)} rows of {len(col_labels)} values")
    data = np.array([[math.nan if v is None else float(v) for v in row] for row in values],
                     dtype=np.float64).reshape(len(row_labels), len(col_labels))
    finite = data[np.isfinite(data)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low == high:
        low, high = low - 0.5, high + 0.5
    colormap = matplotlib.colormaps[cmap].with_extremes(bad=MISSING_COLOUR)
    norm = matplotlib.colors.Normalize(low, high)
    longest_row = max((len(label) for label in row_labels), default=0)
    width = min(max(4.0, 0.5 * len(col_labels) + 0.07 * longest_row + 1.8), 20.0)
    height = min(max(2.5, 0.32 * len(row_labels) + 1.6), 20.0)
    with _figure(width, height) as fig:
        ax = fig.add_subplot()
        image = ax.imshow(np.ma.masked_invalid(data), cmap=colormap, norm=norm, aspect="auto",
                          interpolation="nearest")
        size = 7 if len(col_labels) <= 12 else 5.5
        for (i, j), v in np.ndenumerate(data):
            if math.isfinite(v):
                ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=size,
                        color=_text_colour(colormap(norm(v))))
            else:
                ax.text(j, i, "–", ha="center", va="center", fontsize=size, color="#404040")
        ax.set_yticks(range(len(row_labels)), row_labels)
        _category_ticks(ax, col_labels)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(title)
        fig.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
        return _save(fig, path)


def scatter_fit(path, x: Sequence[float | None], y: Sequence[float | None], labels: Sequence[str],
                excluded: Sequence[bool], *, xlabel: str, ylabel: str, title: str,
                excluded_label: str = "excluded from fit", strip_label: str = "no x value") -> list[Path]:
    """Labelled points with the OLS line fitted on the included points and its 95% confidence band
    for the mean (t-based). Excluded points get their own marker and legend entry; those without an x
    value are drawn in a strip left of the axis (``strip_label``), apart from the x scale."""
    n = len(x)
    if not (len(y) == len(labels) == len(excluded) == n):
        raise ValueError(f"scatter_fit: x, y, labels and excluded must have the same length "
                         f"({n}, {len(y)}, {len(labels)}, {len(excluded)})")
    xs, ys = _numbers(x), _numbers(y)
    fit_points, apart, unplaced = [], [], []
    for xi, yi, label, out in zip(xs, ys, labels, excluded):
        if not out:
            if xi is None or yi is None:
                raise ValueError(f"scatter_fit: point {label!r} is included in the fit but has no x or y value")
            fit_points.append((xi, yi, label))
        elif yi is None:
            continue  # nothing to place it by
        elif xi is None:
            unplaced.append((yi, label))
        else:
            apart.append((xi, yi, label))
    with _figure(7.0 if unplaced else 6.2, 4.4) as fig:
        if unplaced:
            grid = fig.add_gridspec(1, 2, width_ratios=[1, 7], wspace=0.02)
            strip = fig.add_subplot(grid[0])
            ax = fig.add_subplot(grid[1], sharey=strip)
            ax.tick_params(labelleft=False)
        else:
            strip, ax = None, fig.add_subplot()
        handles = []
        if fit_points:
            handles.append(ax.scatter([p[0] for p in fit_points], [p[1] for p in fit_points], s=22, color="C0",
                                      zorder=3, label="in the fit"))
        handles += _fit_line(ax, [p[0] for p in fit_points], [p[1] for p in fit_points])
        marker = dict(s=28, marker="D", facecolors="none", edgecolors=EXCLUDED_COLOUR, zorder=3,
                      label=excluded_label)
        if apart:
            handle = ax.scatter([p[0] for p in apart], [p[1] for p in apart], **marker)
        if unplaced:
            # spread sideways so that points with close y values stay readable
            spread = [0.0] if len(unplaced) == 1 else [-0.5 + k / (len(unplaced) - 1) for k in range(len(unplaced))]
            handle = strip.scatter(spread, [p[0] for p in unplaced], **marker)
            for position, (yi, label) in zip(spread, unplaced):
                strip.annotate(label, (position, yi), xytext=(3, 3), textcoords="offset points", fontsize=7)
            strip.set_xlim(-1.0, 1.3)
            strip.set_xticks([])
            strip.set_xlabel(strip_label, fontsize=7)
            strip.set_ylabel(ylabel)
        else:
            ax.set_ylabel(ylabel)
        if apart or unplaced:
            handles.append(handle)
        for xi, yi, label in fit_points + apart:
            ax.annotate(label, (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=7)
        ax.set_xlabel(xlabel)
        ax.set_title(title, fontsize=9)
        ax.grid(linewidth=0.4, alpha=0.5)
        if handles:
            ax.legend(handles=handles, fontsize=7, frameon=False, loc="best")
        return _save(fig, path)


def scaling_lines(path, sizes: list[str], series: dict[str, list[float | None]],
                  lows: dict[str, list[float | None]] | None = None, highs: dict[str, list[float | None]] | None = None,
                  *, xlabel: str, ylabel: str, title: str) -> list[Path]:
    """One line per series across model sizes (in the order given), with error bars where given;
    a missing value breaks the line."""
    n = len(sizes)
    _check_series(series, n, "scaling_lines", "sizes")
    _check_bounds(series, lows, highs, n, "scaling_lines")
    n_series = max(1, len(series))
    with _figure(min(max(4.5, 1.2 * n + 2.0), 12.0), 3.8) as fig:
        ax = fig.add_subplot()
        for j, (name, values, colour) in enumerate(_coloured(series)):
            # a small sideways shift per series keeps overlapping error bars apart
            shift = (j - (n_series - 1) / 2) * min(0.06, 0.3 / n_series)
            positions = [i + shift for i in range(n)]
            ax.plot(positions, [math.nan if v is None else v for v in _numbers(values)], marker="o", markersize=4,
                    color=colour, label=name, zorder=3)
            _error_bars(ax, positions, values, lows, highs, name, colour)
        low, high = ax.get_ylim()
        if low < 0 < high:
            ax.axhline(0, color="black", linewidth=0.6, zorder=1)
        ax.set_xticks(range(n), sizes)
        ax.set_xlim(-0.4, n - 0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        if series:
            ax.legend(fontsize=7, frameon=False, loc="best")
        return _save(fig, path)


# ---- shared pieces -------------------------------------------------------------------------------

@contextmanager
def _figure(width: float, height: float):
    """A figure on the Agg canvas under the fixed style; cleared afterwards (pyplot never holds it)."""
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        try:
            yield fig
        finally:
            fig.clear()


def _save(fig, path) -> list[Path]:
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    # the suffix is appended, not substituted: names such as "gains-xcopa.v2" keep their dots
    png, svg = Path(f"{base}.png"), Path(f"{base}.svg")
    for out, kwargs in ((png, {"format": "png", "dpi": DPI, "metadata": {"Software": None}}),
                        (svg, {"format": "svg", "metadata": {"Date": None, "Creator": None}})):
        buffer = io.BytesIO()  # rendered in memory, then written atomically: no half-written image
        fig.savefig(buffer, **kwargs)
        write_atomic(out, buffer.getvalue())
    return [png, svg]


def _numbers(values) -> list[float | None]:
    """Values as floats, None (and NaN) as missing."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        v = float(v)
        out.append(v if math.isfinite(v) else None)
    return out


def _check_series(series: dict, n: int, where: str, what: str) -> None:
    for name, values in series.items():
        if len(values) != n:
            raise ValueError(f"{where}: series {name!r} has {len(values)} values for {n} {what}")


def _check_bounds(series: dict, lows: dict | None, highs: dict | None, n: int, where: str) -> None:
    for kind, bounds in (("lows", lows), ("highs", highs)):
        for name, values in (bounds or {}).items():
            if name not in series:
                raise ValueError(f"{where}: {kind} given for {name!r}, which is not a series")
            if len(values) != n:
                raise ValueError(f"{where}: {kind}[{name!r}] has {len(values)} values, expected {n}")


def _coloured(series: dict):
    import matplotlib

    palette = matplotlib.colormaps["tab10" if len(series) <= 10 else "tab20"].colors
    for j, (name, values) in enumerate(series.items()):
        yield name, values, palette[j % len(palette)]


def _error_bars(ax, positions, values, lows, highs, name, colour) -> None:
    """Error bars at the points that have a value and both bounds."""
    if lows is None or highs is None or name not in lows or name not in highs:
        return
    at, centre, below, above = [], [], [], []
    for position, v, lo, hi in zip(positions, _numbers(values), _numbers(lows[name]), _numbers(highs[name])):
        if v is None or lo is None or hi is None:
            continue
        at.append(position)
        centre.append(v)
        below.append(max(0.0, v - lo))
        above.append(max(0.0, hi - v))
    if at:
        ax.errorbar(at, centre, yerr=[below, above], fmt="none", ecolor=colour, elinewidth=0.8, capsize=2,
                    zorder=4)


def _category_ticks(ax, labels: Sequence[str]) -> None:
    crowded = len(labels) > 8 or max((len(label) for label in labels), default=0) > 6
    if crowded:
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(len(labels)), labels)


def _patch(colour, label: str):
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, label=label)


def _text_colour(rgba) -> str:
    """Black on light cells, white on dark ones (relative luminance, ITU-R BT.709 weights)."""
    red, green, blue = rgba[:3]
    return "black" if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.5 else "white"


def _fit_line(ax, xs: list[float], ys: list[float]) -> list:
    """The OLS line over the x range of the points with its pointwise 95% band for the mean:
    ŷ ± t(0.975, n−2) · s · sqrt(1/n + (x − x̄)² / Sxx). Nothing for fewer than 2 distinct x values."""
    import numpy as np

    n = len(xs)
    if n < 2 or max(xs) == min(xs):
        return []
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    x_mean = x.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    slope = float(((x - x_mean) * (y - y.mean())).sum()) / sxx
    intercept = float(y.mean()) - slope * x_mean
    grid = np.linspace(x.min(), x.max(), 101)
    fitted = intercept + slope * grid
    handles = ax.plot(grid, fitted, color="C1", linewidth=1.2, zorder=2, label="OLS fit")
    if n >= 3:
        from scipy.stats import t

        residual_sd = math.sqrt(float(((y - (intercept + slope * x)) ** 2).sum()) / (n - 2))
        half = t.ppf(0.975, n - 2) * residual_sd * np.sqrt(1.0 / n + (grid - x_mean) ** 2 / sxx)
        handles.append(ax.fill_between(grid, fitted - half, fitted + half, color="C1", alpha=0.18, linewidth=0,
                                       zorder=1, label="95% CI of the mean"))
    return handles
