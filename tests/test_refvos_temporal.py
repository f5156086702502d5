"""The "diff" RefVOS variant (docs/refvos.md, "Seeing time"): plain RefVOS unchanged, the variant's
network and input, its checkpoints, and predict with it on every video reader refcat has."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

import torch
from helpers.dataset_files import build_a2d, write_jpeg, write_palette_png
from helpers.tiny_davis import N_FRAMES, H, W
from pycocotools import mask as coco_mask
from torch import nn

from refcat.analysis.per_sample import read_table
from refcat.cli import main
from refcat.errors import UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model.config import ModelConfig, TrainConfig, config_to_dict, normalized
from refcat.refvos_model.data import (
    ReferringFrames,
    collate,
    evaluation_samples,
    open_dataset,
    select_instances,
    to_tensor,
    transform,
)
from refcat.refvos_model.network import RefVOS
from refcat.refvos_model.predict import write_masks
from refcat.refvos_model.train import RunOptions, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py

TEXTS = ["the dog that is running", "the cat on the left"]


def tiny(**options: Any) -> ModelConfig:
    """The tests' small network: MobileNetV3-Large and a tiny BERT, random weights."""
    return ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert", **options)


def first_convolution(model: RefVOS) -> nn.Conv2d:
    conv = model.backbone.get_submodule("0.0")  # MobileNetV3's first Conv2dNormActivation
    assert isinstance(conv, nn.Conv2d)
    return conv


# ---------------------------------------------------------------- small video datasets with moving objects

VIDEO, N_VIDEO_FRAMES, VW, VH = "a1b2c3d4e5", 4, 24, 16


def moving_labels(index: int) -> np.ndarray:
    """Object 1 moves two pixels right a frame; object 2 stands still."""
    labels = np.zeros((VH, VW), np.uint8)
    labels[2:7, 2 + 2 * index : 8 + 2 * index] = 1
    labels[10:14, 16:21] = 2
    return labels


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def build_ref_youtube_vos(root: Path) -> Path:
    """Ref-YouTube-VOS train (docs/formats.md): one video whose frames are named every 5th, all annotated."""
    names = [f"{5 * i:05d}" for i in range(N_VIDEO_FRAMES)]
    expressions = {"0": {"exp": "the person walking right", "obj_id": "1"}, "1": {"exp": "a dog", "obj_id": "2"}}
    write_json(
        root / "meta_expressions/train/meta_expressions.json",
        {"videos": {VIDEO: {"expressions": expressions, "frames": names}}},
    )
    for index, name in enumerate(names):
        write_jpeg(root / "train/JPEGImages" / VIDEO / f"{name}.jpg", (40 * index, 90, 160), (VW, VH))
        write_palette_png(root / "train/Annotations" / VIDEO / f"{name}.png", moving_labels(index))
    return root


def build_mevis(root: Path) -> Path:
    """MeViS train (docs/formats.md): one video, masks as COCO RLEs, one expression naming both objects."""
    names = [f"{i:05d}" for i in range(N_VIDEO_FRAMES)]
    expressions = {
        "0": {"exp": "the cat moving right", "obj_id": [0], "anno_id": [100]},
        "1": {"exp": "both cats", "obj_id": [0, 1], "anno_id": [100, 101]},
    }
    write_json(root / "train/meta_expressions.json", {"videos": {VIDEO: {"expressions": expressions, "frames": names}}})
    rles: dict[str, list[dict[str, object]]] = {}
    for anno, value in ((100, 1), (101, 2)):
        rles[str(anno)] = []
        for index in range(N_VIDEO_FRAMES):
            encoded = coco_mask.encode(np.asfortranarray((moving_labels(index) == value).astype(np.uint8)))
            rles[str(anno)].append({"size": [VH, VW], "counts": encoded["counts"].decode("ascii")})
    write_json(root / "train/mask_dict.json", rles)
    for index, name in enumerate(names):
        write_jpeg(root / "train/JPEGImages" / VIDEO / f"{name}.jpg", (30 * index, 60, 90), (VW, VH))
    return root


def state_digest(model: torch.nn.Module) -> str:
    digest = hashlib.sha256()
    for key, value in model.state_dict().items():
        digest.update(key.encode())
        digest.update(value.detach().contiguous().numpy().tobytes())
    return digest.hexdigest()


def fixed_images(channels: int = 3) -> torch.Tensor:
    return torch.randn(2, channels, 40, 56, generator=torch.Generator().manual_seed(1))


def test_plain_refvos_is_built_and_computes_as_before():
    """Figures of the network as the code before the variant built it (seed 0, MobileNetV3 + tiny BERT):
    the digest of every parameter and buffer is exact; the output's sums allow for float summation order."""
    torch.manual_seed(0)
    model = RefVOS(tiny(), weights_backbone="none").eval()
    assert len(model.state_dict()) == 402
    assert state_digest(model) == "d4b6b9337803e0db939f94e8761aafa9bfc5745467bf018d6c672320ce89ae01"
    with torch.no_grad():
        out = model(fixed_images(), TEXTS).double()
    assert out.shape == (2, 2, 40, 56)
    assert out.sum().item() == pytest.approx(220.49783702474087, rel=1e-6)
    assert out.abs().sum().item() == pytest.approx(280.07884028274566, rel=1e-6)


def test_a_config_saved_before_the_variant_reads_as_plain_refvos():
    saved = {k: v for k, v in config_to_dict(tiny()).items() if not k.startswith("temporal")}
    read = normalized(ModelConfig, saved, where="old.pt")
    assert (read["temporal"], read["temporal_gap"]) == ("none", 1)
    assert tiny().previous_gap == 0
    assert tiny(temporal="diff", temporal_gap=3).previous_gap == 3
    with pytest.raises(UsageError, match="temporal"):
        ModelConfig(temporal="flow")
    with pytest.raises(UsageError, match="temporal gap 0"):
        ModelConfig(temporal="diff", temporal_gap=0)
    with pytest.raises(UsageError, match="temporal gap 2 for a network that sees one frame"):
        ModelConfig(temporal_gap=2)


@pytest.mark.parametrize("backbone", ["mobilenet_v3_large", "resnet50"])
def test_the_variant_starts_as_the_refvos_it_widens(backbone):
    """Same seed: every weight equal to plain RefVOS's except the first convolution, which has three more
    input channels with zero weights, so any difference input gives plain RefVOS's output."""
    torch.manual_seed(0)
    plain = RefVOS(ModelConfig(backbone=backbone, text_encoder="tiny-bert"), weights_backbone="none").eval()
    torch.manual_seed(0)
    diff = RefVOS(
        ModelConfig(backbone=backbone, text_encoder="tiny-bert", temporal="diff"), weights_backbone="none"
    ).eval()
    a, b = plain.state_dict(), diff.state_dict()
    assert list(a) == list(b)
    widened = [k for k in a if a[k].shape != b[k].shape]
    assert widened == [{"mobilenet_v3_large": "backbone.0.0.weight", "resnet50": "backbone.conv1.weight"}[backbone]]
    (first,) = widened
    assert b[first].shape[1] == 6 and torch.equal(b[first][:, :3], a[first])
    assert torch.count_nonzero(b[first][:, 3:]) == 0
    assert all(torch.equal(a[k], b[k]) for k in a if k != first)
    images = fixed_images()
    with torch.no_grad():
        expected = plain(images, TEXTS)
        got = diff(torch.cat([images, 5 * torch.randn_like(images)], dim=1), TEXTS)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_the_difference_channels_learn():
    torch.manual_seed(0)
    model = RefVOS(tiny(temporal="diff"), weights_backbone="none").train()
    logits = model(torch.randn(2, 6, 32, 32), TEXTS)
    logits[:, 1].mean().backward()
    weight = first_convolution(model).weight
    assert weight.grad is not None and torch.count_nonzero(weight.grad[:, 3:]) > 0


def test_the_diagnostic_cnn_is_small_at_output_stride_8_and_trains_whole():
    """The CPU diagnostics' backbone: seven 3x3 convolutions (their weights 27 x 32 + 288 x 32 + 288 x 64 +
    576 x 64 + 576 x 128 + 2 x 1152 x 128 = 434,016) and their BatchNorms (2 x 576), features at 1/8 of the
    input (rounded up, as stride-2 convolutions with padding 1 do); torchvision has no weights for it. One
    AdamW step moves every parameter, and the "diff" variant widens its first convolution as any other's."""
    torch.manual_seed(0)
    model = RefVOS(ModelConfig(backbone="diagnostic_cnn", text_encoder="tiny-bert"), weights_backbone="torchvision")
    model.train()
    assert model.backbone_origin == "random initialisation: torchvision has no ImageNet weights for diagnostic_cnn"
    assert sum(p.numel() for p in model.backbone.parameters()) == 434_016 + 1_152
    assert model.backbone(torch.zeros(2, 3, 40, 56))["out"].shape == (2, 128, 5, 7)
    assert model.backbone(torch.zeros(2, 3, 41, 57))["out"].shape == (2, 128, 6, 8)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    logits = model(fixed_images(), TEXTS)
    assert logits.shape == (2, 2, 40, 56)
    logits[:, 1].mean().backward()
    optimizer.step()
    unmoved = [k for k, v in model.named_parameters() if v.requires_grad and torch.equal(v, before[k])]
    assert unmoved == []
    diff = RefVOS(ModelConfig(backbone="diagnostic_cnn", text_encoder="tiny-bert", temporal="diff"))
    first = diff.backbone.get_submodule("layers.0.0")
    assert isinstance(first, nn.Conv2d) and first.weight.shape == (32, 6, 3, 3)
    assert torch.count_nonzero(first.weight[:, 3:]) == 0


def test_items_hold_the_frame_and_its_difference_from_the_earlier_one(tiny_davis):
    reader = open_dataset("davis", str(tiny_davis), "val")
    samples = evaluation_samples(reader, select_instances(reader, ["annot1"]))
    assert [s.frame for s in samples[:N_FRAMES]] == [0, 1, 2]
    frames = [to_tensor(reader.frame("v4", f)) for f in range(N_FRAMES)]
    plain = ReferringFrames(reader, samples, base_size=min(H, W), train=False)
    assert plain[2][0].shape == (3, H, W)
    seen = ReferringFrames(reader, samples, base_size=min(H, W), train=False, previous_gap=1)
    for f in range(N_FRAMES):
        image = seen[f][0]
        assert image.shape == (6, H, W)
        torch.testing.assert_close(image[:3], frames[f], rtol=0, atol=1e-5)
        torch.testing.assert_close(image[3:], frames[f] - frames[max(f - 1, 0)], rtol=0, atol=1e-5)
    assert torch.count_nonzero(seen[0][0][3:]) == 0  # frame 0 has no earlier frame: a zero difference
    two_back = ReferringFrames(reader, samples, base_size=min(H, W), train=False, previous_gap=2)
    torch.testing.assert_close(two_back[2][0][3:], frames[2] - frames[0], rtol=0, atol=1e-5)
    images, targets, _, _ = collate([seen[0], seen[1]])
    assert images.shape == (2, 6, H, W) and targets.shape == (2, H, W)


def test_a_training_crop_cuts_both_frames_alike(tiny_davis):
    reader = open_dataset("davis", str(tiny_davis), "train")
    image, previous = reader.frame("v1", 2), reader.frame("v1", 1)
    target = np.zeros(image.shape[:2], np.uint8)
    both, tgt = transform(image, target, 40, 24, np.random.default_rng(7), previous)
    alone, same_tgt = transform(image, target, 40, 24, np.random.default_rng(7))
    earlier, _ = transform(previous, target, 40, 24, np.random.default_rng(7))
    assert both.shape == (6, 24, 24) and torch.equal(tgt, same_tgt)
    torch.testing.assert_close(both[:3], alone, rtol=0, atol=1e-6)
    torch.testing.assert_close(both[3:], alone - earlier, rtol=0, atol=1e-5)


class FrameLog:
    """A reader that records which frames are read."""

    def __init__(self, reader) -> None:
        self.reader, self.read = reader, set[tuple[str, int]]()
        self.dataset = reader.dataset

    def frame(self, video_id, index):
        self.read.add((video_id, index))
        return self.reader.frame(video_id, index)

    def __getattr__(self, name):
        return getattr(self.reader, name)


@pytest.fixture(scope="module")
def diff_checkpoint(tiny_davis, tmp_path_factory):
    """A "diff" RefVOS trained two steps through the command line."""
    out = tmp_path_factory.mktemp("diff") / "run"
    main(
        [
            "train",
            *("--dataset", "davis", "--root", str(tiny_davis), "--val-split", "none"),
            *("--backbone", "mobilenet_v3_large", "--text-encoder", "tiny-bert", "--weights-backbone", "none"),
            *("--temporal", "diff", "--temporal-gap", "1"),
            *("--base-size", "24", "--crop-size", "0", "--batch-size", "4", "--epochs", "1", "--lr", "0.05"),
            *("--stop-after", "2", "--out-dir", str(out), "--no-progress"),
        ]
    )
    return out / "checkpoint.pt"


def test_the_checkpoint_rebuilds_the_variant_and_a_resume_keeps_it(diff_checkpoint, tiny_davis):
    model, data = ckpt.load_model(diff_checkpoint)
    assert (data["model_config"]["temporal"], data["model_config"]["temporal_gap"]) == ("diff", 1)
    assert model.config.previous_gap == 1 and first_convolution(model).in_channels == 6
    recipe = TrainConfig(**{**data["train_config"], "epochs": 1})
    run = RunOptions(out=str(diff_checkpoint.parent), weights_backbone="none", progress=False, resume=True)
    with pytest.raises(UsageError, match="temporal: 'diff' -> 'none'"):
        train(tiny(), recipe, run)


def _predicted(checkpoint, reader, instances, out):
    """Masks of the checkpoint's model for the instances; the frames the reader was asked for."""
    model, _ = ckpt.load_model(checkpoint)
    logged = FrameLog(reader)
    written, kept = write_masks(model, logged, instances, out, base_size=16, progress=False)
    samples = evaluation_samples(reader, instances, present_only=False)
    assert (written, kept) == (len(samples), 0) and written > 0
    return samples, logged.read


def test_predict_reads_each_frame_with_its_earlier_frame_on_a2d(diff_checkpoint, tmp_path):
    reader = open_dataset("a2d", str(build_a2d(tmp_path / "a2d")), "train")
    instances = [i for i in reader.instances() if i.video_id == "--h5fAKYurM"]
    samples, read = _predicted(diff_checkpoint, reader, instances, tmp_path / "pred")
    assert {s.frame for s in samples} == {1, 5}  # A2D annotates a few frames; their neighbours are not
    assert read == {("--h5fAKYurM", f) for f in (0, 1, 4, 5)}


@pytest.mark.parametrize("dataset", ["ref-youtube-vos", "mevis"])
def test_predict_and_evaluate_with_a_temporal_checkpoint(diff_checkpoint, tmp_path, dataset, capsys):
    """`refcat predict` then `refcat evaluate` on Ref-YouTube-VOS and MeViS: the masks predict writes are the
    ones evaluate scores, and every annotated frame was read with the frame before it."""
    root = (build_ref_youtube_vos if dataset == "ref-youtube-vos" else build_mevis)(tmp_path / dataset)
    reader = open_dataset(dataset, str(root), "train")
    instances = select_instances(reader)
    samples, read = _predicted(diff_checkpoint, reader, instances, tmp_path / "direct")
    assert read == {(s.video_id, f) for s in samples for f in (s.frame, max(s.frame - 1, 0))}
    pred, table = tmp_path / "pred", tmp_path / "table.csv"
    argv = ["--dataset", dataset, "--root", str(root), "--split", "train"]
    main(["predict", "--checkpoint", str(diff_checkpoint), *argv, "--out-dir", str(pred), "--no-progress"])
    assert f"{len(instances)} expressions: {len(samples)} masks written" in capsys.readouterr().out
    for s in samples:  # the command's masks are those of the model
        name = f"{s.video_id}/{s.object_id}/{s.instance_key.split('/')[-1]}/{s.frame:05d}.png"
        assert (pred / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()
    main(["evaluate", *argv, "--pred", str(pred), "--output", str(table)])
    scored = read_table(table)
    assert len(scored) == len(samples) and set(scored["instance_key"]) == {i.key for i in instances}
