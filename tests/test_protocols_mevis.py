"""`refcat evaluate --protocol mevis` on the real MeViS layout: an expression of two objects is scored against
the union of their masks, per frame, then J and F are averaged per expression and over expressions."""

import json

import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask

from refcat.analysis.per_sample import read_table
from refcat.cli import main
from refcat.datasets.readers import open_reader

W, H = 16, 10
VIDEO = "0a0b0c0d0e0f"


def box(r0, r1, c0, c1):
    mask = np.zeros((H, W), bool)
    mask[r0:r1, c0:c1] = True
    return mask


CAT, DOG = [box(1, 4, 1, 5), box(1, 4, 2, 6)], [box(6, 9, 9, 13), box(6, 9, 9, 13)]  # per frame


def rle(mask):
    encoded = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in encoded["size"]], "counts": encoded["counts"].decode("ascii")}


def build_mevis(root):
    expressions = {
        "0": {"exp": "the cat", "obj_id": [0], "anno_id": [10]},
        "1": {"exp": "both animals", "obj_id": [0, 1], "anno_id": [10, 11]},
    }
    split = root / "valid_u"
    split.mkdir(parents=True)
    meta = {"videos": {VIDEO: {"expressions": expressions, "frames": ["00000", "00001"]}}}
    (split / "meta_expressions.json").write_text(json.dumps(meta))
    (split / "mask_dict.json").write_text(json.dumps({"10": [rle(m) for m in CAT], "11": [rle(m) for m in DOG]}))
    for name in ("00000", "00001"):
        path = split / "JPEGImages" / VIDEO / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (W, H)).save(path)
    return root


def test_mevis_protocol_scores_the_union_of_the_objects(tmp_path, capsys):
    root = build_mevis(tmp_path / "mevis")
    reader = open_reader("mevis", root, split="valid_u")
    pred = tmp_path / "pred"
    by_text = {inst.text: inst for inst in reader.instances()}
    # "the cat": exact on both frames (J = F = 1); "both animals": the union on frame 0, only the cat on frame 1
    masks = {
        "the cat": CAT,
        "both animals": [CAT[0] | DOG[0], CAT[1]],
    }
    for text, frames in masks.items():
        inst = by_text[text]
        for frame, mask in enumerate(frames):
            path = pred / inst.video_id / str(inst.object_id) / inst.source / f"{frame:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(path)
    out = tmp_path / "table.csv"
    args = ["evaluate", "--pred", str(pred), "--dataset", "mevis", "--root", str(root), "--split", "valid_u"]
    assert main([*args, "--output", str(out), "--protocol", "mevis", "--json", "--jobs", "1"]) == 0
    results = json.loads(capsys.readouterr().out)["protocol"]["results"]
    table = read_table(out)
    both = table[table.instance_key == by_text["both animals"].key].sort_values("frame")
    # frame 1: I = the cat's 12 pixels, U = cat and dog, 12 + 12
    assert both.I.tolist() == [24, 12] and both.U.tolist() == [24, 24] and both.J.tolist() == [1.0, 0.5]
    j_both = (1.0 + 0.5) / 2
    f_both = (1.0 + both.F.iloc[1]) / 2
    assert results["expressions"] == 2
    assert results["J"] == (1.0 + j_both) / 2 and results["F"] == (1.0 + f_both) / 2
    assert results["J&F"] == (results["J"] + results["F"]) / 2
