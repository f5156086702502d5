"""Speed of the rule-based categorizer, as a ratio to tokenizing the same REs (measured in the same run).

Prints REs per second for tokenization alone (the baseline) and for each reader of the rules
(`categorize` one RE at a time, `categorize_all` in one batch, where the parse reader runs spaCy's
`pipe`), and the cost of categorizing relative to tokenizing. Input: the hand-labelled REs of tests/data, repeated.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from refcat.categorize.rules import READERS, categorize, categorize_all
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


def batch_rate(reader: str, items: list[str]) -> float:
    start = time.perf_counter()
    categorize_all(items, reader)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    items = texts()
    base = rate(tokenize, items)
    print(f"REs: {len(items)}")
    print(f"tokenize (baseline): {base:,.0f} REs/s")
    categorize_all(items[:10], "parse")  # load the spaCy pipeline before timing
    for reader in READERS:
        one = rate(lambda t, r=reader: categorize(t, reader=r), items)
        many = batch_rate(reader, items)
        print(f"categorize, {reader} reader: {one:,.0f} REs/s one by one, {many:,.0f} REs/s in a batch")
        print(f"  costs {base / one:.1f}x tokenizing one by one, {base / many:.1f}x in a batch")


if __name__ == "__main__":
    main()
