"""RefVOS on the demo dataset: does it learn the REs, how fast, how much memory.

1. Trains mobilenet_v3_large + MiniLM (`refcat.refvos_model.train.train`) on the demo's train
   videos (by default 84 short videos: seven rounds of the 12 scene templates with new colours and
   places, half mirrored), then scores the held-out val videos (an eighth round, never trained on)
   at full frame size: mean IoU (average over
   expression x frame samples) and overall IoU (sum I / sum U), void pixels excluded, next to
   the "always predict the largest object in the frame" baseline on the same samples, overall and
   for the REs whose demo ground truth (demo_scene.json) says they use appearance / location.
2. Times inference per frame for each backbone: RefVOS (text branch and fusion included) against
   a plain torchvision DeepLabv3 of the same backbone at the same input size.

    python benchmarks/bench_refvos.py                    # CPU, about 40 minutes on 2 cores
    python benchmarks/bench_refvos.py --device cuda --epochs 40
    python benchmarks/bench_refvos.py --out DIR ...      # resumes the training in DIR; --score-only scores it as is
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
import transformers
from torch.utils.data import DataLoader
from torchvision.models import segmentation

from refcat.refvos_model.checkpoint import load_model
from refcat.refvos_model.config import OPTIMIZERS, ModelConfig, TrainConfig
from refcat.refvos_model.data import (
    ReferringFrames,
    collate,
    evaluation_samples,
    open_dataset,
    resized_size,
    select_instances,
)
from refcat.refvos_model.network import RefVOS
from refcat.refvos_model.predict import referent_mask
from refcat.refvos_model.train import RunOptions, train

PLAIN = {
    "mobilenet_v3_large": segmentation.deeplabv3_mobilenet_v3_large,
    "resnet50": segmentation.deeplabv3_resnet50,
    "resnet101": segmentation.deeplabv3_resnet101,
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def score(model, reader, samples, base_size: int, device: torch.device, batch_size: int):
    """Per-sample (I, U) of the model and of the largest-object baseline, at full frame size, void excluded."""
    sizes = {v.video_id: (v.height, v.width) for v in reader.videos()}
    loader = DataLoader(
        ReferringFrames(reader, samples, base_size, train=False), batch_size=batch_size, collate_fn=collate
    )
    model_iu, base_iu = np.zeros((len(samples), 2)), np.zeros((len(samples), 2))
    model.to(device).eval()
    with torch.no_grad():
        for images, _, texts, indices in loader:
            logits = model(images.to(device), texts).float()
            for k, i in enumerate(indices.tolist()):
                s = samples[i]
                pred = referent_mask(logits[k], sizes[s.video_id], base_size)
                masks, void = reader.object_masks(s.video_id, s.frame)
                valid = ~void if void is not None else np.ones(pred.shape, bool)
                gt = masks[s.object_id]
                model_iu[i] = ((pred & gt & valid).sum(), ((pred | gt) & valid).sum())
                largest = max(masks.values(), key=lambda m: int(m.sum()))
                base_iu[i] = ((largest & gt & valid).sum(), ((largest | gt) & valid).sum())
    return model_iu, base_iu


def summarise(iu: np.ndarray) -> tuple[float, float]:
    """(mean IoU, overall IoU)."""
    return float(np.mean(iu[:, 0] / np.maximum(iu[:, 1], 1))), float(iu[:, 0].sum() / max(iu[:, 1].sum(), 1))


def seconds_a_call(run: Callable[[], object], device: torch.device, reps: int) -> float:
    """Mean wall time of `run()` over `reps` calls after one warm-up call, without autograd."""
    with torch.no_grad():
        run()  # warm-up
        sync(device)
        began = time.perf_counter()
        for _ in range(reps):
            run()
        sync(device)
    return (time.perf_counter() - began) / reps


def backbone_times(name: str, x: torch.Tensor, device: torch.device, reps: int) -> tuple[float, float]:
    """(RefVOS seconds a frame, plain DeepLabv3 seconds a frame) for one backbone, random weights."""
    torch.manual_seed(0)
    refvos = RefVOS(ModelConfig(backbone=name, text_encoder="minilm"), weights_backbone="none").to(device).eval()
    plain = PLAIN[name](weights=None, weights_backbone=None, num_classes=2, aux_loss=False).to(device).eval()
    return (
        seconds_a_call(lambda: refvos(x, ["the red car on the left"]), device, reps),
        seconds_a_call(lambda: plain(x)["out"], device, reps),
    )


def inference_times(
    backbones: list[str], size: tuple[int, int], device: torch.device, reps: int
) -> list[tuple[str, float, float]]:
    """(backbone, RefVOS seconds a frame, plain DeepLabv3 seconds a frame), batch 1, random weights."""
    x = torch.randn(1, 3, *size, device=device)
    return [(name, *backbone_times(name, x, device, reps)) for name in backbones]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="demo dataset folder (written there if absent; default: a temporary folder)")
    ap.add_argument("--out", help="training output folder (default: a temporary folder)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument(
        "--demo-videos",
        type=int,
        default=96,
        help="videos of the demo dataset written when --data is absent (default %(default)s: the 12 "
        "scene templates eight times with other colours and places, half of the later ones mirrored)",
    )
    ap.add_argument(
        "--val-round",
        type=int,
        default=8,
        help="round of the templates held out as val videos (default %(default)s; 0: the demo's own "
        "split, where the val videos are four scene templates never trained on)",
    )
    ap.add_argument(
        "--demo-frames",
        type=int,
        nargs=2,
        default=(4, 5),
        metavar=("MIN", "MAX"),
        help="frames a demo video (default 4 5: many short videos teach more than a few long ones)",
    )
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument(
        "--base-size",
        type=int,
        default=240,
        help="shorter side of the network input (default %(default)s: at 160 the output grid is 10x18, and the "
        "ground truth averaged onto it and upsampled back scores only 0.12 mIoU on the held-out videos)",
    )
    ap.add_argument("--crop-size", type=int, default=0, help="random square training crop (0: whole frames)")
    ap.add_argument("--frame-step", type=int, default=1, help="every k-th frame, for training and scoring")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument(
        "--optimizer",
        default="adamw",
        choices=OPTIMIZERS,
        help="(default %(default)s: from random weights it learns faster than the paper's SGD)",
    )
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument(
        "--referent-weight",
        type=float,
        default=10.0,
        help="loss weight of referent pixels (1 = the paper's loss, too slow to leave the all-background "
        "solution in a few CPU minutes from random weights: the demo's referents cover ~1%% of a frame)",
    )
    ap.add_argument(
        "--precise-bn",
        type=int,
        default=16,
        help="batches to recompute BatchNorm statistics on at each epoch end (MobileNetV3's momentum "
        "0.01 leaves the running averages far behind weights trained from scratch)",
    )
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument(
        "--threads",
        type=int,
        default=2,
        help="torch intra-op threads (default %(default)s; use 1 on a CPU shared with other work: "
        "spinning OpenMP threads then cost tenfold)",
    )
    ap.add_argument("--backbones", nargs="+", default=list(PLAIN), help="backbones to time at inference")
    ap.add_argument("--reps", type=int, default=3, help="timed forwards a model")
    ap.add_argument("--score-only", action="store_true", help="score the checkpoint in --out as it is, no training")
    ap.add_argument(
        "--score-splits",
        nargs="+",
        default=["val"],
        help="demo splits to score (val = held-out videos; train shows how well the training videos are fit)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    device = torch.device(args.device)
    tmp = tempfile.TemporaryDirectory(prefix="bench_refvos_")
    data = Path(args.data or Path(tmp.name) / "demo")
    out = Path(args.out or Path(tmp.name) / "run")
    if not (data / ".complete").exists():
        from refcat.demo.generator import write_demo_dataset

        write_demo_dataset(
            data,
            n_videos=args.demo_videos,
            min_frames=args.demo_frames[0],
            max_frames=args.demo_frames[1],
            width=427,
            height=240,
            val_round=args.val_round or None,
        )
    print(f"device {device}, torch threads {torch.get_num_threads()}, data {data}")

    # 1. train (resuming the run in --out if there is one; --score-only takes its checkpoint as it is)
    model_cfg = ModelConfig(backbone="mobilenet_v3_large", text_encoder="minilm", train_text_encoder=False)
    train_cfg = TrainConfig(
        dataset="demo",
        root=str(data),
        val_split=None,
        base_size=args.base_size,
        crop_size=args.crop_size or None,
        batch_size=args.batch_size,
        epochs=args.epochs,
        optimizer=args.optimizer,
        lr=args.lr,
        frame_step=args.frame_step,
        referent_weight=args.referent_weight,
        precise_bn=args.precise_bn,
    )
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if not args.score_only:
        train(
            model_cfg,
            train_cfg,
            RunOptions(
                out=str(out),
                device=args.device,
                workers=args.workers,
                weights_backbone="torchvision",
                progress=False,
                resume=(out / "checkpoint.pt").exists(),
            ),
        )
    model, state = load_model(out / "checkpoint.pt")
    with open(out / "steps.csv", newline="") as fh:
        losses = [float(r["loss"]) for r in csv.DictReader(fh)]
    with open(out / "epochs.csv", newline="") as fh:
        epochs = list(csv.DictReader(fh))
    train_s = sum(float(r["seconds"]) for r in epochs)
    cfg = state["train_config"]
    samples_seen = state["global_step"] * cfg["batch_size"]
    print(
        f"\ntraining: {len(epochs)} of {cfg['epochs']} epochs, {state['global_step']} steps of {cfg['batch_size']}, "
        f"{cfg['optimizer']} lr {cfg['lr']}, input {cfg['base_size']}px shorter side, "
        f"referent weight {cfg['referent_weight']}, "
        f"PreciseBN {cfg['precise_bn']} batches, "
        f"backbone weights: {state['backbone_origin']}"
    )
    print(
        f"  time {train_s:.1f} s, {samples_seen / train_s:.2f} samples/s; loss {losses[0]:.4f} -> "
        f"{np.mean(losses[-5:]):.4f} (mean of last 5 steps)"
    )
    print(
        f"  peak RSS {peak_rss_mib():.0f} MiB"
        + (f", peak CUDA memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if device.type == "cuda" else "")
    )

    # 2. score the held-out videos (and the training videos) against the largest-object baseline
    scene = json.loads((data / "demo_scene.json").read_text())
    info = {}
    for vid, video in scene["videos"].items():
        for e in video["expressions"]:
            info[vid, e["object_id"], e["source"]] = e
    for split in args.score_splits:
        reader = open_dataset("demo", str(data), split)
        instances = select_instances(reader)
        samples = evaluation_samples(reader, instances, frame_step=args.frame_step)
        began = time.perf_counter()
        model_iu, base_iu = score(model, reader, samples, cfg["base_size"], device, args.batch_size)
        score_s = time.perf_counter() - began
        groups: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(samples):
            _, vid, obj, source = s.instance_key.split("/")
            e = info[vid, int(obj), source]
            groups["all REs"].append(i)
            if e["intended"] == "valid":
                groups["valid REs"].append(i)
                for cat in ("appearance", "location"):
                    if cat in e["categories"]:
                        groups[f"valid, {cat}"].append(i)
        kind = "held-out" if split != cfg["split"] else "training"
        print(
            f"\n{kind} demo videos ({split}: {len(reader.videos())} videos, {len(instances)} REs, "
            f"{len(samples)} expression x frame samples, every {args.frame_step}th frame; scored in {score_s:.1f} s)"
        )
        print(
            f"  {'subset':<20}{'n':>6}  {'RefVOS mIoU':>12}{'oIoU':>8}  {'largest mIoU':>13}{'oIoU':>8}  "
            f"{'mIoU ratio':>10}"
        )
        for name, idx in groups.items():
            m_mean, m_all = summarise(model_iu[idx])
            b_mean, b_all = summarise(base_iu[idx])
            print(
                f"  {name:<20}{len(idx):>6}  {m_mean:>12.3f}{m_all:>8.3f}  {b_mean:>13.3f}{b_all:>8.3f}  "
                f"{m_mean / max(b_mean, 1e-9):>10.2f}"
            )

    # 3. inference time per frame against plain DeepLabv3
    h, w = resized_size(480, 854, args.base_size)
    print(f"\ninference, batch 1, {w}x{h} input, {args.reps} timed runs (random weights; RefVOS with MiniLM):")
    print(f"  {'backbone':<20}{'RefVOS ms':>10}{'DeepLabv3 ms':>14}{'ratio':>8}")
    for name, ours, plain in inference_times(args.backbones, (h, w), device, args.reps):
        print(f"  {name:<20}{ours * 1000:>10.1f}{plain * 1000:>14.1f}{ours / plain:>8.2f}")
    if device.type == "cuda":
        print(f"  peak CUDA memory {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")
    print(f"\npeak RSS of the whole run {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
