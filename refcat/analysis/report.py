"""`refcat report`: one self-contained HTML page (figures embedded as base64 PNG, no external
resources) and a Markdown file with the same tables, from a per-sample table and, optionally,
label tables (`stats.label_table`) and labels per expression (`ablation.expression_labels`)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from refcat.analysis import ablation, plots, stats
from refcat.analysis.summaries import summary_by_source

SUMMARY_COLUMNS = [
    "expressions",
    "samples",
    "J_mean",
    "F_mean",
    "JF_mean",
    "overall_iou",
    "mean_iou",
    "precision@0.5",
    "precision@0.6",
    "precision@0.7",
    "precision@0.8",
    "precision@0.9",
]
CSS = """body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #bbb;padding:0.2em 0.6em;text-align:right}
th{background:#f0f0f0}img{max-width:100%}p.note{color:#555;font-size:0.9em}"""


def analysis_tables(
    table: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    by_expression: pd.DataFrame | None = None,
    convention: str = "mttr",
    *,
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, pd.DataFrame]:
    """Every table the inputs allow, by title, in report order."""
    tables = {"Summary by expression source": summary_by_source(table, convention)[SUMMARY_COLUMNS]}
    sources = set(table["source"])
    originals = not all(ablation.is_variant(s) for s in sources)
    if labels is not None and originals:
        tables["Trivial vs non-trivial referents"] = ablation.difficulty_table(
            table, labels, convention, n_boot=n_boot, seed=seed, confidence=confidence
        )
    if by_expression is not None and len(by_expression) and originals:
        tables["IoU by RE category"] = ablation.category_table(
            table, by_expression, convention, n_boot=n_boot, seed=seed, confidence=confidence
        )
    if any(ablation.parse_a2dre_plus_source(s) for s in sources):
        tables["Table 5: A2Dre+ with vs without each category"] = ablation.table5(
            table, convention, n_boot=n_boot, seed=seed, confidence=confidence
        )
    if labels is not None and any(ablation.phrase_level(s) for s in sources):
        tables["Table 6: phrase levels"] = ablation.table6(table, labels, convention)
    if labels is not None:
        tables["Figure 3: RE difficulty (share of all REs)"] = stats.difficulty_proportions(labels)
        tables["Figure 4: categories (share of valid labelled REs)"] = stats.category_shares(labels)
        tables["Redundancy (valid REs with an information label)"] = stats.redundancy(labels)
    return tables


def _figures(table: pd.DataFrame, tables: dict[str, pd.DataFrame], convention: str) -> dict[str, bytes]:
    """PNG figures for the tables present, by the title of the table they illustrate."""
    figures = {"Summary by expression source": plots.precision_curves(table, convention)}
    for title, frame in tables.items():
        if title.startswith("IoU by RE category"):
            figures[title] = plots.category_iou_bars(frame)
        elif title.startswith("Table 5"):
            figures[title] = plots.difference_bars(frame)
        elif title.startswith("Figure 3"):
            figures[title] = plots.figure3_bars(frame)
        elif title.startswith("Figure 4"):
            figures[title] = plots.figure4_bars(frame)
    return {title: plots.png_bytes(fig) for title, fig in figures.items()}


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-style Markdown table of a DataFrame, its index as the first column(s), floats to 4 decimals."""
    frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def html_table(frame: pd.DataFrame) -> str:
    """An HTML table (values escaped), floats to 4 decimals."""
    text: str = frame.to_html(na_rep="", float_format=lambda v: f"{v:.4f}", border=0, escape=True)
    return text


def render(
    table: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    by_expression: pd.DataFrame | None = None,
    convention: str = "mttr",
    *,
    title: str = "refcat report",
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[str, str]:
    """(HTML page, Markdown text) of the report."""
    tables = analysis_tables(table, labels, by_expression, convention, n_boot=n_boot, seed=seed, confidence=confidence)
    figures = _figures(table, tables, convention)
    note = (
        f"{len(table)} samples, {table['instance_key'].nunique()} expressions. IoU convention: {convention}; "
        f"confidence intervals: {confidence:.0%} percentile bootstrap, {n_boot} resamples, seed {seed}."
    )
    page = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1><p class='note'>{html.escape(note)}</p>",
    ]
    md = [f"# {title}", "", note, ""]
    for name, frame in tables.items():
        page.append(f"<h2>{html.escape(name)}</h2>{html_table(frame)}")
        if name in figures:
            data = base64.b64encode(figures[name]).decode("ascii")
            page.append(f"<img alt='{html.escape(name, quote=True)}' src='data:image/png;base64,{data}'>")
        md += [f"## {name}", "", markdown_table(frame), ""]
    page.append("</body></html>")
    return "\n".join(page), "\n".join(md)


def write_report(
    out_dir: str | Path,
    table: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    by_expression: pd.DataFrame | None = None,
    convention: str = "mttr",
    *,
    title: str = "refcat report",
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[Path]:
    """Write report.html and report.md (`render`) into `out_dir`; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page, md = render(
        table, labels, by_expression, convention, title=title, n_boot=n_boot, seed=seed, confidence=confidence
    )
    paths = [out / "report.html", out / "report.md"]
    paths[0].write_text(page, encoding="utf-8")
    paths[1].write_text(md + "\n", encoding="utf-8")
    return paths
