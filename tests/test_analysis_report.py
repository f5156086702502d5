"""Plots show the table values; the HTML report is self-contained and carries the right numbers."""

import base64
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from helpers.release import DAVIS_ROWS, write_release_lines
from helpers.tables import A2DRE, labels_frame

from refcat.analysis import plots
from refcat.analysis.ablation import table5
from refcat.analysis.per_sample import write_table
from refcat.analysis.report import build_report, markdown_table, to_html, to_markdown
from refcat.analysis.stats import category_shares, difficulty_proportions
from refcat.cli import main


class Resources(HTMLParser):
    """Every tag name and every attribute that can load something."""

    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [
            (tag, name, value) for name, value in attrs if name in ("src", "href", "srcset", "data", "action")
        ]


LABELS = labels_frame(
    [
        ("v1", 0, "the man in red", "non-trivial", "valid", ["category", "appearance"]),
        ("v2", 1, "the dog", "trivial", "valid", ["category"]),
        ("v3", 0, "a bird", None, "no-re", None),
    ]
)


def test_html_is_self_contained_with_the_right_numbers():
    report = build_report(A2DRE, LABELS, None, n_boot=100, title="A <b>test</b>")
    page, md = to_html(report), to_markdown(report)
    parser = Resources()
    parser.feed(page)
    assert not {"script", "link", "iframe", "object"} & set(parser.tags)
    assert parser.links and all(
        name == "src" and value.startswith("data:image/png;base64,") for _, name, value in parser.links
    )
    for _, _, value in parser.links:
        assert base64.b64decode(value.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "url(" not in text and "http" not in text and "//" not in text
    assert "A &lt;b&gt;test&lt;/b&gt;" in page  # the title is escaped
    t5 = table5(A2DRE, n_boot=100)
    # issue 17: percentages with one decimal, Table 5 as one row of +App -App +Loc -Loc ... (was 4-decimal fractions)
    assert f"{100 * 19 / 30:.1f}" in page and f"{100 * t5.loc['appearance', 'overall_iou_ci_high']:.1f}]" in page
    assert "| Overall IoU | 63.3 | 36.7 | 30.0 | 10.0 |  |  |  |  |" in md  # overall IoU +App, -App, +Loc, -Loc
    assert "## Trivial vs non-trivial referents" in md and "## Figure 3: RE difficulty (share of all REs)" in md
    # one figure each: precision@K, Table 5, Figure 3, Figure 4
    assert len(parser.links) == 4


def test_report_command_writes_both_files(tmp_path):
    write_table(A2DRE, tmp_path / "t.parquet")
    release = tmp_path / "DAVIS17_RE_categorization.csv"
    write_release_lines(release, DAVIS_ROWS)
    assert (
        main(
            [
                "report",
                "--table",
                str(tmp_path / "t.parquet"),
                "--release",
                str(release),
                "--out-dir",
                str(tmp_path / "out"),
                "--n-boot",
                "50",
            ]
        )
        == 0
    )
    page = (tmp_path / "out" / "report.html").read_text()
    md = (tmp_path / "out" / "report.md").read_text()
    # issue 17: shares as percentages with one decimal (was 4-decimal fractions)
    assert "Figure 4: categories" in page and "| davis | 25.0 | 50.0 | 12.5 | 12.5 | 8 |" in md


def test_markdown_escapes_pipes_and_blank_nans():
    frame = pd.DataFrame({"text": ["a|b"], "value": [float("nan")]}, index=pd.Index(["r"], name="row"))
    assert markdown_table(frame).splitlines() == ["| row | text | value |", "|---|---|---|", "| r | a\\|b |  |"]


def test_bars_have_the_table_heights():
    labels = labels_frame(
        [
            ("v1", 0, "a", "trivial", "valid", ["category"]),
            ("v2", 0, "b", "non-trivial", "valid", ["category", "location"]),
            ("v3", 0, "c", None, "wrong-object", None),
            ("v4", 0, "d", "non-trivial", "valid", ["category", "motion"]),
        ]
    )
    fig = plots.figure3_bars(difficulty_proportions(labels))
    assert [p.get_height() for p in fig.axes[0].patches] == pytest.approx([25, 50, 0, 25])
    fig = plots.figure4_bars(category_shares(labels))
    heights = [p.get_height() for p in fig.axes[0].patches]  # appearance, location, motion, ... , category
    assert heights[:3] == pytest.approx([0, 100 / 3, 100 / 3]) and heights[-1] == pytest.approx(100)
    fig = plots.difference_bars(table5(A2DRE, n_boot=50))
    assert fig.axes[0].patches[0].get_height() == pytest.approx(0.8 / 3)
    assert plots.png_bytes(fig).startswith(b"\x89PNG")
