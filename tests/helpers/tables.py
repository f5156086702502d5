"""Per-sample and label tables written by hand, for the analysis tests.

`samples` builds the per-sample table (refcat.analysis.evaluate's layout) and `labels_frame` the label
table (refcat.analysis.stats.label_table's layout); A2DRE is a small A2Dre+ per-sample table.
"""

import pandas as pd

from refcat.taxonomy import CATEGORY_NAMES


def samples(rows, dataset="a2d"):
    """Per-sample rows from (video, object, source, [(I, U, present), ...])."""
    out = []
    for video, obj, source, frames in rows:
        for frame, (i, u, present) in enumerate(frames):
            out.append(
                {
                    "instance_key": f"{dataset}/{video}/{obj}/{source}",
                    "dataset": dataset,
                    "video_id": video,
                    "object_id": obj,
                    "source": source,
                    "frame": frame,
                    "gt_present": present,
                    "I": i,
                    "U": u,
                    "J": 1.0 if u == 0 else i / u,
                    "F": 0.0,
                }
            )
    return pd.DataFrame(out)


def labels_frame(rows):
    """A label table (stats.label_table layout) from (video, object, text, difficulty, correctness, categories)."""
    out = []
    for video, obj, text, difficulty, correctness, yes in rows:
        row = {
            "dataset": "a2d",
            "video_id": video,
            "object_id": obj,
            "text": text,
            "difficulty": difficulty,
            "correctness": correctness,
            "information": "minimal",
        }
        row.update({c: (pd.NA if yes is None else c in yes) for c in CATEGORY_NAMES})
        out.append(row)
    frame = pd.DataFrame(out)
    for c in CATEGORY_NAMES:
        frame[c] = frame[c].astype("boolean")
    return frame


A2DRE = samples(
    [
        ("v1", 0, "a2dre+:appearance:with", [(8, 10, True), (6, 10, True)]),
        ("v1", 0, "a2dre+:appearance:without", [(4, 10, True), (2, 10, True)]),
        ("v2", 1, "a2dre+:appearance:with", [(5, 10, True)]),
        ("v2", 1, "a2dre+:appearance:without", [(5, 10, True)]),
        ("v3", 0, "a2dre+:appearance:with", [(9, 10, True)]),  # no partner: left out
        ("v1", 0, "a2dre+:location:with:1", [(3, 10, True)]),
        ("v1", 0, "a2dre+:location:without:1", [(1, 10, True)]),
        ("v1", 0, "sentence0", [(10, 10, True)]),
    ]
)
