"""RefVOS data pipeline: samples, targets with void, transforms, sampler, RefCOCO decoding and reader."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

import torch
from helpers.tiny_davis import N_FRAMES, REs, labels_of

from refcat.datasets.refer import (
    RefCocoReader,
    decode_rle,
    decode_segmentation,
    rle_counts_from_string,
)
from refcat.refvos_model.data import (
    ReferringFrames,
    ShardedSampler,
    collate,
    evaluation_samples,
    open_dataset,
    referent_target,
    select_instances,
    training_samples,
    transform,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py


def test_training_samples_one_per_referent_and_frame(tiny_davis):
    reader = open_dataset("davis", tiny_davis, "train")
    samples = training_samples(reader, select_instances(reader))
    assert len(samples) == 4 * 2 * N_FRAMES  # 4 videos x 2 objects x 3 frames
    s = samples[0]
    assert (s.video_id, s.frame, s.object_id) == ("v0", 0, 1)
    assert set(s.texts) == {REs["annot1", 1], REs["annot2", 1]}
    only1 = training_samples(reader, select_instances(reader, ["annot1"]))
    assert all(x.texts == (REs["annot1", x.object_id],) for x in only1)


def test_frame_step_keeps_every_kth_frame(tiny_davis):
    reader = open_dataset("davis", tiny_davis, "train")
    samples = training_samples(reader, select_instances(reader), frame_step=2)
    assert sorted({s.frame for s in samples}) == [0, 2] and len(samples) == 4 * 2 * 2
    val = open_dataset("davis", tiny_davis, "val")
    assert {s.frame for s in evaluation_samples(val, select_instances(val), frame_step=3)} == {0}


def test_evaluation_samples_one_per_expression_and_frame(tiny_davis):
    reader = open_dataset("davis", tiny_davis, "val")
    samples = evaluation_samples(reader, select_instances(reader, ["annot2"]))
    assert len(samples) == 2 * 2 * N_FRAMES
    assert samples[0].instance_key == "davis/v4/1/annot2" and samples[0].texts == (REs["annot2", 1],)


def test_target_marks_referent_background_and_void(tiny_davis):
    reader = open_dataset("davis", tiny_davis, "train")
    target = referent_target(reader, "v1", 2, 1)
    labels = labels_of(1, 2)
    assert np.array_equal(target == 1, labels == 1)
    assert np.array_equal(target == 255, labels == 255)
    other = referent_target(reader, "v1", 2, 2)
    assert np.array_equal(other == 1, labels == 2) and (other == 255).sum() == (labels == 255).sum()


def test_random_re_choice_is_reproducible_and_uses_every_re(tiny_davis):
    reader = open_dataset("davis", tiny_davis, "train")
    samples = training_samples(reader, select_instances(reader))
    ds = ReferringFrames(reader, samples, base_size=16, crop_size=12, train=True, seed=3)
    texts = set()
    for epoch in range(6):
        ds.set_epoch(epoch)
        a, b = ds[0], ds[0]
        assert a[2] == b[2] and torch.equal(a[0], b[0])
        texts.add(a[2])
    assert texts == {REs["annot1", 1], REs["annot2", 1]}


def test_transform_resize_crop_normalise():
    image = np.zeros((40, 60, 3), np.uint8)
    image[..., 0] = 255  # pure red
    target = np.zeros((40, 60), np.uint8)
    target[:, 30:] = 1
    img, tgt = transform(image, target, base_size=20, crop_size=None, rng=None)
    assert img.shape == (3, 20, 30) and tgt.shape == (20, 30)
    assert img[0, 0, 0].item() == pytest.approx((1 - 0.485) / 0.229, rel=1e-5)
    assert img[1, 0, 0].item() == pytest.approx((0 - 0.456) / 0.224, rel=1e-5)
    assert tgt[:, 15:].eq(1).all() and tgt[:, :15].eq(0).all()
    img, tgt = transform(image, target, base_size=20, crop_size=24, rng=np.random.default_rng(0))
    assert img.shape == (3, 24, 24)
    assert tgt.eq(255).sum() == 4 * 24  # 20 rows padded to 24 with ignored pixels
    assert tgt[20:].eq(255).all()


def test_collate_pads_with_ignore():
    a = (torch.ones(3, 2, 3), torch.ones(2, 3, dtype=torch.long), "a", 0)
    b = (torch.ones(3, 4, 2), torch.zeros(4, 2, dtype=torch.long), "b", 5)
    images, targets, texts, idx = collate([a, b])
    assert images.shape == (2, 3, 4, 3) and texts == ["a", "b"] and idx.tolist() == [0, 5]
    assert targets[0, 2:].eq(255).all() and targets[1, :, 2].eq(255).all() and images[0, :, 2:].eq(0).all()


def test_sharded_sampler_covers_pads_and_resumes():
    shards = [ShardedSampler(5, rank=r, world_size=2, shuffle=True, seed=1) for r in (0, 1)]
    for s in shards:
        s.set_epoch(3)
    a, b = list(shards[0]), list(shards[1])
    assert len(a) == len(b) == 3 and set(a) | set(b) == set(range(5))
    shards[0].set_epoch(3, start=2)
    assert list(shards[0]) == a[2:] and len(shards[0]) == 1
    s = ShardedSampler(5, shuffle=True, seed=1)
    s.set_epoch(4)
    assert list(s) != list(ShardedSampler(5, shuffle=True, seed=1))  # epoch 0 order differs
    ev = [list(ShardedSampler(5, rank=r, world_size=2, shuffle=False)) for r in (0, 1)]
    assert ev == [[0, 2, 4], [1, 3]]


# ----------------------------------------------------------------- RefCOCO


def test_rle_string_decoding_hand_computed():
    # pycocotools' code: 5 bits a character + 48, bit 0x20 = more, runs from the 3rd on as deltas to run m-2
    assert rle_counts_from_string("234") == [2, 3, 4]
    assert rle_counts_from_string("11104") == [1, 1, 1, 1, 5]  # 0 -> 1 + 0, 4 -> 1 + 4
    assert rle_counts_from_string("X1") == [40]  # 'X' = 40 + 48: low 5 bits 8, more; '1' = 1 -> 8 + 32
    # a negative delta: run 4 = 2 = 5 - 3; -3 is coded 29 (0x10 set = sign) -> 'M' (29 + 48)
    assert rle_counts_from_string("354M") == [3, 5, 4, 2]
    mask = decode_rle([2, 3, 4], 3, 3)  # column-major: (0,0) (1,0) bg; (2,0) (0,1) (1,1) fg
    assert mask.astype(int).tolist() == [[0, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_polygon_and_rle_dict_decoding():
    mask = decode_segmentation([[1, 1, 4, 1, 4, 3, 1, 3]], 5, 6)
    assert mask.sum() == 3 * 2 and mask[1:3, 1:4].all()  # pycocotools' rasterisation, not PIL's outline
    rle = decode_segmentation({"size": [3, 3], "counts": "234"}, 3, 3)
    assert np.array_equal(rle, decode_rle([2, 3, 4], 3, 3))


def test_refcoco_reader(tmp_path):
    root = tmp_path / "refcoco"
    (root / "train2014").mkdir(parents=True)
    Image.new("RGB", (6, 5), (10, 20, 30)).save(root / "train2014" / "COCO_train2014_000000000007.jpg")
    coco = {
        "images": [{"id": 7, "file_name": "COCO_train2014_000000000007.jpg", "height": 5, "width": 6}],
        "annotations": [
            {"id": 70, "image_id": 7, "category_id": 1, "segmentation": [[1, 1, 4, 1, 4, 3, 1, 3]]},
            {"id": 71, "image_id": 7, "category_id": 2, "segmentation": {"size": [5, 6], "counts": [25, 5]}},
        ],
        "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "dog"}],
    }
    (root / "instances.json").write_text(json.dumps(coco))
    refs = [
        {
            "ref_id": 1,
            "ann_id": 70,
            "image_id": 7,
            "split": "train",
            "sentences": [{"sent": "man left", "raw": "Man left"}, {"sent": "the guy", "raw": "the guy"}],
        },
        {"ref_id": 2, "ann_id": 71, "image_id": 7, "split": "val", "sentences": [{"sent": "dog", "raw": "dog"}]},
    ]
    with open(root / "refs(unc).p", "wb") as fh:
        pickle.dump(refs, fh)
    reader = RefCocoReader(root, split="train")
    assert [i.key for i in reader.instances()] == ["refcoco/7/70/ref1s0", "refcoco/7/70/ref1s1"]
    (obj,) = reader.objects("7")
    assert obj.category == "person" and obj.boxes == {0: (1, 1, 3, 2)}  # as pycocotools fills the polygon
    assert reader.frame("7", 0).shape == (5, 6, 3)
    val = RefCocoReader(root, split="val")
    masks = val.object_masks("7", 0).masks
    assert masks[71].sum() == 5 and masks[71][:, 5].all()  # the last column: runs 25 bg, 5 fg
    samples = training_samples(reader, select_instances(reader))
    assert len(samples) == 1 and set(samples[0].texts) == {"man left", "the guy"}
