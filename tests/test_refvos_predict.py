"""`refcat predict`: masks in the expression layout at the frames' size, resumable, and the per-sample table."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

import torch
from helpers.tiny_davis import N_FRAMES, SPLITS, H, W

from refcat.refvos_model.checkpoint import load_model
from refcat.refvos_model.config import ModelConfig, TrainConfig
from refcat.refvos_model.data import open_dataset, to_tensor
from refcat.refvos_model.predict import predict
from refcat.refvos_model.train import RunOptions, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py


@pytest.fixture(scope="module")
def checkpoint(tiny_davis, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    train(
        ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert"),
        TrainConfig(
            dataset="davis",
            root=str(tiny_davis),
            val_split=None,
            base_size=24,
            crop_size=None,
            batch_size=4,
            epochs=1,
            lr=0.05,
            text_lr=0.05,
        ),
        RunOptions(out=str(out), weights_backbone="none", progress=False, stop_after=2),
    )
    return out / "checkpoint.pt"


def test_predict_writes_layout_and_table(checkpoint, tiny_davis, tmp_path):
    pred = tmp_path / "pred"
    result = predict(
        str(checkpoint),
        "davis",
        str(tiny_davis),
        str(pred),
        split="val",
        sources=["annot1"],
        table=str(tmp_path / "table.csv"),
        progress=False,
        device="cpu",
    )
    n = len(SPLITS["val"]) * 2 * N_FRAMES
    assert (result["instances"], result["written"], result["kept"]) == (4, n, 0)
    files = sorted(p.relative_to(pred).as_posix() for p in pred.rglob("*.png"))
    assert len(files) == n and files[0] == "v4/1/annot1/00000.png" and files[-1] == "v5/2/annot1/00002.png"
    image = Image.open(pred / files[0])
    assert image.mode == "L" and image.size == (W, H)
    assert set(np.unique(np.array(image))) <= {0, 255}

    # the file is the model's own answer: logits at base size 24 (36 x 24), upsampled to 48 x 32, argmax
    model, _ = load_model(checkpoint)
    reader = open_dataset("davis", tiny_davis, "val")
    x = torch.nn.functional.interpolate(
        to_tensor(reader.frame("v5", 2))[None], size=(24, 36), mode="bilinear", antialias=True, align_corners=False
    )
    with torch.no_grad():
        logits = model(x, ["the blue square on the right"])
    full = torch.nn.functional.interpolate(logits, size=(H, W), mode="bilinear", align_corners=False)
    expected = (full[0].argmax(0) == 1).numpy()
    assert np.array_equal(np.array(Image.open(pred / "v5/2/annot1/00002.png")) > 0, expected)

    import pandas as pd

    table = pd.read_csv(tmp_path / "table.csv")
    assert len(table) == n and set(table["source"]) == {"annot1"} and table["gt_present"].all()
    row = table[(table.video_id == "v5") & (table.object_id == 2) & (table.frame == 2)].iloc[0]
    gt = np.array(Image.open(tiny_davis / "Annotations/480p/v5/00002.png"))
    valid = gt != 255
    assert row["I"] == int((expected & (gt == 2) & valid).sum())
    assert row["U"] == int(((expected | (gt == 2)) & valid).sum())

    again = predict(
        str(checkpoint),
        "davis",
        str(tiny_davis),
        str(pred),
        split="val",
        sources=["annot1"],
        progress=False,
        device="cpu",
    )
    assert (again["written"], again["kept"]) == (0, n)


def test_predict_a2dre_plus_variants(checkpoint, tiny_davis, tmp_path):
    """A2Dre+ files over any reader: each variant gets its own folder `a2dre+:{category}:{polarity}`."""
    import pandas as pd

    from refcat.datasets.a2dre_plus import write_a2dre_plus

    rows = [
        ("location", "with", "v4", 1, "the red square on the left", 0),
        ("location", "without", "v4", 1, "the red square", 0),
        ("appearance", "with", "v5", 2, "the blue square on the right", 0),
        ("appearance", "without", "v5", 2, "the square on the right", 0),
    ]
    write_a2dre_plus(
        pd.DataFrame(rows, columns=["category", "polarity", "video_id", "instance_id", "query", "row"]),
        tmp_path / "a2dre",
    )
    pred = tmp_path / "pred"
    result = predict(
        str(checkpoint),
        "davis",
        str(tiny_davis),
        str(pred),
        split="val",
        a2dre_plus=str(tmp_path / "a2dre"),
        categories=["location"],
        table=str(tmp_path / "t.csv"),
        progress=False,
        device="cpu",
    )
    assert (result["instances"], result["written"]) == (2, 2 * N_FRAMES)
    assert sorted(p.name for p in (pred / "v4" / "1").iterdir()) == ["a2dre+:location:with", "a2dre+:location:without"]
    table = pd.read_csv(tmp_path / "t.csv")
    assert sorted(set(table["source"])) == ["a2dre+:location:with", "a2dre+:location:without"] and len(table) == 6
