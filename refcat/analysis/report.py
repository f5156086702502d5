"""`refcat report`: the analysis of a per-sample table in the paper's layout, written as one
self-contained HTML page (figures embedded as base64 PNG, no external resources), Markdown and
LaTeX (`FORMATS`), from a per-sample table and, optionally, label tables (`stats.label_table`),
labels per expression (`ablation.expression_labels`) and the provenance of the predictions.

Sections (`build_report`), each present when the inputs allow it:
- Provenance (`Provenance`): model, checkpoint and its SHA-256, configuration, split, protocol,
  the evaluation settings, the table, the refcat version and the date.
- Summaries, one family of sources apart from the others (`ablation.source_family`): the
  dataset's own REs (all of them, then each source), the A2Dre+ variants (all of them, then
  +App ... -Static, repetitions pooled), the phrase-level variants (a row a level, not pooled).
  Nothing pools the dataset's REs with variants. The precision@K plot always has the dataset's
  REs as its first curve.
- Table 5 in the paper's layout, once for overall IoU and once for mean IoU: one row of IoU
  under +App -App +Loc -Loc +Motion -Motion +Static -Static, then the interval of each value
  and the difference + minus - with its interval (in the + column), all from one paired
  bootstrap over the pairs, then the counts (pairs, and samples on each side).
- Table 6 in the paper's layout: rows Generic, Only Actor, Only Action, Actor + Action, Full
  phrase; columns Overall IoU and Mean IoU, each Trivial / Non-Trivial / All.
- Trivial vs non-trivial referents, IoU by RE category, Figures 3 and 4, redundancy.

Conventions of the written tables: IoU, J, F, precision@K and shares are percentages with one
decimal (`percent`), counts are integers, intervals `[low, high]`, an undefined value is an
empty cell; rows and columns carry display names (`source_name`, `CATEGORY_TITLES`, ...), not
the identifiers of the data. `analysis_tables` gives the same tables with their raw values
(fractions, identifiers) for JSON.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from refcat import __version__
from refcat.analysis import ablation, plots, stats
from refcat.analysis.metrics import CONVENTIONS
from refcat.analysis.phrases import LEVEL_NAMES, LEVELS
from refcat.analysis.summaries import summary_by_source, summary_path
from refcat.errors import FormatError, MissingDataError
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES, CATEGORY_NAMES

SUMMARY_COLUMNS = {
    "expressions": "Expressions",
    "samples": "Samples",
    "J_mean": "J",
    "F_mean": "F",
    "JF_mean": "J&F",
    "overall_iou": "Overall IoU",
    "mean_iou": "Mean IoU",
    **{f"precision@{k}": f"P@{k}" for k in ("0.5", "0.6", "0.7", "0.8", "0.9")},
}
COUNT_COLUMNS = ("expressions", "samples", "referents", "pairs", "n", "unlabelled", "redundant", "minimal")

# Titles of the raw tables (`analysis_tables`), by kind.
SUMMARY_TITLES = {
    "dataset": "Summary: the dataset's REs",
    "a2dre+": "Summary: A2Dre+ variants",
    "phrase": "Summary: phrase-level variants",
}
DIFFICULTY_TITLE = "Trivial vs non-trivial referents"
CATEGORY_TITLE = "IoU by RE category"
TABLE5_TITLE = "Table 5: A2Dre+ with vs without each category"
TABLE6_TITLE = "Table 6: phrase levels"
FIGURE3_TITLE = "Figure 3: RE difficulty (share of all REs)"
FIGURE4_TITLE = "Figure 4: categories (share of valid labelled REs)"
REDUNDANCY_TITLE = "Redundancy (valid REs with an information label)"

# Display names.
GROUP_NAMES = {"trivial": "Trivial", "non-trivial": "Non-Trivial", "all": "All"}
CATEGORY_TITLES = {
    "appearance": "Appearance",
    "location": "Location",
    "motion": "Motion",
    "obj-motion": "Object motion",
    "static": "Static",
    "obj-static": "Object static",
    "category": "Category",
}
# The A2Dre+ categories as the paper's Table 5 heads them (+App, -App, ...).
TABLE5_SHORT = {"appearance": "App", "location": "Loc", "motion": "Motion", "static": "Static"}
MEASURE_NAMES = {"overall_iou": "Overall IoU", "mean_iou": "Mean IoU"}
KIND_NAMES = {"trivial": "Trivial", "non-trivial": "Non-Trivial", "no-re": "No RE", "wrong-object": "Wrong object"}
ALL_OF_FAMILY = {"dataset": "All REs", "a2dre+": "All A2Dre+ variants"}
NOT_GIVEN = "not given"

CSS = """body{font-family:sans-serif;max-width:70em;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #bbb;padding:0.2em 0.6em;text-align:right}
th{background:#f0f0f0}img{max-width:100%}p.note{color:#555;font-size:0.9em}"""


# ----- display names and cells


def source_name(group: str) -> str:
    """The display name of a source group (`ablation.source_group`): +App / -App ... for A2Dre+,
    the Table 6 row name for a phrase level, "Annotator 1, first frame" ... for the DAVIS RE
    files (annot1, annot1_full_video, ...), "Sentence 0" ... for A2D; other sources unchanged."""
    plus = ablation.parse_a2dre_plus_source(group)
    if plus is not None:
        return table5_column(plus[0], plus[1])
    level = ablation.phrase_level(group)
    if level is not None:
        return LEVEL_NAMES.get(level, level)
    davis = re.fullmatch(r"annot(\d+)(_full_video)?", group)
    if davis:
        return f"Annotator {davis[1]}, {'full video' if davis[2] else 'first frame'}"
    a2d = re.fullmatch(r"sentence(\d+)", group)
    return f"Sentence {a2d[1]}" if a2d else group


def table5_column(category: str, polarity: str) -> str:
    """`+App` for (appearance, with), `-App` for (appearance, without), ..."""
    return ("+" if polarity == "with" else "-") + TABLE5_SHORT.get(category, category)


def _number(value: object) -> float | None:
    """`value` as a float, or None when it is not a number or is NaN (undefined)."""
    if isinstance(value, int | float | np.integer | np.floating) and not math.isnan(float(value)):
        return float(value)
    return None


def percent(value: object, *, signed: bool = False) -> str:
    """A fraction as a percentage with one decimal ("63.3"; "+26.7" when `signed`; never "-0.0");
    "" when undefined."""
    number = _number(value)
    if number is None:
        return ""
    text = f"{100 * number:{'+' if signed else ''}.1f}"
    return "0.0" if text.lstrip("+-") == "0.0" else text


def count(value: object) -> str:
    """A count as an integer; "" when undefined."""
    number = _number(value)
    return "" if number is None else f"{round(number):d}"


def interval(low: object, high: object) -> str:
    """A percentile interval of fractions as "[low, high]" in percent; "" when undefined."""
    if _number(low) is None or _number(high) is None:
        return ""
    return f"[{percent(low)}, {percent(high)}]"


def _level(confidence: float) -> str:
    return f"{confidence:.0%} CI"


def _cells(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """The columns of `names` (in its order), renamed, each cell a count or a percentage."""
    out = pd.DataFrame(index=frame.index)
    for column, name in names.items():
        write = count if column in COUNT_COLUMNS else percent
        out[name] = [write(v) for v in frame[column]]
    return out


# ----- provenance


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Provenance:
    """Where a report's predictions and figures come from; None where nothing says (written
    "not given"). `evaluation` describes the settings `refcat evaluate` recorded in the
    summary beside the table; `summary` is that file when one was read."""

    model: str | None = None
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    config: str | None = None
    split: str | None = None
    protocol: str | None = None
    evaluation: str | None = None
    table: str | None = None
    summary: str | None = None
    refcat_version: str = __version__
    date: str = field(default_factory=_now)

    def rows(self) -> list[tuple[str, str]]:
        """(field, value) in the order the report shows them."""
        values = [
            ("Model", self.model),
            ("Checkpoint", self.checkpoint),
            ("Checkpoint SHA-256", self.checkpoint_sha256),
            ("Configuration", self.config),
            ("Split", self.split),
            ("Protocol", self.protocol),
            ("Evaluation", self.evaluation),
            ("Per-sample table", self.table),
            ("Summary", self.summary),
            ("refcat version", self.refcat_version),
            ("Date", self.date),
        ]
        return [(name, value if value is not None else NOT_GIVEN) for name, value in values]


def _text(value: object) -> str | None:
    """A summary document's value as one line: mappings as `key=value, ...`, lists comma-separated."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(_text(v)) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _protocol(value: object) -> str | None:
    """A summary's protocol: `refcat evaluate --protocol` records {name, mirrors, results}, shown as
    "name (what it mirrors)"; any other value as `_text` writes it."""
    if isinstance(value, Mapping) and "name" in value:
        return f"{value['name']} ({value['mirrors']})" if "mirrors" in value else str(value["name"])
    return _text(value)


def _evaluation(document: Mapping[str, object]) -> str | None:
    """The settings of `refcat evaluate` in its summary document: layout, IoU convention, ends."""
    parts = []
    if "layout" in document:
        parts.append(f"{document['layout']} layout")
    if "convention" in document:
        parts.append(f"printed IoU convention {document['convention']}")
    if "drop_ends" in document:
        parts.append("first and last frames left out of J and F" if document["drop_ends"] else "every annotated frame")
    return "; ".join(parts) or None


def read_summary_document(path: str | Path) -> dict[str, object]:
    """The JSON summary `refcat evaluate` writes (`summaries.write_summary`)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"unreadable summary ({exc})", path=path, expected="JSON from refcat evaluate") from exc
    if not isinstance(document, dict):
        raise FormatError("the summary is not a JSON object", path=path, expected="JSON from refcat evaluate")
    return document


def gather_provenance(
    table_path: str | Path | None = None,
    *,
    model: str | None = None,
    checkpoint: str | Path | None = None,
    config: str | Path | None = None,
    split: str | None = None,
    protocol: str | None = None,
    date: str | None = None,
) -> Provenance:
    """The provenance of a report: the options given here first, then what the summary beside the
    table (`summaries.summary_path`) records under the same names (model, checkpoint,
    checkpoint_sha256, config, split, protocol: the one `refcat evaluate --protocol` ran) and
    its evaluation settings.

    A `checkpoint` given here must exist: its SHA-256 is computed from the file. `config` is a
    file (recorded with its SHA-256) or a text such as a preset's name.
    """
    document: Mapping[str, object] = {}
    summary = None
    if table_path is not None and summary_path(table_path).is_file():
        summary = summary_path(table_path)
        document = read_summary_document(summary)
    checkpoint_hash = _text(document.get("checkpoint_sha256"))
    if checkpoint is not None:
        if not Path(checkpoint).is_file():
            raise MissingDataError("checkpoint not found", path=checkpoint)
        checkpoint_hash = file_sha256(checkpoint)
    config_text = _text(document.get("config"))
    if config is not None:
        config_text = f"{config} (SHA-256 {file_sha256(config)})" if Path(config).is_file() else str(config)
    return Provenance(
        model=model if model is not None else _text(document.get("model")),
        checkpoint=str(checkpoint) if checkpoint is not None else _text(document.get("checkpoint")),
        checkpoint_sha256=checkpoint_hash,
        config=config_text,
        split=split if split is not None else _text(document.get("split")),
        protocol=protocol if protocol is not None else _protocol(document.get("protocol")),
        evaluation=_evaluation(document),
        table=None if table_path is None else str(table_path),
        summary=None if summary is None else str(summary),
        date=date if date is not None else _now(),
    )


# ----- the tables


def source_summaries(table: pd.DataFrame, convention: str = "mttr") -> dict[str, pd.DataFrame]:
    """A summary (`summaries.summary_by_source`, the `SUMMARY_COLUMNS`) per family of sources in
    the table, by title (`SUMMARY_TITLES`): a row per source group (`ablation.source_group`), in
    the order of the dataset's sources, of Table 5's columns or of the phrase levels, under a row
    `all` pooling the family (not for the phrase levels, whose pool means nothing)."""
    families = table["source"].map(ablation.source_family)
    plus_order = [f"{ablation.A2DRE_PLUS_PREFIX}{c}:{p}" for c in A2DRE_PLUS_CATEGORIES for p in ablation.POLARITIES]
    level_order = [f"{ablation.PHRASE_PREFIX}{level}" for level in LEVELS]
    out = {}
    for family in ablation.FAMILIES:
        part = table[families == family]
        if part.empty:
            continue
        groups = part["source"].map(ablation.source_group)
        summary = summary_by_source(part.assign(source=groups), convention)[list(SUMMARY_COLUMNS)]
        present = set(groups)
        order = {"a2dre+": plus_order, "phrase": level_order}.get(family, sorted(present))
        rows = [g for g in order if g in present] + sorted(present - set(order))
        out[SUMMARY_TITLES[family]] = summary.loc[rows if family == "phrase" else ["all", *rows]]
    return out


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
    """Every table the inputs allow with its raw values (fractions, identifiers), by title, in report order."""
    tables = source_summaries(table, convention)
    sources = set(table["source"])
    originals = not all(ablation.is_variant(s) for s in sources)
    if labels is not None and originals:
        tables[DIFFICULTY_TITLE] = ablation.difficulty_table(
            table, labels, convention, n_boot=n_boot, seed=seed, confidence=confidence
        )
    if by_expression is not None and len(by_expression) and originals:
        tables[CATEGORY_TITLE] = ablation.category_table(
            table, by_expression, convention, n_boot=n_boot, seed=seed, confidence=confidence
        )
    if any(ablation.parse_a2dre_plus_source(s) for s in sources):
        tables[TABLE5_TITLE] = ablation.table5(table, convention, n_boot=n_boot, seed=seed, confidence=confidence)
    if labels is not None and any(ablation.phrase_level(s) for s in sources):
        tables[TABLE6_TITLE] = ablation.table6(table, labels, convention)
    if labels is not None:
        tables[FIGURE3_TITLE] = stats.difficulty_proportions(labels)
        tables[FIGURE4_TITLE] = stats.category_shares(labels)
        tables[REDUNDANCY_TITLE] = stats.redundancy(labels)
    return tables


def table5_layout(t5: pd.DataFrame, measure: str = "overall_iou", confidence: float = 0.95) -> pd.DataFrame:
    """The paper's Table 5 from `ablation.table5`: columns +App -App +Loc -Loc +Motion -Motion +Static
    -Static; rows `measure` (Overall IoU or Mean IoU), its paired bootstrap interval, the
    difference + minus - with its interval (in the + column; the - column empty), the pairs and
    the samples of each side."""
    name, level = MEASURE_NAMES[measure], _level(confidence)
    columns: dict[str, list[str]] = {}
    for category in A2DRE_PLUS_CATEGORIES:
        row = t5.loc[category]
        for side in ablation.POLARITIES:
            difference = ""
            if side == "with" and _number(row[f"{measure}_diff"]) is not None:
                spread = interval(row[f"{measure}_ci_low"], row[f"{measure}_ci_high"])
                difference = f"{percent(row[f'{measure}_diff'], signed=True)} {spread}".strip()
            columns[table5_column(category, side)] = [
                percent(row[f"{measure}_{side}"]),
                interval(row[f"{measure}_{side}_ci_low"], row[f"{measure}_{side}_ci_high"]),
                difference,
                count(row["pairs"]),
                count(row[f"samples_{side}"]),
            ]
    index = pd.Index([name, level, f"Difference [{level}]", "Pairs", "Samples"])
    return pd.DataFrame(columns, index=index)


def table6_layout(t6: pd.DataFrame) -> pd.DataFrame:
    """The paper's Table 6 from `ablation.table6`: a row per phrase level (Generic ... Full phrase),
    columns (Overall IoU | Mean IoU) x (Trivial | Non-Trivial | All)."""
    columns = pd.MultiIndex.from_tuples(
        [(MEASURE_NAMES[m], GROUP_NAMES[g]) for m in MEASURE_NAMES for g in ablation.GROUPS]
    )
    rows = [[percent(t6.loc[level, f"{g}_{m}"]) for m in MEASURE_NAMES for g in ablation.GROUPS] for level in t6.index]
    return pd.DataFrame(rows, index=pd.Index([LEVEL_NAMES.get(lv, lv) for lv in t6.index]), columns=columns)


def _table6_note(t6: pd.DataFrame) -> str:
    counts = ", ".join(f"{GROUP_NAMES[g]} {int(t6[f'{g}_referents'].max())}" for g in ablation.GROUPS)
    return f"Referents: {counts}. Every value is a percentage."


def summary_layout(summary: pd.DataFrame, family: str) -> pd.DataFrame:
    """A `source_summaries` table with display names: sources by `source_name`, the pooled row
    "All REs" / "All A2Dre+ variants"."""
    out = _cells(summary, SUMMARY_COLUMNS)
    out.index = pd.Index(
        [ALL_OF_FAMILY.get(family, "All") if g == "all" else source_name(g) for g in summary.index], name="Source"
    )
    return out


def difficulty_layout(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """`ablation.difficulty_table` with display names: Trivial / Non-Trivial / All."""
    out = _cells(
        frame,
        {
            "referents": "Referents",
            "samples": "Samples",
            "overall_iou": "Overall IoU",
            "mean_iou": "Mean IoU",
            "referent_mean_iou": "Mean IoU over referents",
        },
    )
    out[_level(confidence)] = [interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    out.index = pd.Index([GROUP_NAMES[g] for g in frame.index], name="Difficulty")
    return out


def category_layout(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """`ablation.category_table` with display names: a row per category and with / without."""
    out = _cells(
        frame,
        {"expressions": "Expressions", "samples": "Samples", "overall_iou": "Overall IoU", "mean_iou": "Mean IoU"},
    )
    out[_level(confidence)] = [interval(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    out.index = pd.MultiIndex.from_tuples(
        [(CATEGORY_TITLES.get(c, c), "with" if p == "yes" else "without") for c, p in frame.index],
        names=["Category", "RE"],
    )
    return out


def figure3_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """`stats.difficulty_proportions` with display names (shares in percent, then the REs counted)."""
    out = _cells(frame, {**KIND_NAMES, "n": "REs"})
    out.index.name = "Dataset"
    return out


def figure4_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """`stats.category_shares` with display names (shares in percent, then the counts)."""
    out = _cells(frame, {**{c: CATEGORY_TITLES[c] for c in CATEGORY_NAMES}, "n": "REs", "unlabelled": "Unlabelled"})
    out.index = pd.MultiIndex.from_tuples(
        [(ds, GROUP_NAMES.get(d, d)) for ds, d in frame.index], names=["Dataset", "REs of"]
    )
    return out


def redundancy_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """`stats.redundancy` with display names (counts, then the ratio in percent)."""
    out = _cells(frame, {"redundant": "Redundant", "minimal": "Minimal", "ratio": "Redundancy"})
    out.index.name = "Dataset"
    return out


# ----- the report


@dataclass(frozen=True)
class Section:
    """A table of the report (cells are display text), notes under it, and the figure beside it
    in HTML (a function, so that only HTML pays for drawing)."""

    title: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    figure: Callable[[], Figure] | None = None


@dataclass(frozen=True)
class Report:
    """What `build_report` assembled; `FORMATS` write it."""

    title: str
    note: str
    provenance: Provenance
    sections: list[Section]

    def provenance_table(self) -> pd.DataFrame:
        rows = self.provenance.rows()
        return pd.DataFrame({"Value": [v for _, v in rows]}, index=pd.Index([k for k, _ in rows], name="Field"))


def precision_parts(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The curves of the precision@K plot, the dataset's own REs first whatever else the table
    holds: all of them, then each source when there are 2 to 4; the A2Dre+ variants with and
    without the category; each phrase level."""
    sources = table["source"]
    families = sources.map(ablation.source_family)
    parts: list[tuple[str, pd.DataFrame]] = []
    originals = table[families == "dataset"]
    if len(originals):
        parts.append(("Dataset REs", originals))
        own = sorted(set(originals["source"]))
        if 2 <= len(own) <= 4:
            parts += [(source_name(s), originals[originals["source"] == s]) for s in own]
    plus = table[families == "a2dre+"]
    if len(plus):
        polarity = plus["source"].map(lambda s: ablation.source_group(s).rsplit(":", 1)[1])
        parts += [(f"A2Dre+ {p}", plus[polarity == p]) for p in ablation.POLARITIES if (polarity == p).any()]
    phrase = table[families == "phrase"]
    if len(phrase):
        levels = phrase["source"].map(ablation.phrase_level)
        parts += [(LEVEL_NAMES[lv], phrase[levels == lv]) for lv in LEVELS if (levels == lv).any()]
    return parts


def _sections(title: str, frame: pd.DataFrame, confidence: float) -> list[Section]:
    """The report sections of one raw table of `analysis_tables`."""
    family = next((f for f, t in SUMMARY_TITLES.items() if t == title), None)
    if family is not None:
        return [Section(title, summary_layout(frame, family))]
    level = _level(confidence)
    if title == TABLE5_TITLE:
        by_name = frame.rename(index=TABLE5_SHORT)
        notes = (
            f"Pairs: expressions of a referent with and without the category, both scored. {level}: "
            "paired percentile bootstrap, every resample drawing the same pairs for + and -. "
            "Difference: + minus -, in the + column.",
        )
        overall, mean = (f"{title} ({MEASURE_NAMES[m]})" for m in MEASURE_NAMES)
        return [
            Section(
                overall,
                table5_layout(frame, "overall_iou", confidence),
                notes,
                lambda: plots.difference_bars(by_name, "overall_iou"),
            ),
            Section(mean, table5_layout(frame, "mean_iou", confidence), notes),
        ]
    if title == TABLE6_TITLE:
        return [Section(title, table6_layout(frame), (_table6_note(frame),))]
    if title == DIFFICULTY_TITLE:
        return [Section(title, difficulty_layout(frame, confidence))]
    if title == CATEGORY_TITLE:
        named = frame.rename(index=CATEGORY_TITLES, level="category")
        return [Section(title, category_layout(frame, confidence), (), lambda: plots.category_iou_bars(named))]
    if title == FIGURE3_TITLE:
        return [Section(title, figure3_layout(frame), (), lambda: plots.figure3_bars(frame))]
    if title == FIGURE4_TITLE:
        return [Section(title, figure4_layout(frame), (), lambda: plots.figure4_bars(frame))]
    return [Section(title, redundancy_layout(frame))]


def build_report(
    table: pd.DataFrame,
    labels: pd.DataFrame | None = None,
    by_expression: pd.DataFrame | None = None,
    convention: str = "mttr",
    *,
    title: str = "refcat report",
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    provenance: Provenance | None = None,
) -> Report:
    """The report of a per-sample table (see the module docstring); `provenance` defaults to none given."""
    tables = analysis_tables(table, labels, by_expression, convention, n_boot=n_boot, seed=seed, confidence=confidence)
    sections = [s for name, frame in tables.items() for s in _sections(name, frame, confidence)]
    # the precision@K plot beside the first summary (the dataset's REs when the table has them)
    parts = precision_parts(table)
    sections[0] = replace(sections[0], figure=lambda: plots.precision_curves(parts, convention))
    note = (
        f"{len(table)} samples, {table['instance_key'].nunique()} expressions. IoU convention: {convention} "
        f"({CONVENTIONS[convention]}); confidence intervals: {confidence:.0%} percentile bootstrap, {n_boot} "
        f"resamples, seed {seed}. IoU, J, F, precision@K and shares are percentages."
    )
    return Report(title, note, provenance if provenance is not None else Provenance(), sections)


# ----- writers


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    if value is None or value is pd.NA:
        return ""
    return str(value)


def _header(column: object) -> str:
    """A column name as one header cell: a two-level column (Overall IoU, Trivial) as "Overall IoU (Trivial)"."""
    if not isinstance(column, tuple):
        return str(column)
    parts = [str(p) for p in column if str(p)]
    return f"{parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else "".join(parts)


def _index_names(frame: pd.DataFrame) -> list[str]:
    return ["" if n is None else str(n) for n in frame.index.names]


def _body(frame: pd.DataFrame) -> list[list[str]]:
    """The cells of each row, the index first: floats to 4 decimals, undefined values empty."""
    rows = []
    for key, values in zip(frame.index, frame.itertuples(index=False)):
        keys = key if isinstance(key, tuple) else (key,)
        rows.append([_cell(v) for v in (*keys, *values)])
    return rows


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-style Markdown table of a DataFrame, its index as the first column(s) (an unnamed
    one headed blank), floats to 4 decimals; two-level columns as "Top (sub)"."""
    header = _index_names(frame) + [_header(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for row in _body(frame):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def html_table(frame: pd.DataFrame) -> str:
    """An HTML table (values escaped), floats to 4 decimals."""
    text: str = frame.to_html(na_rep="", float_format=lambda v: f"{v:.4f}", border=0, escape=True)
    return text


LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """`text` with LaTeX's special characters written literally."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def latex_table(frame: pd.DataFrame, caption: str | None = None) -> str:
    """A booktabs table of a DataFrame: the index as the first column(s), left-aligned, the values
    right-aligned; a two-level column index as grouped heads (\\multicolumn over its sub-columns,
    with a \\cmidrule under each group). Cells as `markdown_table` writes them, escaped; the
    tabular is shrunk to the line width when wider."""
    n_index = frame.index.nlevels
    columns = list(frame.columns)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    lines += [
        r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
        rf"\begin{{tabular}}{{{'l' * n_index}{'r' * len(columns)}}}",
        r"\toprule",
    ]
    if isinstance(frame.columns, pd.MultiIndex):
        groups: list[tuple[str, int]] = []
        for top, _ in columns:
            if groups and groups[-1][0] == str(top):
                groups[-1] = (groups[-1][0], groups[-1][1] + 1)
            else:
                groups.append((str(top), 1))
        heads, rules, start = [], [], n_index + 1
        for top, width in groups:
            heads.append(rf"\multicolumn{{{width}}}{{c}}{{{latex_escape(top)}}}")
            rules.append(rf"\cmidrule(lr){{{start}-{start + width - 1}}}")
            start += width
        lines.append(" & ".join([""] * n_index + heads) + r" \\")
        lines.append(" ".join(rules))
        subs = [str(sub) for _, sub in columns]
    else:
        subs = [str(c) for c in columns]
    heads = _index_names(frame) + subs
    lines += [" & ".join(latex_escape(h) for h in heads) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(cell) for cell in row) + r" \\" for row in _body(frame)]
    lines += [r"\bottomrule", r"\end{tabular}}", r"\end{table}"]
    return "\n".join(lines)


def to_html(report: Report) -> str:
    """One self-contained HTML page: the tables, each figure embedded as a base64 PNG."""
    page = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(report.title)}</title>",
        f"<style>{CSS}</style></head><body><h1>{html.escape(report.title)}</h1>"
        f"<p class='note'>{html.escape(report.note)}</p>",
        f"<h2>Provenance</h2>{html_table(report.provenance_table())}",
    ]
    for section in report.sections:
        page.append(f"<h2>{html.escape(section.title)}</h2>{html_table(section.table)}")
        page += [f"<p class='note'>{html.escape(note)}</p>" for note in section.notes]
        if section.figure is not None:
            data = base64.b64encode(plots.png_bytes(section.figure())).decode("ascii")
            page.append(f"<img alt='{html.escape(section.title, quote=True)}' src='data:image/png;base64,{data}'>")
    page.append("</body></html>")
    return "\n".join(page)


def to_markdown(report: Report) -> str:
    """The report's tables in Markdown (no figures)."""
    lines = [f"# {report.title}", "", report.note, "", "## Provenance", "", markdown_table(report.provenance_table())]
    for section in report.sections:
        lines += ["", f"## {section.title}", "", markdown_table(section.table)]
        for note in section.notes:
            lines += ["", note]
    return "\n".join(lines) + "\n"


def to_latex(report: Report) -> str:
    """A LaTeX document (article, booktabs, graphicx) with the report's tables, each a table
    environment captioned with its title, the notes under it (no figures)."""
    lines = [
        r"\documentclass{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{booktabs}",
        r"\usepackage{graphicx}",
        r"\begin{document}",
        rf"\section*{{{latex_escape(report.title)}}}",
        latex_escape(report.note),
        "",
        latex_table(report.provenance_table(), "Provenance"),
    ]
    for section in report.sections:
        lines += ["", latex_table(section.table, section.title)]
        lines += [latex_escape(note) for note in section.notes]
    lines += ["", r"\end{document}"]
    return "\n".join(lines) + "\n"


# format -> (file name, writer)
FORMATS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "html": ("report.html", to_html),
    "md": ("report.md", to_markdown),
    "latex": ("report.tex", to_latex),
}


def write_report(out_dir: str | Path, report: Report, formats: Sequence[str] = ("html", "md")) -> list[Path]:
    """Write the report into `out_dir` in each of `formats` (`FORMATS`: report.html, report.md,
    report.tex); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in dict.fromkeys(formats):
        file_name, write = FORMATS[name]
        path = out / file_name
        path.write_text(write(report), encoding="utf-8")
        paths.append(path)
    return paths
