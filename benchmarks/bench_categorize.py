"""Speed of the rule-based categorizer, as a ratio to tokenizing the same REs (measured in the same run).

Prints REs per second for tokenization alone (the baseline) and for `categorize`, and the
cost of categorizing relative to tokenizing. Input: the hand-labelled REs of tests/data, repeated.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from refcat.categorize.rules import categorize
from refcat.categorize.words import tokenize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
REPEAT = 20


def texts() -> list[str]:
    frames = [
        pd.read_csv(DATA / n) for n in ("categorize_eval_hand_labelled.csv", "categorize_heldout_hand_labelled.csv")
    ]
    return pd.concat(frames)["ref_exp"].tolist() * REPEAT


def rate(fn, items) -> float:
    start = time.perf_counter()
    for t in items:
        fn(t)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    items = texts()
    base = rate(tokenize, items)
    full = rate(categorize, items)
    print(f"REs: {len(items)}")
    print(f"tokenize (baseline): {base:,.0f} REs/s")
    print(f"categorize:          {full:,.0f} REs/s")
    print(f"categorize costs {base / full:.1f}x tokenizing")


if __name__ == "__main__":
    main()
