"""The second held-out RE set (tests/data/categorize_heldout2_*): its texts and pass-1 labels are
well formed and stay as they were labelled, before any categorizer run (see categorize_heldout2_README.md)."""

import re
from pathlib import Path

import pandas as pd

from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).parent / "data"
TEXTS = pd.read_csv(DATA / "categorize_heldout2_texts.csv", dtype=str, keep_default_na=False)
PASS1 = pd.read_csv(DATA / "categorize_heldout2_pass1.csv", keep_default_na=False)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(" .,")


def test_texts_and_pass1_share_ids_and_hold_binary_labels():
    assert list(TEXTS.columns) == ["id", "dataset", "origin", "video", "object", "ref_exp"]
    labels = ["appearance", "category", "location", "motion", "obj-motion", "static", "obj-static"]
    assert list(PASS1.columns) == ["id", *labels, "note"] and set(labels) == set(CATEGORY_NAMES)
    assert TEXTS.id.is_unique and TEXTS.id.tolist() == PASS1.id.tolist()
    assert TEXTS.ref_exp.map(_norm).is_unique
    assert set(PASS1[list(CATEGORY_NAMES)].stack().unique()) == {0, 1}


def test_several_sources_with_enough_rows_each():
    family = TEXTS.dataset.str.replace(r" \(.*\)$", "", regex=True).value_counts()
    assert len(TEXTS) >= 240
    assert sorted(family.tolist(), reverse=True)[:4] == [80, 75, 50, 40]
    assert (family >= 40).sum() >= 4


def test_no_text_of_the_tuning_sets():
    tuned = set()
    for path in set(DATA.glob("categorize_*hand_labelled.csv")) - {DATA / "categorize_heldout2_hand_labelled.csv"}:
        tuned |= set(pd.read_csv(path).ref_exp.map(_norm))
    assert not set(TEXTS.ref_exp.map(_norm)) & tuned


def test_pass1_is_frozen():
    """The per-category positives of pass 1 as reported in the README; a changed label fails here."""
    assert PASS1[list(CATEGORY_NAMES)].sum().to_dict() == {
        "appearance": 146,
        "category": 243,
        "location": 152,
        "motion": 113,
        "obj-motion": 18,
        "static": 67,
        "obj-static": 14,
    }
    row = PASS1.set_index("id").loc["h2-ytvos-004"]  # "a person on the left side in the water is riding a brown horse"
    assert TEXTS.set_index("id").loc["h2-ytvos-004", "ref_exp"].endswith("riding a brown horse")
    assert (row["location"], row["motion"], row["obj-motion"], row["appearance"], row["static"]) == (1, 1, 1, 0, 0)
