"""The second pass and the adjudicated gold file of held-out set 2 (tests/data/categorize_heldout2_*; see the
README's "Labelling consistency"): well formed, the gold file keeps every label both passes agree on, explains
every one they do not, and the kappas reported in the README are the ones the files give."""

from pathlib import Path

import pandas as pd
import pytest

from refcat.analysis.agreement import cohen_kappa
from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).parent / "data"
TEXTS = pd.read_csv(DATA / "categorize_heldout2_texts.csv", dtype=str, keep_default_na=False)
PASS1 = pd.read_csv(DATA / "categorize_heldout2_pass1.csv", keep_default_na=False).set_index("id")
PASS2 = pd.read_csv(DATA / "categorize_heldout2_pass2.csv", keep_default_na=False)
GOLD = pd.read_csv(DATA / "categorize_heldout2_hand_labelled.csv", keep_default_na=False)
CATS = list(CATEGORY_NAMES)


def test_pass2_and_gold_are_well_formed():
    assert list(PASS2.columns) == [
        "id",
        "appearance",
        "category",
        "location",
        "motion",
        "obj-motion",
        "static",
        "obj-static",
        "note",
    ]
    first = pd.read_csv(DATA / "categorize_heldout_hand_labelled.csv", nrows=0).columns.tolist()
    assert list(GOLD.columns) == ["id", "dataset", "ref_exp", *first[1:], "adjudication"]
    assert PASS2.id.tolist() == GOLD.id.tolist() == TEXTS.id.tolist()
    assert GOLD[["dataset", "ref_exp"]].equals(TEXTS[["dataset", "ref_exp"]])
    assert set(PASS2[CATS].stack().unique()) == set(GOLD[CATS].stack().unique()) == {0, 1}


def test_gold_keeps_agreed_labels_and_explains_every_disagreement():
    p1, p2, gold = PASS1.loc[GOLD.id, CATS].to_numpy(), PASS2[CATS].to_numpy(), GOLD[CATS].to_numpy()
    agreed = p1 == p2
    assert (gold[agreed] == p1[agreed]).all()
    differs = ~agreed.all(axis=1)
    assert differs.sum() == 11 and (~agreed).sum() == 14
    assert ((GOLD.adjudication != "") == differs).all()
    for row, cats in zip(GOLD.itertuples(), ~agreed):
        for c in (name for name, d in zip(CATS, cats) if d):
            assert f"{c}: pass1=" in row.adjudication, (row.id, c)
    # one hand-checked case: "a cat is playing a person in the couch" -> static by DECISIONS, the person is company
    cat = GOLD.set_index("id").loc["h2-ytvos-022"]
    assert (cat["location"], cat["static"], cat["obj-static"], cat["obj-motion"]) == (1, 1, 0, 0)


@pytest.mark.parametrize(
    "category,kappa",
    [
        ("appearance", 1.0),
        ("category", 1.0),
        ("location", 0.974),
        ("motion", 0.992),
        ("obj-motion", 0.916),
        ("static", 0.960),
        ("obj-static", 0.890),
    ],
)
def test_kappas_reported_in_the_readme(category, kappa):
    a, b = PASS1.loc[PASS2.id, category].tolist(), PASS2[category].tolist()
    assert round(cohen_kappa(a, b), 3) == kappa
    section = (DATA / "categorize_heldout2_README.md").read_text().split("## Labelling consistency")[1]
    rows = [c for c in (line.split(" | ") for line in section.splitlines()) if c[0] == f"| {category}"]
    assert [c[5] for c in rows if c[1].isdigit()] == [f"{kappa:.3f}"]
