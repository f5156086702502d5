"""`refcat train`: the RefVOS training recipe (after torchvision's references/segmentation/train.py).

`train` reads as the recipe, each step a function below it:

1. set-up: processes and devices (dist_utils; only the main process logs); the checkpoint to
   resume, checked against the options, or the checkpoint to fine-tune (`init_from`: its weights,
   a new optimizer and schedule); seeds; data (frame samples, sharded resumable samplers,
   loaders); the model (RefVOS, network.py), with SyncBatchNorm when asked under torchrun on
   CUDA, wrapped in DistributedDataParallel when several processes run
2. optimizer: SGD, momentum 0.9, weight decay (or AdamW, an option), the text encoder at its own
   learning rate (all of it, or only `text_layers`); polynomial decay lr * (1 - step / total_steps)
   ** 0.9 (DeepLab, Chen et al. 2017) or the authors' linear stages, a rate an epoch; mixed
   precision (`precision`: bf16, fp16 with a gradient scaler, or fp32)
3. resume: model, optimizer, scheduler, scaler, the RNG states of every process and the position
   in the epoch, so the next loss is the one an uninterrupted run would have produced; the
   dataset may have moved if its content is the same (`data.fingerprint`)
4. loop: `train_one_epoch` (channels-last on CUDA, gradient accumulation, a log row an optimizer
   step); at each epoch end, optionally recomputed BatchNorm statistics (PreciseBN), validation
   IoU, a checkpoint, the best one kept beside it, and a log row

Interruption: SIGINT / SIGTERM (or `stop_after` steps) finishes the current optimizer step,
writes the checkpoint and stops; `resume` continues from it.

Output folder: checkpoint.pt (the last); best.pt (the checkpoint of the epoch with the best
validation `best_metric` so far, when there is validation); steps.csv (STEP_FIELDS, a row an
optimizer step; `step` counts the steps done in the epoch, `lr` is the rate the step used);
epochs.csv (EPOCH_FIELDS, a row an epoch, counted from 1; `train_loss` is the mean of the
epoch's step losses, across a resume too); tensorboard/ (the same figures); with `wandb`, a
Weights & Biases run (offline unless asked otherwise; wandb-run-id keeps its id for resuming).
Floats are written with repr, so they round-trip.

Validation IoU: for each (expression, frame) sample, I and U count referent pixels of the
prediction and the ground truth outside void (255) pixels. Mean IoU averages I/U over samples;
overall IoU is sum(I) / sum(U) (the two figures the RefVOS paper reports).
"""

from __future__ import annotations

import csv
import itertools
import logging
import math
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any, TypedDict

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm import tqdm

from refcat.errors import UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model.config import (
    BEST_METRICS,
    FINE_TUNABLE,
    WANDB_MODES,
    ModelConfig,
    TrainConfig,
    config_to_dict,
    differences,
    normalized,
)
from refcat.refvos_model.data import (
    Batch,
    Item,
    ReferringFrames,
    ShardedSampler,
    build_datasets,
    collate,
    fingerprint,
)
from refcat.refvos_model.dist_utils import (
    DistInfo,
    all_reduce_sum,
    any_process,
    barrier,
    cleanup,
    gather_objects,
    init_distributed,
    log_from_main_only,
    mean_over_processes,
)
from refcat.refvos_model.network import IGNORE_INDEX, RefVOS, segmentation_loss
from refcat.refvos_model.text_encoders import build_vocabulary, glove_dim, train_only_layers

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
STEP_FIELDS = ["global_step", "epoch", "step", "lr", "loss"]
EPOCH_FIELDS = ["epoch", "global_step", "train_loss", "val_mean_iou", "val_overall_iou", "seconds"]

_SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


@dataclass
class RunOptions:
    """How this run executes; free to change between a run and its resumption."""

    out: str
    device: str = "auto"
    workers: int = 0
    resume: bool = False
    init_from: str | None = None  # a checkpoint whose weights a new run starts from (new optimizer and schedule)
    weights_backbone: str | None = "torchvision"
    glove: str | None = None
    stop_after: int | None = None  # checkpoint and stop after this many optimizer steps in this run
    best_metric: str = "mean_iou"  # the validation figure best.pt is chosen by (the authors': mean IoU)
    wandb: str | None = None  # Weights & Biases: "offline", "online", or None (off)
    progress: bool = True


class TrainSummary(TypedDict):
    """What `train` returns about the run it made."""

    losses: list[float]  # the loss of each optimizer step of this run
    val_mean_iou: float | None  # at the last epoch end of this run; None without one or without validation
    val_overall_iou: float | None
    interrupted: bool  # stopped before the last epoch ended: resume to go on
    global_step: int  # optimizer steps done, those of earlier runs included
    best: str | None  # best.pt's path, when this run wrote it


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, run: RunOptions) -> TrainSummary:
    """Train RefVOS into `run.out`, or continue the run there (`run.resume`)."""
    info = init_distributed(run.device)
    log_from_main_only(info)
    try:
        # 1. set-up
        checkpoint_path = Path(run.out) / CHECKPOINT
        dtype = autocast_dtype(train_cfg.precision, info.device)
        if run.wandb is not None:
            import_wandb()  # refuse before the long set-up
        state = checkpoint_to_resume(checkpoint_path, model_cfg, train_cfg, run, info)
        if state is not None:
            model_cfg = ckpt.model_config_of(state, checkpoint_path)
        source = state if state is not None else checkpoint_to_fine_tune(run.init_from, model_cfg)
        torch.manual_seed(train_cfg.seed)
        data = build_data(train_cfg, info, run.workers, model_cfg.previous_gap)
        if state is not None:
            check_same_data(state, data, train_cfg, checkpoint_path)
        model_cfg = with_vocabulary(model_cfg, data.texts, run.glove)
        model = build_model(model_cfg, train_cfg, info, run, source)
        net = distribute(model, info)

        # 2. optimizer and schedule
        optimizer = build_optimizer(model, train_cfg)
        scheduler = lr_schedule(optimizer, train_cfg, data.steps_per_epoch)
        scaler = torch.amp.GradScaler("cuda", enabled=dtype == torch.float16)
        learner = Learner(model, net, optimizer, scheduler, scaler, dtype)

        # 3. resume
        torch.manual_seed(train_cfg.seed + info.rank)  # dropout differs between processes
        position = Position() if state is None else restore(learner, state, checkpoint_path, info)
        best = Best.of(state, run.best_metric)

        # 4. loop
        net.train()  # from_pretrained text encoders come in eval mode; some stay there (RefVOS.train)
        progress = run.progress and info.main
        summary = TrainSummary(
            losses=[],
            val_mean_iou=None,
            val_overall_iou=None,
            interrupted=False,
            global_step=position.global_step,
            best=None,
        )
        saved = Saved(checkpoint_path, learner, model_cfg, train_cfg, data.fingerprint, info)
        resumed_at = None if state is None else position.global_step
        configs = {"model": config_to_dict(model_cfg), "train": config_to_dict(train_cfg)}
        with (
            RunLog(Path(run.out), info, resumed_at, run.wandb, configs) as run_log,
            StopRequest(after=run.stop_after) as stop,
        ):
            while position.epoch < train_cfg.epochs:
                began = time.perf_counter()
                losses = train_one_epoch(learner, data, position, train_cfg, info, run_log, stop, progress)
                summary["losses"] += losses
                summary["global_step"] = position.global_step
                if stop.stopping and position.step < data.steps_per_epoch:  # resumes within the epoch
                    saved.write(position, best)
                    log.info(
                        "stopped at epoch %d step %d; checkpoint %s", position.epoch, position.step, checkpoint_path
                    )
                    summary["interrupted"] = True
                    break
                if train_cfg.precise_bn:
                    recompute_bn_statistics(model, data.bn_batches(position.epoch), train_cfg.precise_bn, info)
                mean_iou = overall_iou = float("nan")
                if data.val_loader is not None:
                    mean_iou, overall_iou = evaluate(model, data.val_loader, info, dtype, progress)
                    summary["val_mean_iou"], summary["val_overall_iou"] = mean_iou, overall_iou
                train_loss = position.epoch_loss()
                improved = best.offer({"mean_iou": mean_iou, "overall_iou": overall_iou}, position.epoch + 1)
                position.next_epoch()
                saved.write(position, best)
                if improved:
                    summary["best"] = str(saved.keep_best(best))
                run_log.epoch(position, train_loss, mean_iou, overall_iou, time.perf_counter() - began)
                if stop.stopping:
                    summary["interrupted"] = position.epoch < train_cfg.epochs
                    break
        return summary
    finally:
        cleanup(info)


# 1. set-up


def checkpoint_to_resume(
    path: Path, model_cfg: ModelConfig, train_cfg: TrainConfig, run: RunOptions, info: DistInfo
) -> dict[str, Any] | None:
    """The checkpoint a resumed run continues, once it is known to hold the same training recipe (the
    dataset's folder aside: `check_same_data`), model options and number of processes; None for a new
    run, which refuses to overwrite a checkpoint. A resumed fine-tuning run repeats its `init_from`,
    which gave only the first run's weights."""
    if not run.resume:
        if path.exists():
            raise UsageError(f"{path} exists", expected="--resume to continue it, or another --out-dir folder")
        return None
    state = ckpt.load_checkpoint(path)
    if "optimizer" not in state:
        raise UsageError(f"{path} holds weights only, no training state to resume", expected="--init-from it")
    saved_train = normalized(TrainConfig, state["train_config"], where=str(path))
    diff = differences(_without(saved_train, ("root",)), _without(config_to_dict(train_cfg), ("root",)))
    if diff:
        raise UsageError(f"{path}: resuming with another training recipe: " + "; ".join(diff))
    derived = ("vocabulary", "word_dim")  # filled in from the data at the first run
    saved_model = normalized(ModelConfig, state["model_config"], where=str(path))
    diff = differences(_without(saved_model, derived), _without(config_to_dict(model_cfg), derived))
    if diff:
        raise UsageError(f"{path}: checkpoint was trained with other model options: " + "; ".join(diff))
    if state["world_size"] != info.world_size:
        raise UsageError(
            f"{path} was written by {state['world_size']} processes, not {info.world_size}",
            expected="the same number of processes to resume exactly",
        )
    return state


def _without(config: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in names}


def check_same_data(state: dict[str, Any], data: TrainingData, cfg: TrainConfig, path: Path) -> None:
    """A resumed run may read its dataset from another folder when the samples there are the same ones
    (the checkpoint's `data_fingerprint`)."""
    saved_root = state["train_config"]["root"]
    if saved_root == cfg.root:
        return
    saved = state.get("data_fingerprint")
    if saved != data.fingerprint:
        if saved is None:
            detail = "the checkpoint holds no fingerprint of its data to compare"
        else:
            detail = "; ".join(
                f"{split} {', '.join(differences(saved.get(split, {}), data.fingerprint.get(split, {})))}"
                for split in sorted(set(saved) | set(data.fingerprint))
                if saved.get(split) != data.fingerprint.get(split)
            )
        raise UsageError(f"{path}: root: {saved_root!r} -> {cfg.root!r}, and the data differ: {detail}")
    log.info("the dataset moved from %s to %s: the same videos, samples and REs", saved_root, cfg.root)


def checkpoint_to_fine_tune(init_from: str | None, model_cfg: ModelConfig) -> dict[str, Any] | None:
    """The checkpoint whose weights a new run starts from, once its network is the one asked for (the
    options of FINE_TUNABLE may differ), with its path under "init_from"; None without `init_from`."""
    if not init_from:
        return None
    state = ckpt.load_checkpoint(init_from)
    saved = normalized(ModelConfig, state["model_config"], where=init_from)
    diff = differences(_without(saved, FINE_TUNABLE), _without(config_to_dict(model_cfg), FINE_TUNABLE))
    if diff:
        raise UsageError(f"{init_from}: the checkpoint's network differs from the one asked for: " + "; ".join(diff))
    return {**state, "init_from": init_from}


@dataclass
class TrainingData:
    """The training set with the loaders over this process's shard of it, and the validation loader."""

    train_set: ReferringFrames
    sampler: ShardedSampler
    loader: DataLoader[Item]
    bn_sampler: ShardedSampler  # PreciseBN draws other batches than training
    bn_loader: DataLoader[Item]
    val_loader: DataLoader[Item] | None
    texts: list[str]  # the training REs
    steps_per_epoch: int
    samples_per_step: int  # a process's samples an optimizer step: batch size x accumulated batches
    fingerprint: dict[str, Any]  # what the samples are (data.fingerprint), kept in checkpoints

    def batches(self, position: Position) -> Iterator[Batch]:
        """The batches of the position's epoch, from its step on."""
        self.sampler.set_epoch(position.epoch, start=position.step * self.samples_per_step)
        self.train_set.set_epoch(position.epoch)
        return iter(self.loader)

    def bn_batches(self, epoch: int) -> DataLoader[Item]:
        """PreciseBN's batches for the epoch."""
        self.bn_sampler.set_epoch(epoch)
        return self.bn_loader


def build_data(cfg: TrainConfig, info: DistInfo, workers: int, previous_gap: int = 0) -> TrainingData:
    """The recipe's samples and loaders (`previous_gap`: the network's, `ModelConfig.previous_gap`); refuses
    a shard too small for one optimizer step."""
    train_set, val_set, texts = build_datasets(cfg, previous_gap)
    sampler = ShardedSampler(len(train_set), rank=info.rank, world_size=info.world_size, shuffle=True, seed=cfg.seed)
    steps_per_epoch = len(sampler) // cfg.batch_size // cfg.accumulate
    if steps_per_epoch == 0:
        raise UsageError(
            f"{len(sampler)} training samples a process cannot fill one step of {cfg.batch_size} x {cfg.accumulate}",
            expected="a smaller --batch-size or --accumulate",
        )
    loader = _loader(train_set, sampler, cfg.batch_size, workers, info, train=True, seed=cfg.seed)
    bn_sampler = ShardedSampler(
        len(train_set), rank=info.rank, world_size=info.world_size, shuffle=True, seed=cfg.seed + 1
    )
    bn_loader = _loader(train_set, bn_sampler, cfg.batch_size, workers, info, train=True, seed=cfg.seed)
    val_loader = None
    if val_set is not None:
        val_sampler = ShardedSampler(len(val_set), rank=info.rank, world_size=info.world_size, shuffle=False)
        val_loader = _loader(val_set, val_sampler, cfg.batch_size, workers, info, train=False)
    return TrainingData(
        train_set,
        sampler,
        loader,
        bn_sampler,
        bn_loader,
        val_loader,
        texts,
        steps_per_epoch,
        samples_per_step=cfg.accumulate * cfg.batch_size,
        fingerprint=fingerprint(train_set, val_set),
    )


def _loader(
    dataset: ReferringFrames,
    sampler: ShardedSampler,
    batch_size: int,
    workers: int,
    info: DistInfo,
    *,
    train: bool,
    seed: int = 0,
) -> DataLoader[Item]:
    """A loader of the sampler's indices; a training one drops the last incomplete batch and draws its
    workers' base seed from a generator seeded with `seed`."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        drop_last=train,
        generator=torch.Generator().manual_seed(seed) if train else None,
        num_workers=workers,
        collate_fn=collate,
        pin_memory=info.device.type == "cuda",
    )


def with_vocabulary(cfg: ModelConfig, texts: list[str], glove: str | None) -> ModelConfig:
    """A BiLSTM's config without a vocabulary gets the training REs' words, and the word-vector size of
    the GloVe file when one is given (the first run; the checkpoint keeps them). Others are returned as is."""
    if cfg.text_encoder != "bilstm" or cfg.vocabulary:
        return cfg
    return replace(cfg, vocabulary=build_vocabulary(texts), word_dim=glove_dim(glove) if glove else cfg.word_dim)


def build_model(
    cfg: ModelConfig, train_cfg: TrainConfig, info: DistInfo, run: RunOptions, source: dict[str, Any] | None
) -> RefVOS:
    """RefVOS on this process's device (channels-last on CUDA), ready to train: only the text layers the
    recipe trains have gradients, and BatchNorm is synchronised across processes when asked (CUDA only).

    `source`: the checkpoint to resume or to fine-tune (`checkpoint_to_fine_tune`), which gives every
    weight and the text encoder's files; without one, backbone weights and word vectors are as `run`
    names them.
    """
    if source is None:
        model = RefVOS(cfg, weights_backbone=run.weights_backbone, glove=run.glove)
    else:
        model = RefVOS(cfg, text_saved=source.get("text_encoder"))
        ckpt.load_model_state(model, source["model"], source.get("init_from", run.out))
        model.backbone_origin = source.get("backbone_origin", "unknown")
        if "init_from" in source:
            model.backbone_origin = f"fine-tuned from {source['init_from']} (backbone: {model.backbone_origin})"
            log.info("weights from %s; a new optimizer and schedule", source["init_from"])
    if train_cfg.text_layers and cfg.train_text_encoder:
        train_only_layers(model.text_encoder, train_cfg.text_layers)
    model = sync_batch_norm(model, train_cfg.sync_bn, info)
    model.to(info.device)
    if info.device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model


def sync_batch_norm(model: RefVOS, asked: bool, info: DistInfo) -> RefVOS:
    """The model with its BatchNorms made SyncBatchNorm when asked for and several processes run on CUDA
    (NCCL); otherwise as it is, saying why when it was asked for."""
    if not asked:
        return model
    if not info.distributed:
        log.info("SyncBatchNorm is not used: one process runs")
        return model
    if info.device.type != "cuda":
        log.info("SyncBatchNorm is not used on the CPU: each process normalises its own batches")
        return model
    log.info("SyncBatchNorm: batch statistics over the %d processes", info.world_size)
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted, RefVOS)  # the top module is no BatchNorm: its children are replaced in place
    return converted


def distribute(model: RefVOS, info: DistInfo) -> nn.Module:
    """What the training step calls: the model, or its DistributedDataParallel wrapper when several processes run."""
    if not info.distributed:
        return model
    return DistributedDataParallel(model, device_ids=[info.local_rank] if info.device.type == "cuda" else None)


# 2. optimizer and schedule


def build_optimizer(model: RefVOS, cfg: TrainConfig) -> torch.optim.Optimizer:
    """SGD (or AdamW) over the trainable parameters: the text encoder's at `text_lr`, the others at `lr`."""
    text_params = [p for p in model.text_encoder.parameters() if p.requires_grad]
    text_ids = {id(p) for p in text_params}
    other_params = [p for p in model.parameters() if p.requires_grad and id(p) not in text_ids]
    groups: list[dict[str, Any]] = [{"params": other_params, "lr": cfg.lr}]
    if text_params:
        groups.append({"params": text_params, "lr": cfg.text_lr})
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(groups, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def lr_schedule(optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int) -> LambdaLR:
    """The recipe's schedule, as factors of each group's initial rate (the vision group's is `cfg.lr`).

    "poly": (1 - step / total_steps) ** poly_power, 0 from total_steps on. "linear": the rate of the
    step's epoch (`TrainConfig.epoch_rates`) divided by `cfg.lr`, so that the vision group runs at the
    stages' rates and the text group in proportion (at the same rates when text_lr = lr). The rate
    changes at an epoch's first step (the authors' code sets it after that step).
    """
    # lambdas, not callable objects: LambdaLR would save an object's attributes in its state dict
    if cfg.lr_schedule == "poly":
        total_steps, power = steps_per_epoch * cfg.epochs, cfg.poly_power
        return LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total_steps) ** power)
    factors = [rate / cfg.lr for rate in cfg.epoch_rates()]
    return LambdaLR(optimizer, lambda step: factors[min(step // steps_per_epoch, len(factors) - 1)])


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of a precision on the device; None for fp32. "auto": fp16 on CUDA, fp32 elsewhere."""
    if precision == "auto":
        precision = "fp16" if device.type == "cuda" else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise UsageError("fp16 mixed precision needs CUDA", expected="--precision bf16 or fp32 on the CPU")
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def autocast(device: torch.device, dtype: torch.dtype | None) -> AbstractContextManager[object]:
    """Mixed precision in `dtype` on the device; nothing for None."""
    return nullcontext() if dtype is None else torch.autocast(device.type, dtype=dtype)


@dataclass
class Learner:
    """The network and what updates it: the state a checkpoint keeps besides the position and RNGs."""

    model: RefVOS  # the bare network: state dicts, PreciseBN, validation
    net: nn.Module  # what the training step calls (see `distribute`)
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    scaler: torch.amp.GradScaler  # enabled for fp16 only
    dtype: torch.dtype | None  # autocast dtype; None: fp32


# 3. resume and checkpoint


@dataclass
class Position:
    """Where training stands: the epoch (from 0), the optimizer steps done in it and in all epochs, and
    the sum of the epoch's step losses so far."""

    epoch: int = 0
    step: int = 0
    global_step: int = 0
    loss_sum: float = 0.0

    def advance(self, loss: float) -> None:
        self.step += 1
        self.global_step += 1
        self.loss_sum += loss

    def epoch_loss(self) -> float:
        """The mean loss of the epoch's steps, those of an earlier run of a resumed one included."""
        return self.loss_sum / max(self.step, 1)

    def next_epoch(self) -> None:
        self.epoch, self.step, self.loss_sum = self.epoch + 1, 0, 0.0


@dataclass
class Best:
    """The best validation figure so far (`metric`, higher is better) and the epoch (from 1) that had it."""

    metric: str
    value: float = -math.inf
    epoch: int = 0

    @classmethod
    def of(cls, state: dict[str, Any] | None, metric: str) -> Best:
        """The best so far of a resumed run (tracked anew when it was chosen by another metric)."""
        if metric not in BEST_METRICS:
            raise UsageError(f"unknown metric {metric!r}", expected=" / ".join(BEST_METRICS))
        saved = (state or {}).get("best")
        if saved and saved["metric"] == metric:
            return cls(metric, saved["value"], saved["epoch"])
        return cls(metric)

    def offer(self, figures: dict[str, float], epoch: int) -> bool:
        """Take an epoch's figures; True when they beat the best so far (NaN, no validation, never does)."""
        value = figures[self.metric]
        if not value > self.value:
            return False
        self.value, self.epoch = value, epoch
        return True


def restore(learner: Learner, state: dict[str, Any], path: Path, info: DistInfo) -> Position:
    """Load the checkpoint's optimizer, scheduler, scaler and this process's RNG states (the model got its
    weights in `build_model`); its position."""
    learner.optimizer.load_state_dict(state["optimizer"])
    learner.scheduler.load_state_dict(state["scheduler"])
    learner.scaler.load_state_dict(state["scaler"])
    ckpt.set_rng_state(state["rng"][info.rank])
    position = Position(state["epoch"], state["step"], state["global_step"], state.get("epoch_loss_sum", 0.0))
    log.info("resuming %s at epoch %d, step %d", path, position.epoch, position.step)
    return position


@dataclass
class Saved:
    """Where and what a run saves: checkpoint.pt, and best.pt beside it."""

    path: Path
    learner: Learner
    model_cfg: ModelConfig
    train_cfg: TrainConfig
    data_fingerprint: dict[str, Any]
    info: DistInfo

    def write(self, position: Position, best: Best) -> None:
        """Save what `build_model` and `restore` load, the configs, the data's fingerprint, the best figure
        so far and the backbone's origin; every process sends its RNG states, the main process writes,
        and all wait for the file."""
        rng = gather_objects(ckpt.rng_state(), self.info)
        if self.info.main:
            model = self.learner.model
            ckpt.save_checkpoint(
                self.path,
                {
                    "model_config": config_to_dict(self.model_cfg),
                    "train_config": config_to_dict(self.train_cfg),
                    "model": model.state_dict(),
                    "text_encoder": model.text_encoder.portable(),
                    "optimizer": self.learner.optimizer.state_dict(),
                    "scheduler": self.learner.scheduler.state_dict(),
                    "scaler": self.learner.scaler.state_dict(),
                    "epoch": position.epoch,
                    "step": position.step,
                    "global_step": position.global_step,
                    "epoch_loss_sum": position.loss_sum,
                    "rng": rng,
                    "world_size": self.info.world_size,
                    "backbone_origin": model.backbone_origin,
                    "data_fingerprint": self.data_fingerprint,
                    "best": {"metric": best.metric, "value": best.value, "epoch": best.epoch},
                },
            )
        barrier(self.info)

    def keep_best(self, best: Best) -> Path:
        """Copy the checkpoint just written to best.pt (the main process copies; every process gets the path)."""
        target = self.path.with_name(BEST)
        if self.info.main:
            ckpt.copy_checkpoint(self.path, target)
            log.info("best %s so far (%.4f, epoch %d): %s", best.metric, best.value, best.epoch, target)
        return target


# 4. loop


class StopRequest:
    """When to stop: after SIGINT / SIGTERM, or after `after` optimizer steps of this run.

    The loop calls `step_done` at each optimizer-step boundary; the answer, also kept in `stopping`,
    is the same on every process (one wants to stop: all stop). A second signal stops at once.
    """

    def __init__(self, after: int | None = None) -> None:
        self.after = after
        self.requested = False  # a signal came
        self.stopping = False
        self._steps = 0
        self._previous: dict[int, _SignalHandler] = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: rely on `after`
                pass
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # a second signal: stop now
            raise KeyboardInterrupt
        log.warning("signal %d: finishing the current step, then writing the checkpoint", signum)
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def step_done(self, info: DistInfo) -> bool:
        self._steps += 1
        self.stopping = any_process(self.requested or (self.after is not None and self._steps >= self.after), info)
        return self.stopping


def train_one_epoch(
    learner: Learner,
    data: TrainingData,
    position: Position,
    cfg: TrainConfig,
    info: DistInfo,
    run_log: RunLog,
    stop: StopRequest,
    progress: bool,
) -> list[float]:
    """Optimizer steps from the position to the epoch's end, or until a stop, each advancing the position
    and logged; their losses."""
    batches = data.batches(position)
    losses: list[float] = []
    bar = tqdm(
        range(position.step, data.steps_per_epoch),
        desc=f"epoch {position.epoch + 1}/{cfg.epochs}",
        disable=not progress,
    )
    for _ in bar:
        lr, loss = optimizer_step(learner, batches, cfg, info)
        position.advance(loss)
        losses.append(loss)
        run_log.step(position, lr, loss)
        bar.set_postfix(loss=f"{loss:.4f}")
        if stop.step_done(info):
            break
    return losses


def optimizer_step(learner: Learner, batches: Iterator[Batch], cfg: TrainConfig, info: DistInfo) -> tuple[float, float]:
    """One optimizer step over `cfg.accumulate` batches, gradients synchronised across processes at the
    last; the learning rate it used and its loss, averaged over processes."""
    net = learner.net
    loss_sum = 0.0
    for micro in range(cfg.accumulate):
        images, targets, texts, _ = next(batches)
        images = images.to(info.device, non_blocking=True)
        targets = targets.to(info.device, non_blocking=True)
        if info.device.type == "cuda":
            images = images.contiguous(memory_format=torch.channels_last)
        last = micro == cfg.accumulate - 1
        sync = net.no_sync() if isinstance(net, DistributedDataParallel) and not last else nullcontext()
        with sync:
            with autocast(info.device, learner.dtype):
                loss = segmentation_loss(net(images, texts), targets, cfg.referent_weight) / cfg.accumulate
            learner.scaler.scale(loss).backward()
        loss_sum += loss.item()
    learner.scaler.step(learner.optimizer)
    learner.scaler.update()
    learner.optimizer.zero_grad(set_to_none=True)
    lr = float(learner.scheduler.get_last_lr()[0])
    learner.scheduler.step()
    return lr, mean_over_processes(loss_sum, info)


def iou_counts(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample intersection and union of the referent, ignoring pixels whose target is 255."""
    valid = targets != IGNORE_INDEX
    pred = (logits.argmax(1) == 1) & valid
    gt = (targets == 1) & valid
    return (pred & gt).flatten(1).sum(1), (pred | gt).flatten(1).sum(1)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    info: DistInfo,
    dtype: torch.dtype | None = None,
    progress: bool = False,
) -> tuple[float, float]:
    """(mean IoU, overall IoU) over the loader's samples, summed across processes; autocast in `dtype`
    (None: fp32).

    Pass the bare model, not its DistributedDataParallel wrapper: shards can differ in length,
    and the wrapper's forward broadcasts buffers, a collective every process must join.
    """
    model.eval()
    totals = torch.zeros(4, dtype=torch.float64)  # sum I, sum U, sum of per-sample IoU, samples
    for images, targets, texts, _ in tqdm(loader, desc="validate", disable=not progress, leave=False):
        images, targets = images.to(info.device), targets.to(info.device)
        with autocast(info.device, dtype):
            logits = model(images, texts)
        inter, union = iou_counts(logits, targets)
        iou = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union, dtype=torch.float))
        totals += torch.tensor(
            [inter.sum().item(), union.sum().item(), iou.sum().item(), len(iou)], dtype=torch.float64
        )
    totals = all_reduce_sum(totals, info)
    model.train()
    sum_i, sum_u, sum_iou, n = totals.tolist()
    return sum_iou / max(n, 1), sum_i / max(sum_u, 1)


@torch.no_grad()
def recompute_bn_statistics(model: nn.Module, loader: Iterable[Batch], n_batches: int, info: DistInfo) -> None:
    """PreciseBN (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm", section 3): replace each
    BatchNorm's running mean and variance by their plain average over `n_batches` training
    batches forwarded in train mode with the current weights, averaged across processes.

    The running averages lag behind weights that move fast, as when training from random
    weights; torchvision's MobileNetV3 uses a BatchNorm momentum of 0.01 (a ~100-step memory).
    """
    norms = [
        m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]
    momenta = [bn.momentum for bn in norms]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches below
    model.train()
    for images, _, texts, _ in itertools.islice(loader, n_batches):
        model(images.to(info.device), texts)
    for bn, momentum in zip(norms, momenta):
        bn.momentum = momentum
        for buf in (bn.running_mean, bn.running_var):
            if buf is not None:  # always there: these norms track running statistics
                buf.copy_(all_reduce_sum(buf.detach().clone().cpu(), info).to(buf.device) / info.world_size)


def import_wandb() -> ModuleType:
    """The wandb package, or a usage error saying how to get it (it is no dependency of refcat)."""
    try:
        import wandb
    except ModuleNotFoundError as exc:
        raise UsageError("Weights & Biases logging needs the wandb package", expected="pip install wandb") from exc
    return wandb


class RunLog:
    """The run's records, kept by the main process (the others' calls do nothing): steps.csv, epochs.csv,
    TensorBoard, and a Weights & Biases run when `wandb` names its mode ("offline" or "online"), with
    `configs` as its configuration.

    A resumed run (`resumed_at`: its checkpoint's global step) first drops the steps logged after
    its checkpoint, written between the save and a hard kill, and continues the same W&B run.
    """

    def __init__(
        self,
        out: Path,
        info: DistInfo,
        resumed_at: int | None,
        wandb: str | None = None,
        configs: dict[str, Any] | None = None,
    ) -> None:
        self.steps_path, self.epochs_path = out / "steps.csv", out / "epochs.csv"
        self.writer: SummaryWriter | None = None
        self.wandb_run: Any = None  # wandb's Run (the package is optional)
        if not info.main:
            return
        if resumed_at is not None:
            _truncate_steps_log(self.steps_path, resumed_at)
        out.mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(out / "tensorboard"))
        if wandb is not None:
            if wandb not in WANDB_MODES:
                raise UsageError(f"unknown W&B mode {wandb!r}", expected=" / ".join(WANDB_MODES))
            id_path = out / "wandb-run-id"
            run_id = id_path.read_text().strip() if id_path.exists() else uuid.uuid4().hex[:12]
            id_path.write_text(run_id + "\n")
            self.wandb_run = import_wandb().init(
                project="refcat", dir=str(out), id=run_id, resume="allow", mode=wandb, config=configs
            )

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.wandb_run is not None:
            self.wandb_run.finish()

    def step(self, position: Position, lr: float, loss: float) -> None:
        """After an optimizer step (`position` counts it)."""
        if self.writer is None:
            return
        row = {
            "global_step": position.global_step,
            "epoch": position.epoch,
            "step": position.step,
            "lr": repr(lr),
            "loss": repr(loss),
        }
        _append_csv(self.steps_path, STEP_FIELDS, row)
        self.writer.add_scalar("train/loss", loss, position.global_step)
        self.writer.add_scalar("train/lr", lr, position.global_step)
        if self.wandb_run is not None:
            self.wandb_run.log({"train/loss": loss, "train/lr": lr}, step=position.global_step)

    def epoch(self, position: Position, train_loss: float, mean_iou: float, overall_iou: float, seconds: float) -> None:
        """After an epoch (`position` at the start of the next one); `train_loss`: the epoch's mean step loss."""
        if self.writer is None:
            return
        row = {
            "epoch": position.epoch,
            "global_step": position.global_step,
            "train_loss": repr(train_loss),
            "val_mean_iou": repr(mean_iou),
            "val_overall_iou": repr(overall_iou),
            "seconds": f"{seconds:.1f}",
        }
        _append_csv(self.epochs_path, EPOCH_FIELDS, row)
        self.writer.add_scalar("val/mean_iou", mean_iou, position.epoch)
        self.writer.add_scalar("val/overall_iou", overall_iou, position.epoch)
        if self.wandb_run is not None:
            figures = {"train/epoch_loss": train_loss, "val/mean_iou": mean_iou, "val/overall_iou": overall_iou}
            self.wandb_run.log({**figures, "epoch": position.epoch}, step=position.global_step)
        log.info(
            "epoch %d: train loss %.4f, val mean IoU %.4f, overall IoU %.4f",
            position.epoch,
            train_loss,
            mean_iou,
            overall_iou,
        )


def _append_csv(path: Path, fields: list[str], row: dict[str, object]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerow(row)


def _truncate_steps_log(path: Path, global_step: int) -> None:
    """Drop the logged steps after `global_step`."""
    if not path.exists():
        return
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["global_step"]) <= global_step]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=STEP_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
