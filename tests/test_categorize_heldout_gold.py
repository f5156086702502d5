"""The second pass and the adjudicated gold file of held-out sets 2 and 3 (tests/data/categorize_heldout<n>_*; see
each README's "Labelling consistency"): well formed, the gold file keeps every label both passes agree on, explains
every one they do not, and the kappas reported in the README are the ones the files give. No categorizer runs here:
the sets are scored by the lead (docs/categorizer.md)."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from refcat.analysis.agreement import cohen_kappa
from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).parent / "data"
CATS = list(CATEGORY_NAMES)
PASS_COLUMNS = ["id", "appearance", "category", "location", "motion", "obj-motion", "static", "obj-static", "note"]


@dataclass(frozen=True)
class HeldOut:
    """What one set's files must hold: the REs and labels the passes differ on, one hand-checked row (its id,
    the start of its text and its labels of `checked`), and the per-category kappas of its README."""

    number: int
    differing_res: int
    differing_labels: int
    row: str
    starts: str
    checked: dict[str, int]
    kappas: dict[str, float]

    def read(self, part: str, **kw) -> pd.DataFrame:
        return pd.read_csv(DATA / f"categorize_heldout{self.number}_{part}.csv", keep_default_na=False, **kw)


SETS = [
    # "a cat is playing a person in the couch" -> static by DECISIONS, the person is company
    HeldOut(
        2,
        11,
        14,
        "h2-ytvos-022",
        "a cat is playing",
        {"location": 1, "static": 1, "obj-static": 0, "obj-motion": 0},
        {"appearance": 1.0, "category": 1.0, "location": 0.974, "motion": 0.992, "obj-motion": 0.916}
        | {"static": 0.960, "obj-static": 0.890},
    ),
    # "... neither standing nor lying on the bench, wearing sunglasses and holding a bag": the place after a
    # negated action is still the referent's (DECISIONS), holding is static + obj-static
    HeldOut(
        3,
        8,
        9,
        "h3-refcocos-048",
        "the person who is neither standing nor lying on the bench",
        {"location": 1, "static": 1, "obj-static": 1, "motion": 0},
        {"appearance": 0.982, "category": 1.0, "location": 0.957, "motion": 0.991, "obj-motion": 1.0}
        | {"static": 0.990, "obj-static": 0.965},
    ),
]
BY_SET = pytest.mark.parametrize("held", SETS, ids=lambda h: f"heldout{h.number}")


@BY_SET
def test_pass2_and_gold_are_well_formed(held):
    texts, pass2, gold = held.read("texts", dtype=str), held.read("pass2"), held.read("hand_labelled")
    assert list(pass2.columns) == PASS_COLUMNS
    first = pd.read_csv(DATA / "categorize_heldout_hand_labelled.csv", nrows=0).columns.tolist()
    assert list(gold.columns) == ["id", "dataset", "ref_exp", *first[1:], "adjudication"]
    assert pass2.id.tolist() == gold.id.tolist() == texts.id.tolist()
    assert gold[["dataset", "ref_exp"]].equals(texts[["dataset", "ref_exp"]])
    assert set(pass2[CATS].stack().unique()) == set(gold[CATS].stack().unique()) == {0, 1}


@BY_SET
def test_gold_keeps_agreed_labels_and_explains_every_disagreement(held):
    pass1, pass2, gold = held.read("pass1").set_index("id"), held.read("pass2"), held.read("hand_labelled")
    p1, p2, g = pass1.loc[gold.id, CATS].to_numpy(), pass2[CATS].to_numpy(), gold[CATS].to_numpy()
    agreed = p1 == p2
    assert (g[agreed] == p1[agreed]).all()
    differs = ~agreed.all(axis=1)
    assert differs.sum() == held.differing_res and (~agreed).sum() == held.differing_labels
    assert ((gold.adjudication != "") == differs).all()
    for row, cats in zip(gold.itertuples(), ~agreed):
        for c in (name for name, d in zip(CATS, cats) if d):
            assert f"{c}: pass1=" in row.adjudication, (row.id, c)
    checked = gold.set_index("id").loc[held.row]
    assert checked["ref_exp"].startswith(held.starts)
    assert {c: checked[c] for c in held.checked} == held.checked


@BY_SET
@pytest.mark.parametrize("category", CATS)
def test_kappas_reported_in_the_readme(held, category):
    pass1, pass2 = held.read("pass1").set_index("id"), held.read("pass2")
    kappa = held.kappas[category]
    assert round(cohen_kappa(pass1.loc[pass2.id, category].tolist(), pass2[category].tolist()), 3) == kappa
    readme = (DATA / f"categorize_heldout{held.number}_README.md").read_text()
    section = readme.split("## Labelling consistency")[1]
    rows = [c for c in (line.split(" | ") for line in section.splitlines()) if c[0] == f"| {category}"]
    assert [c[5] for c in rows if c[1].isdigit()] == [f"{kappa:.3f}"]


def test_heldout3_gold_positives_as_in_its_readme():
    assert SETS[1].read("hand_labelled")[CATS].sum().to_dict() == {
        "appearance": 130,
        "obj-static": 16,
        "category": 222,
        "location": 161,
        "motion": 88,
        "obj-motion": 9,
        "static": 69,
    }
