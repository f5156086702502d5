"""Plain RefVOS against the "diff" variant that sees time, on the motion diagnostic (issue 19).

The diagnostic (`refcat demo-data --diagnostic motion`, refcat.demo.diagnostic) has videos of two
objects of one class told apart by one cue only: motion (moving / still, left / right, fast /
slow), or, as controls, colour or position. Both networks are trained the same way (the same
recipe, seed, samples and batches; by default the diagnostic CNN of refcat.refvos_model.network, a
CPU-diagnostics backbone, and a BiLSTM text encoder, both from random weights; `--backbone
mobilenet_v3_large --weights-backbone torchvision` for RefVOS's own; offline), then scored on the
held-out val videos:

1. mean IoU of the REs of each cue (motion videos, appearance and location controls) for both
   models, and variant - plain, with paired percentile bootstrap intervals that resample val
   videos (every frame and RE of a resampled video kept together; the same videos for both models);
2. Table 5 of the paper for each model (`refcat.analysis.ablation.table5`, laid out by
   `refcat.analysis.report.table5_layout`): each RE "with" its cue against the same referent's
   "without" expression, the class noun alone ("the dog"), which fits both objects of the video.
   Motion-video REs go in the Motion column, except the "not moving" ones, which the taxonomy calls
   static (Static column); colour REs in Appearance, position REs in Location. Without its cue an
   RE cannot pick its referent, so the "without" side is the chance level of each model, and a
   model that uses the cue shows +cue well above -cue. The intervals are Table 5's: paired
   bootstraps over the (video, object, RE) pairs.

    python benchmarks/bench_temporal_diagnostic.py                 # CPU: about 25 minutes on 2 shared cores
    python benchmarks/bench_temporal_diagnostic.py --out DIR       # keeps data, runs and masks in DIR; reruns resume
    python benchmarks/bench_temporal_diagnostic.py --device cuda --epochs 30 --base-size 180 --frame-step 1

docs/refvos.md ("Seeing time") has the figures of a run and what they show.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd
import torch

from refcat.analysis.ablation import (
    A2DRE_PLUS_PREFIX,
    expression_scores,
    paired_ratio_intervals,
    parse_a2dre_plus_source,
    table5,
)
from refcat.analysis.per_sample import per_sample_table
from refcat.analysis.report import interval, markdown_table, percent, table5_layout
from refcat.datasets.records import Instance
from refcat.refvos_model.checkpoint import load_model
from refcat.refvos_model.config import BACKBONES, ModelConfig, TrainConfig
from refcat.refvos_model.data import open_dataset
from refcat.refvos_model.predict import write_masks
from refcat.refvos_model.train import RunOptions, train

KINDS = ("none", "diff")
NAMES = {"none": "RefVOS (plain)", "diff": "RefVOS + frame difference"}
CUES = ("motion", "appearance", "location")
CONVENTION = "mttr"  # refcat.analysis.metrics: per-sample IoU of the frames where the referent is present


def write_data(folder: Path) -> None:
    """The diagnostic dataset, unless the folder already holds a complete demo dataset."""
    if (folder / ".complete").exists():
        return
    from refcat.demo.diagnostic import write_diagnostic_dataset

    write_diagnostic_dataset(folder, "motion")


def train_both(data: Path, out: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Train each kind into out/<kind> (resuming a run there), the same recipe for both; their training figures."""
    recipe = TrainConfig(
        dataset="demo",
        root=str(data),
        val_split=None,
        base_size=args.base_size,
        crop_size=None,
        frame_step=args.frame_step,
        batch_size=args.batch_size,
        epochs=args.epochs,
        optimizer="adamw",
        lr=args.lr,
        text_lr=args.lr,
        referent_weight=args.referent_weight,
        precise_bn=args.precise_bn,
        seed=args.seed,
    )
    figures = {}
    for kind in KINDS:
        run = out / kind
        model = ModelConfig(
            backbone=args.backbone,
            text_encoder="bilstm",
            aspp_rates=tuple(args.aspp_rates),
            temporal=kind,
            temporal_gap=args.temporal_gap if kind == "diff" else 1,
        )
        began = time.perf_counter()
        if not (run / "checkpoint.pt").exists() or _unfinished(run, recipe.epochs):
            options = RunOptions(
                out=str(run),
                device=args.device,
                weights_backbone=args.weights_backbone,
                progress=False,
                resume=(run / "checkpoint.pt").exists(),
            )
            train(model, recipe, options)
        with open(run / "steps.csv", newline="") as fh:
            losses = [float(r["loss"]) for r in csv.DictReader(fh)]
        frame_norm, difference_norm = first_convolution_norms(run / "checkpoint.pt")
        figures[kind] = {
            "frame_norm": frame_norm,
            "difference_norm": difference_norm,
            "seconds": time.perf_counter() - began,
            "steps": len(losses),
            "first_loss": float(np.mean(losses[:5])),
            "last_loss": float(np.mean(losses[-5:])),
        }
    return figures


def first_convolution_norms(checkpoint: Path) -> tuple[float, float]:
    """L2 norms of the trained first convolution's weights on the frame's channels (0-2) and on the
    difference's (3-5; 0 for plain RefVOS, which has none)."""
    model, _ = load_model(checkpoint)
    weight = next(m for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d)).weight.detach()
    return weight[:, :3].norm().item(), weight[:, 3:].norm().item()


def _unfinished(run: Path, epochs: int) -> bool:
    path = run / "epochs.csv"
    if not path.exists():
        return True
    with open(path, newline="") as fh:
        return len(list(csv.DictReader(fh))) < epochs


def table5_category(expression: dict, cue: str) -> str:
    """The Table 5 column of a diagnostic RE: its cue, or static for a motion-video RE saying "not moving"."""
    if cue == "motion":
        return "static" if expression["claims"].get("moves") == "no" else "motion"
    return cue


def paired_instances(data: Path, split: str) -> tuple[list[Instance], dict[str, str]]:
    """The split's REs as A2Dre+ pairs: `a2dre+:{category}:with:{k}` holding the RE and
    `a2dre+:{category}:without:{k}` the class noun alone, k the RE's place among its object's REs;
    and the cue of each video. Both REs of an object share their "without" text, so only k = 0's is
    predicted (`with_shared_without` gives the others its rows)."""
    scene = json.loads((data / "demo_scene.json").read_text(encoding="utf-8"))
    instances, cues = [], {}
    for video_id, video in sorted(scene["videos"].items()):
        if video["split"] != split:
            continue
        seen: dict[int, int] = {}
        cues[video_id] = video["cue"]
        for e in video["expressions"]:
            k = seen[e["object_id"]] = seen.get(e["object_id"], -1) + 1
            category = table5_category(e, video["cue"])
            noun = f"the {e['claims']['category']}"
            source = f"{A2DRE_PLUS_PREFIX}{category}:%s:{k}"
            instances.append(Instance("demo", video_id, e["object_id"], source % "with", e["text"]))
            if k == 0:
                instances.append(Instance("demo", video_id, e["object_id"], source % "without", noun))
    return instances, cues


def polarity_and_k(source: str) -> tuple[str, int]:
    """(polarity, k) of an A2Dre+ source."""
    parsed = parse_a2dre_plus_source(source)
    assert parsed is not None, source
    return parsed[1], parsed[2]


def with_shared_without(table: pd.DataFrame) -> pd.DataFrame:
    """The per-sample table with each object's k = 0 "without" rows repeated for its other REs k (the
    same text, so the same masks and scores), so that every pair of Table 5 is complete."""
    parsed = table["source"].map(polarity_and_k)
    polarity, k = parsed.map(lambda p: p[0]), parsed.map(lambda p: p[1])
    shared = table[(polarity == "without") & (k == 0)]
    copies = []
    for other in sorted(set(k[polarity == "with"]) - {0}):
        wanted = table.loc[(polarity == "with") & (k == other), ["video_id", "object_id", "source"]]
        wanted = wanted.assign(source=wanted["source"].str.replace(":with:", ":without:")).drop_duplicates()
        rows = shared.assign(source=shared["source"].str.replace(":without:0", f":without:{other}"))
        rows = rows.merge(wanted, on=["video_id", "object_id", "source"])
        copies.append(rows.assign(instance_key=rows["instance_key"].str.replace(":without:0", f":without:{other}")))
    return pd.concat([table, *copies], ignore_index=True)


def score(kind: str, data: Path, out: Path, instances: list[Instance], args: argparse.Namespace) -> pd.DataFrame:
    """The per-sample table of one model's masks for the instances (masks kept in out/<kind>/masks)."""
    reader = open_dataset("demo", str(data), "val")
    model, state = load_model(out / kind / "checkpoint.pt")
    masks = out / kind / "masks"
    write_masks(
        model,
        reader,
        instances,
        masks,
        base_size=state["train_config"]["base_size"],
        batch_size=args.batch_size,
        device=torch.device(args.device),
        progress=False,
    )
    return with_shared_without(per_sample_table(masks, reader, instances, layout="expression"))


def by_video(table: pd.DataFrame, cues: dict[str, str], polarity: str) -> pd.DataFrame:
    """Per val video: its cue, the sum of the sample IoUs and the samples of its REs of one polarity."""
    scores = expression_scores(table, CONVENTION)
    scores = scores[scores["source"].map(lambda s: polarity_and_k(s)[0] == polarity)]
    per_video = scores.groupby("video_id", as_index=False)[["iou_sum", "samples"]].sum()
    return per_video.assign(cue=per_video["video_id"].map(cues))


def cue_table(tables: dict[str, pd.DataFrame], cues: dict[str, str], args: argparse.Namespace) -> pd.DataFrame:
    """Mean IoU of each cue's REs for both models and their difference, paired bootstrap over videos; the
    class noun alone ("without") as the chance reference."""
    rows = []
    for polarity, label in (("with", "{cue} REs"), ("without", "{cue} videos, class noun only")):
        plain, variant = (by_video(tables[k], cues, polarity) for k in KINDS)
        both = plain.merge(variant, on=["video_id", "cue"], suffixes=("_none", "_diff"))
        for cue in CUES:
            part = both[both["cue"] == cue]
            pair = paired_ratio_intervals(
                (part["iou_sum_diff"], part["samples_diff"]),
                (part["iou_sum_none"], part["samples_none"]),
                n_boot=args.n_boot,
                seed=args.seed,
            )
            rows.append(
                {
                    "": label.format(cue=cue),
                    "videos": len(part),
                    "samples": int(part["samples_none"].sum()),
                    NAMES["none"]: f"{percent(pair.minus.estimate)} {interval(pair.minus.low, pair.minus.high)}",
                    NAMES["diff"]: f"{percent(pair.plus.estimate)} {interval(pair.plus.low, pair.plus.high)}",
                    "variant - plain": f"{percent(pair.difference.estimate, signed=True)} "
                    f"{interval(pair.difference.low, pair.difference.high)}",
                }
            )
    return pd.DataFrame(rows).set_index("")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="diagnostic dataset folder (written there if absent; default: in --out)")
    ap.add_argument("--out", help="folder for the data, the two runs and their masks (default: a temporary one)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument(
        "--weights-backbone",
        default="none",
        help="ImageNet backbone weights, as `refcat train` takes them (default %(default)s: random weights)",
    )
    ap.add_argument(
        "--backbone",
        default="diagnostic_cnn",
        choices=BACKBONES,
        help="visual backbone (default %(default)s: the small CNN for CPU diagnostics, refcat.refvos_model.network)",
    )
    ap.add_argument(
        "--aspp-rates",
        type=lambda text: [int(r) for r in text.split(",")],
        default=[2, 4, 6],
        help="ASPP dilation rates (default 2,4,6: DeepLab's 12,24,36 are for a 65-cell feature map, these for the "
        "12-cell one of a 96-pixel input at output stride 8)",
    )
    ap.add_argument("--temporal-gap", type=int, default=3, help="the variant's frame gap k: frame t minus frame t - k")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument(
        "--base-size",
        type=int,
        default=96,
        help="shorter side of the network input (default %(default)s of the 180-pixel frames: a 12x22 output grid "
        "of the diagnostic CNN, objects about 20 pixels high; 180 keeps the frames' size)",
    )
    ap.add_argument(
        "--frame-step",
        type=int,
        default=4,
        help="train on every k-th frame (default %(default)s; neighbouring frames differ little); "
        "the val videos are scored on every frame",
    )
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3, help="AdamW rate of every parameter, text encoder included")
    ap.add_argument(
        "--referent-weight",
        type=float,
        default=3.0,
        help="loss weight of referent pixels (default %(default)s: referents cover a few percent of a frame)",
    )
    ap.add_argument("--precise-bn", type=int, default=4, help="PreciseBN batches at each epoch end")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default %(default)s: on a CPU shared with other work more threads spin)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tmp = tempfile.TemporaryDirectory(prefix="bench_temporal_")
    out = Path(args.out or tmp.name)
    data = Path(args.data) if args.data else out / "diagnostic"
    write_data(data)
    print(f"device {args.device}, torch threads {torch.get_num_threads()}, data {data}")

    trained = train_both(data, out, args)
    for kind in KINDS:
        t = trained[kind]
        print(
            f"{NAMES[kind]}: {t['steps']} steps of {args.batch_size}, {t['seconds']:.0f} s this run; "
            f"loss {t['first_loss']:.4f} (first 5 steps) -> {t['last_loss']:.4f} (last 5); first convolution's "
            f"weight norm: frame {t['frame_norm']:.2f}, difference {t['difference_norm']:.2f}"
        )

    instances, cues = paired_instances(data, "val")
    tables = {kind: score(kind, data, out, instances, args) for kind in KINDS}
    res = sum(polarity_and_k(i.source)[0] == "with" for i in instances)
    print(f"\nheld-out videos: {len(cues)}; REs: {res}; input {args.base_size} px shorter side")
    print("\nMean IoU by cue, [95% paired bootstrap over videos]\n")
    print(markdown_table(cue_table(tables, cues, args)))
    for kind in KINDS:
        t5 = table5(tables[kind], CONVENTION, n_boot=args.n_boot, seed=args.seed)
        print(f"\nTable 5 layout, {NAMES[kind]} (with: the RE; without: the class noun alone)\n")
        print(markdown_table(table5_layout(t5, "mean_iou")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
