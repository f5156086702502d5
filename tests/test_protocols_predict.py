"""`refcat predict`'s combined label maps: the official DAVIS results layout, one folder a source,
scored by `refcat evaluate --protocol davis17-semi` as the official toolkit would."""

import numpy as np
import pytest
from helpers.tiny_davis import N_FRAMES, SPLITS, labels_of
from PIL import Image

pytest.importorskip("torch")

from refcat.analysis.per_sample import read_table
from refcat.cli import main
from refcat.datasets.readers import open_reader
from refcat.refvos_model.predict import combined_dir, mask_path, write_combined


def test_combined_maps_of_each_source_are_scored_officially(tiny_davis, tmp_path):
    reader = open_reader("davis", tiny_davis, split="val")
    instances = [i for i in reader.instances() if i.source in ("annot1", "annot2")]
    pred = tmp_path / "pred"
    for inst in instances:
        for frame in range(N_FRAMES):
            labels = labels_of(int(inst.video_id[1:]), frame)
            # annot1 predicts each object exactly; annot2 predicts object 2 over object 1's square too
            mask = labels == inst.object_id
            if inst.source == "annot2" and inst.object_id == 2:
                mask |= labels == 1
            path = mask_path(pred, inst.key, frame)
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask.astype(np.uint8) * 255, mode="L").save(path)
    folders = write_combined(pred, reader, instances, progress=False)
    assert folders == [combined_dir(pred, "annot1"), combined_dir(pred, "annot2")]
    assert combined_dir(pred, "annot1") == tmp_path / "pred_combined" / "annot1"
    for seq in SPLITS["val"]:
        for frame in range(N_FRAMES):
            labels = labels_of(int(seq[1:]), frame)
            one = np.array(Image.open(folders[0] / seq / f"{frame:05d}.png"))
            assert np.array_equal(one, np.where(labels == 255, 0, labels))  # void is no object
            two = np.array(Image.open(folders[1] / seq / f"{frame:05d}.png"))
            assert np.array_equal(two, np.where(np.isin(labels, (1, 2)), 2, 0))  # the larger id wins
    out = tmp_path / "eval" / "table.csv"
    args = ["evaluate", "--dataset", "davis", "--root", str(tiny_davis), "--split", "val", "--output", str(out)]
    assert main([*args, "--pred", str(folders[0]), "--protocol", "davis17-semi", "--jobs", "1"]) == 0
    table = read_table(out)
    assert set(table.frame) == {1} and (table.J == 1.0).all() and (table.F == 1.0).all()
    assert (tmp_path / "eval" / "global_results-val.csv").read_text().splitlines()[1] == (
        "1.000,1.000,1.000,0.000,1.000,1.000,0.000"
    )
    # annot2's maps hold only id 2 (it covers object 1 too): the largest id is the object count, so the
    # official evaluation runs, and object 1 scores 0
    assert main([*args, "--pred", str(folders[1]), "--protocol", "davis17-semi", "--restart", "--jobs", "1"]) == 0
    table = read_table(out)
    assert (table[table.object_id == 1].J == 0.0).all()
