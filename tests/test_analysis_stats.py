"""Section 4 statistics from released label files (FORMATS.md format), hand-counted."""

import json

import pytest
from helpers.release import DAVIS_ROWS, write_release_lines

from refcat.analysis.stats import (
    category_shares,
    cooccurrence,
    difficulty_proportions,
    redundancy,
)
from refcat.annotate.label_sources import read_labels
from refcat.cli import main

A2D_ROWS = [
    "-7EE9T3Z0qk;0;the child is crawling up onto the sofa;Non-trivial;Redundant Information;"
    "0.0;0.0;1.0;1.0;1.0;0.0;0.0",
    "2G9DODKHHIM;0;seagull standing in the back;Not a Referring Expression;Not Applicable;;;;;;;",
    "abc;1;the dog;Trivial;Minimum Information;0;0;1;0;0;0;0",
]


@pytest.fixture
def labels(tmp_path):
    davis = write_release_lines(tmp_path / "DAVIS17_RE_categorization.csv", DAVIS_ROWS)
    a2d = write_release_lines(tmp_path / "A2D_RE_categorization.csv", A2D_ROWS)
    return read_labels([str(davis), str(a2d)])


def test_figure3_proportions(labels):
    table = difficulty_proportions(labels)
    assert table.loc["davis"].to_dict() == {
        "trivial": 0.25,
        "non-trivial": 0.5,
        "no-re": 0.125,
        "wrong-object": 0.125,
        "n": 8,
    }
    assert table.loc["a2d", "no-re"] == pytest.approx(1 / 3) and table.loc["a2d", "wrong-object"] == 0


def test_figure4_shares_over_labelled_valid_res(labels):
    table = category_shares(labels)
    davis = table.loc[("davis", "all")]
    assert (davis.n, davis.unlabelled) == (5, 1)  # 6 valid REs, one with empty categories
    assert davis.category == 1.0 and davis.appearance == 0.2 and davis.location == 0.2
    assert davis.motion == 0.0 and davis["obj-motion"] == 0.2 and davis.static == 0.2
    trivial = table.loc[("davis", "trivial")]
    assert (trivial.n, trivial.appearance) == (2, 0.5)
    non_trivial = table.loc[("davis", "non-trivial")]
    assert (non_trivial.n, non_trivial.unlabelled) == (3, 1)
    assert non_trivial.location == pytest.approx(1 / 3)
    assert list(table.index.get_level_values("difficulty")[:3]) == ["all", "trivial", "non-trivial"]


def test_redundancy_and_cooccurrence(labels):
    red = redundancy(labels)
    assert red.loc["davis"].to_dict() == {"redundant": 3, "minimal": 3, "ratio": 0.5}
    assert red.loc["a2d", "ratio"] == 0.5
    counts = cooccurrence(labels, "davis")
    assert counts.loc["category", "category"] == 5
    assert counts.loc["appearance", "category"] == 1 and counts.loc["location", "appearance"] == 0
    conditional = cooccurrence(labels, "davis", conditional=True)
    assert conditional.loc["location", "category"] == 1.0
    assert conditional.loc["category", "location"] == pytest.approx(0.2)


def test_stats_command(tmp_path, capsys):
    davis = write_release_lines(tmp_path / "DAVIS17_RE_categorization.csv", DAVIS_ROWS)
    assert main(["stats", "--release", f"mine={davis}", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["figure3_difficulty"]["mine"]["non-trivial"] == 0.5
    assert stats["figure4_categories"]["mine / all"]["n"] == 5
    assert stats["cooccurrence"]["mine"]["static"]["category"] == 1
    assert main(["stats", "--release", str(davis)]) == 0
    out = capsys.readouterr().out
    assert "50.0%" in out and "davis" in out
    assert main(["stats", "--release", str(tmp_path / "missing.csv")]) == 2
