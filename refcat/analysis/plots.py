"""Matplotlib figures of the analysis (Agg, no pyplot state): each function takes the table its
counterpart in `stats` / `ablation` / `per_sample` / `agreement_report` returns and gives a Figure;
`png_bytes` renders one."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from refcat.analysis.metrics import iou_summary

KIND_LABELS = {"trivial": "trivial", "non-trivial": "non-trivial", "no-re": "no RE", "wrong-object": "wrong object"}
# The IoU thresholds K of `precision_curves`: 0.5, 0.55, ..., 0.95.
CURVE_THRESHOLDS: tuple[float, ...] = tuple(np.linspace(0.5, 0.95, 10).tolist())


def png_bytes(figure: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _grouped_bars(ax: Axes, frame: pd.DataFrame, errors: dict[str, npt.NDArray[np.float64]] | None = None) -> None:
    """Bars of `frame`: one group per row, one bar per column (optionally with (2, n) error arrays per column)."""
    n_rows, n_cols = frame.shape
    width = 0.8 / max(n_cols, 1)
    x = np.arange(n_rows)
    for i, column in enumerate(frame.columns):
        yerr = None if errors is None else errors.get(column)
        ax.bar(
            x + (i - (n_cols - 1) / 2) * width,
            frame[column].to_numpy(dtype=float),
            width,
            label=str(column),
            yerr=yerr,
            capsize=3 if yerr is not None else 0,
        )
    ax.set_xticks(x)
    ax.set_xticklabels(
        [str(i) for i in frame.index], rotation=30 if n_rows > 4 else 0, ha="right" if n_rows > 4 else "center"
    )
    ax.legend(frameon=False, fontsize="small")


def figure3_bars(proportions: pd.DataFrame) -> Figure:
    """Figure 3 style: share of REs per difficulty kind, one group per dataset (`stats.difficulty_proportions`)."""
    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot()
    shares = proportions[list(KIND_LABELS)].rename(columns=KIND_LABELS) * 100
    shares.index = [f"{ds} (n={n})" for ds, n in zip(proportions.index, proportions["n"])]
    _grouped_bars(ax, shares)
    ax.set_ylabel("% of REs")
    ax.set_title("RE difficulty")
    return fig


def figure4_bars(shares: pd.DataFrame, difficulty: str = "all") -> Figure:
    """Figure 4 style: % of valid labelled REs expressing each category, one bar per dataset
    (`stats.category_shares`, rows of one difficulty)."""
    from refcat.taxonomy import CATEGORY_NAMES

    part = shares.xs(difficulty, level="difficulty")
    frame = part[list(CATEGORY_NAMES)].T * 100
    frame.columns = [f"{ds} (n={n})" for ds, n in zip(part.index, part["n"])]
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    _grouped_bars(ax, frame)
    ax.set_ylabel("% of REs")
    ax.set_title(f"Categories expressed ({difficulty} valid REs)")
    return fig


def category_iou_bars(categories: pd.DataFrame) -> Figure:
    """Mean IoU of expressions with / without each category, with CIs (`ablation.category_table`)."""
    order = categories.index.get_level_values("category").unique()

    def wide(column: str) -> pd.DataFrame:
        return categories[column].unstack("present").reindex(index=order, columns=["yes", "no"])

    means, low, high = wide("mean_iou"), wide("ci_low"), wide("ci_high")
    names = {"yes": "with category", "no": "without"}
    errors = {
        names[c]: np.nan_to_num(np.vstack([means[c] - low[c], high[c] - means[c]]).clip(min=0)) for c in ("yes", "no")
    }
    fig = Figure(figsize=(7, 3.5))
    ax = fig.add_subplot()
    _grouped_bars(ax, means.rename(columns=names), errors)
    ax.set_ylabel("mean IoU")
    ax.set_ylim(0, 1)
    ax.set_title("IoU by RE category (bootstrap CI)")
    return fig


def difference_bars(table5: pd.DataFrame, measure: str = "mean_iou") -> Figure:
    """Table 5 as a plot: IoU(with) - IoU(without) per category with its paired bootstrap CI."""
    diff = table5[f"{measure}_diff"].to_numpy(dtype=float)
    err = np.nan_to_num(
        np.vstack([diff - table5[f"{measure}_ci_low"], table5[f"{measure}_ci_high"] - diff]).clip(min=0)
    )
    fig = Figure(figsize=(5, 3.2))
    ax = fig.add_subplot()
    ax.bar(np.arange(len(diff)), diff, yerr=err, capsize=4, color=["tab:green" if d >= 0 else "tab:red" for d in diff])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(diff)))
    ax.set_xticklabels(table5.index)
    ax.set_ylabel(f"{measure.replace('_', ' ')}: with - without")
    ax.set_title("A2Dre+: effect of each category")
    return fig


def precision_curves(
    curves: Sequence[tuple[str, pd.DataFrame]], convention: str = "mttr", thresholds: Sequence[float] = CURVE_THRESHOLDS
) -> Figure:
    """precision@K against K, one curve per (label, part of a per-sample table), in the given order
    (the caller picks the parts: `report.precision_parts` puts the dataset's own REs first); a part
    with no sample under `convention` draws no curve."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.add_subplot()
    for name, group in curves:
        summary = iou_summary(group["I"], group["U"], group["gt_present"], convention, thresholds)
        if summary["samples"] == 0:
            continue
        precision = [summary[f"precision@{t:g}"] for t in thresholds]
        ax.plot(thresholds, precision, marker="o", markersize=3, label=str(name))
    ax.set_xlabel("IoU threshold K")
    ax.set_ylabel("precision@K")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize="small")
    ax.set_title(f"precision@K ({convention})")
    return fig


def forest_plot(forest: pd.DataFrame, statistic: str = "kappa") -> Figure:
    """Kappa with its interval per field, one marker per series (e.g. before and after revision),
    fields top to bottom in order of first appearance (`agreement_report.forest_frame`: columns
    field, series, value, ci_low, ci_high, percent_agreement). An undefined value is written
    "undefined" at 0, with the series' percent agreement; every row shows percent agreement on
    the right."""
    fields = list(dict.fromkeys(forest["field"]))
    series = list(dict.fromkeys(forest["series"]))
    fig = Figure(figsize=(7, 0.45 * len(fields) * max(len(series), 1) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    step = 0.8 / max(len(series), 1)
    markers = "osD^v"
    for i, name in enumerate(series):
        part = forest[forest["series"] == name].set_index("field").reindex(fields)
        y = np.arange(len(fields)) + (i - (len(series) - 1) / 2) * step
        value = part["value"].to_numpy(dtype=float)
        low, high = part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float)
        error = np.vstack([value - low, high - value])
        shown = np.isfinite(value)
        ax.errorbar(
            value[shown],
            y[shown],
            xerr=np.nan_to_num(error[:, shown]).clip(min=0),
            fmt=markers[i % len(markers)],
            capsize=3,
            label=str(name),
            color=f"C{i}",
        )
        for yy, v, pct in zip(y, value, part["percent_agreement"].to_numpy(dtype=float)):
            if not np.isfinite(v):
                ax.text(0, yy, "undefined", va="center", ha="center", fontsize="x-small", color=f"C{i}")
            text = "—" if not np.isfinite(pct) else f"{pct:.0%}"
            ax.text(1.01, yy, text, va="center", fontsize="x-small", color=f"C{i}", transform=ax.get_yaxis_transform())
    ax.axvline(0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_yticks(np.arange(len(fields)))
    ax.set_yticklabels(fields)
    ax.set_ylim(len(fields) - 0.5, -0.5)  # first field on top
    lows = forest["ci_low"].to_numpy(dtype=float)
    left = min(-0.1, float(np.nanmin(lows)) - 0.05) if np.isfinite(lows).any() else -0.1
    ax.set_xlim(left, 1.05)
    ax.set_xlabel(statistic)
    ax.text(1.01, 1.0, "% agr.", fontsize="x-small", va="bottom", transform=ax.transAxes)
    if len(series) > 1:
        fig.legend(frameon=False, fontsize="small", loc="outside lower center", ncol=len(series))
    ax.set_title(f"{statistic} per field with its interval")
    return fig
