"""`refcat train`: the RefVOS training recipe (after torchvision's references/segmentation/train.py).

`train` reads as the recipe, each step a function below it:

1. set-up: processes and devices (dist_utils); the checkpoint to resume, checked against the
   options; seeds; data (frame samples, sharded resumable samplers, loaders); the model (RefVOS,
   network.py), wrapped in DistributedDataParallel when several processes run
2. optimizer: SGD, momentum 0.9, weight decay (or AdamW, an option), the text encoder at its own
   learning rate; polynomial decay lr * (1 - step / total_steps) ** 0.9 (DeepLab, Chen et al. 2017);
   mixed precision (a gradient scaler) on CUDA only
3. resume: model, optimizer, scheduler, scaler, the RNG states of every process and the position
   in the epoch, so the next loss is the one an uninterrupted run would have produced
4. loop: `train_one_epoch` (channels-last and mixed precision on CUDA only, gradient accumulation,
   a log row an optimizer step); at each epoch end, optionally recomputed BatchNorm statistics
   (PreciseBN), validation IoU, a checkpoint and a log row

Interruption: SIGINT / SIGTERM (or `stop_after` steps) finishes the current optimizer step,
writes the checkpoint and stops; `resume` continues from it.

Output folder: checkpoint.pt; steps.csv (STEP_FIELDS, a row an optimizer step; `step` counts the
steps done in the epoch, `lr` is the rate the step used); epochs.csv (EPOCH_FIELDS, a row an epoch,
counted from 1); tensorboard/ (the same figures). Floats are written with repr, so they round-trip.

Validation IoU: for each (expression, frame) sample, I and U count referent pixels of the
prediction and the ground truth outside void (255) pixels. Mean IoU averages I/U over samples;
overall IoU is sum(I) / sum(U) (the two figures the RefVOS paper reports).
"""

from __future__ import annotations

import csv
import itertools
import logging
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
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
    ModelConfig,
    TrainConfig,
    config_to_dict,
    differences,
)
from refcat.refvos_model.data import Batch, Item, ReferringFrames, ShardedSampler, build_datasets, collate
from refcat.refvos_model.dist_utils import (
    DistInfo,
    all_reduce_sum,
    any_process,
    barrier,
    cleanup,
    gather_objects,
    init_distributed,
    mean_over_processes,
)
from refcat.refvos_model.network import IGNORE_INDEX, RefVOS, segmentation_loss
from refcat.refvos_model.text_encoders import build_vocabulary, glove_dim

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
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
    weights_backbone: str | None = "torchvision"
    glove: str | None = None
    stop_after: int | None = None  # checkpoint and stop after this many optimizer steps in this run
    progress: bool = True


class TrainSummary(TypedDict):
    """What `train` returns about the run it made."""

    losses: list[float]  # the loss of each optimizer step of this run
    val_mean_iou: float | None  # at the last epoch end of this run; None without one or without validation
    val_overall_iou: float | None
    interrupted: bool  # stopped before the last epoch ended: resume to go on
    global_step: int  # optimizer steps done, those of earlier runs included


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, run: RunOptions) -> TrainSummary:
    """Train RefVOS into `run.out`, or continue the run there (`run.resume`)."""
    info = init_distributed(run.device)
    try:
        # 1. set-up
        checkpoint_path = Path(run.out) / CHECKPOINT
        state = checkpoint_to_resume(checkpoint_path, model_cfg, train_cfg, run.resume, info)
        if state is not None:
            model_cfg = ckpt.model_config_of(state, checkpoint_path)
        torch.manual_seed(train_cfg.seed)
        data = build_data(train_cfg, info, run.workers)
        model_cfg = with_vocabulary(model_cfg, data.texts, run.glove)
        model = build_model(model_cfg, info, run, pretrained=state is None)
        net = distribute(model, info)

        # 2. optimizer and schedule
        optimizer = build_optimizer(model, train_cfg)
        scheduler = poly_schedule(optimizer, data.steps_per_epoch * train_cfg.epochs, train_cfg.poly_power)
        scaler = torch.amp.GradScaler("cuda", enabled=info.device.type == "cuda")
        learner = Learner(model, net, optimizer, scheduler, scaler)

        # 3. resume
        torch.manual_seed(train_cfg.seed + info.rank)  # dropout differs between processes
        position = Position() if state is None else restore(learner, state, checkpoint_path, info)

        # 4. loop
        net.train()  # from_pretrained text encoders come in eval mode; a frozen one stays there (RefVOS.train)
        progress = run.progress and info.main
        summary = TrainSummary(
            losses=[], val_mean_iou=None, val_overall_iou=None, interrupted=False, global_step=position.global_step
        )
        resumed_at = None if state is None else position.global_step
        with RunLog(Path(run.out), info, resumed_at) as run_log, StopRequest(after=run.stop_after) as stop:
            while position.epoch < train_cfg.epochs:
                began = time.perf_counter()
                losses = train_one_epoch(learner, data, position, train_cfg, info, run_log, stop, progress)
                summary["losses"] += losses
                summary["global_step"] = position.global_step
                if stop.stopping and position.step < data.steps_per_epoch:  # resumes within the epoch
                    write_checkpoint(checkpoint_path, learner, position, model_cfg, train_cfg, info)
                    log.info(
                        "stopped at epoch %d step %d; checkpoint %s", position.epoch, position.step, checkpoint_path
                    )
                    summary["interrupted"] = True
                    break
                if train_cfg.precise_bn:
                    recompute_bn_statistics(model, data.bn_batches(position.epoch), train_cfg.precise_bn, info)
                mean_iou = overall_iou = float("nan")
                if data.val_loader is not None:
                    mean_iou, overall_iou = evaluate(model, data.val_loader, info, progress)
                    summary["val_mean_iou"], summary["val_overall_iou"] = mean_iou, overall_iou
                position.next_epoch()
                write_checkpoint(checkpoint_path, learner, position, model_cfg, train_cfg, info)
                run_log.epoch(position, losses, mean_iou, overall_iou, time.perf_counter() - began)
                if stop.stopping:
                    summary["interrupted"] = position.epoch < train_cfg.epochs
                    break
        return summary
    finally:
        cleanup(info)


# 1. set-up


def checkpoint_to_resume(
    path: Path, model_cfg: ModelConfig, train_cfg: TrainConfig, resume: bool, info: DistInfo
) -> dict[str, Any] | None:
    """The checkpoint a resumed run continues, once it is known to hold the same training recipe, model
    options and number of processes; None for a new run, which refuses to overwrite a checkpoint."""
    if not resume:
        if path.exists():
            raise UsageError(f"{path} exists", expected="--resume to continue it, or another --out-dir folder")
        return None
    state = ckpt.load_checkpoint(path)
    diff = differences(state["train_config"], config_to_dict(train_cfg))
    if diff:
        raise UsageError(f"{path}: resuming with another training recipe: " + "; ".join(diff))
    derived = ("vocabulary", "word_dim")  # filled in from the data at the first run
    saved = {k: v for k, v in state["model_config"].items() if k not in derived}
    diff = differences(saved, {k: v for k, v in config_to_dict(model_cfg).items() if k not in derived})
    if diff:
        raise UsageError(f"{path}: checkpoint was trained with other model options: " + "; ".join(diff))
    if state["world_size"] != info.world_size:
        raise UsageError(
            f"{path} was written by {state['world_size']} processes, not {info.world_size}",
            expected="the same number of processes to resume exactly",
        )
    return state


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

    def batches(self, position: Position) -> Iterator[Batch]:
        """The batches of the position's epoch, from its step on."""
        self.sampler.set_epoch(position.epoch, start=position.step * self.samples_per_step)
        self.train_set.set_epoch(position.epoch)
        return iter(self.loader)

    def bn_batches(self, epoch: int) -> DataLoader[Item]:
        """PreciseBN's batches for the epoch."""
        self.bn_sampler.set_epoch(epoch)
        return self.bn_loader


def build_data(cfg: TrainConfig, info: DistInfo, workers: int) -> TrainingData:
    """The recipe's samples and loaders; refuses a shard too small for one optimizer step."""
    train_set, val_set, texts = build_datasets(
        cfg.dataset,
        cfg.root,
        cfg.split,
        cfg.val_split,
        cfg.sources,
        cfg.base_size,
        cfg.crop_size,
        cfg.seed,
        cfg.frame_step,
    )
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


def build_model(cfg: ModelConfig, info: DistInfo, run: RunOptions, *, pretrained: bool) -> RefVOS:
    """RefVOS on this process's device (channels-last on CUDA); `pretrained`: backbone weights and word
    vectors as `run` names them (a resumed run takes all its weights from the checkpoint)."""
    model = RefVOS(
        cfg,
        weights_backbone=run.weights_backbone if pretrained else None,
        glove=run.glove if pretrained else None,
    )
    model.to(info.device)
    if info.device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model


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


def poly_schedule(optimizer: torch.optim.Optimizer, total_steps: int, power: float) -> LambdaLR:
    """Learning rates times (1 - step / total_steps) ** power, 0 from total_steps on."""
    # a lambda, not a callable object: LambdaLR would save an object's attributes in its state dict
    return LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total_steps) ** power)


@dataclass
class Learner:
    """The network and what updates it: the state a checkpoint keeps besides the position and RNGs."""

    model: RefVOS  # the bare network: state dicts, PreciseBN, validation
    net: nn.Module  # what the training step calls (see `distribute`)
    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    scaler: torch.amp.GradScaler


# 3. resume and checkpoint


@dataclass
class Position:
    """Where training stands: the epoch (from 0), the optimizer steps done in it and in all epochs."""

    epoch: int = 0
    step: int = 0
    global_step: int = 0

    def advance(self) -> None:
        self.step += 1
        self.global_step += 1

    def next_epoch(self) -> None:
        self.epoch, self.step = self.epoch + 1, 0


def restore(learner: Learner, state: dict[str, Any], path: Path, info: DistInfo) -> Position:
    """Load the checkpoint's model, optimizer, scheduler, scaler and this process's RNG states; its position."""
    ckpt.load_model_state(learner.model, state["model"], path)
    learner.optimizer.load_state_dict(state["optimizer"])
    learner.scheduler.load_state_dict(state["scheduler"])
    learner.scaler.load_state_dict(state["scaler"])
    ckpt.set_rng_state(state["rng"][info.rank])
    position = Position(state["epoch"], state["step"], state["global_step"])
    log.info("resuming %s at epoch %d, step %d", path, position.epoch, position.step)
    return position


def write_checkpoint(
    path: Path, learner: Learner, position: Position, model_cfg: ModelConfig, train_cfg: TrainConfig, info: DistInfo
) -> None:
    """Save what `restore` loads, the configs and the backbone's origin; every process sends its RNG
    states, the main process writes, and all wait for the file."""
    rng = gather_objects(ckpt.rng_state(), info)
    if info.main:
        ckpt.save_checkpoint(
            path,
            {
                "model_config": config_to_dict(model_cfg),
                "train_config": config_to_dict(train_cfg),
                "model": learner.model.state_dict(),
                "optimizer": learner.optimizer.state_dict(),
                "scheduler": learner.scheduler.state_dict(),
                "scaler": learner.scaler.state_dict(),
                "epoch": position.epoch,
                "step": position.step,
                "global_step": position.global_step,
                "rng": rng,
                "world_size": info.world_size,
                "backbone_origin": learner.model.backbone_origin,
            },
        )
    barrier(info)


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
        position.advance()
        losses.append(loss)
        run_log.step(position, lr, loss)
        bar.set_postfix(loss=f"{loss:.4f}")
        if stop.step_done(info):
            break
    return losses


def optimizer_step(learner: Learner, batches: Iterator[Batch], cfg: TrainConfig, info: DistInfo) -> tuple[float, float]:
    """One optimizer step over `cfg.accumulate` batches, gradients synchronised across processes at the
    last; the learning rate it used and its loss, averaged over processes."""
    use_amp = info.device.type == "cuda"
    net = learner.net
    loss_sum = 0.0
    for micro in range(cfg.accumulate):
        images, targets, texts, _ = next(batches)
        images = images.to(info.device, non_blocking=True)
        targets = targets.to(info.device, non_blocking=True)
        if use_amp:
            images = images.contiguous(memory_format=torch.channels_last)
        last = micro == cfg.accumulate - 1
        sync = net.no_sync() if isinstance(net, DistributedDataParallel) and not last else nullcontext()
        with sync:
            with torch.autocast("cuda", dtype=torch.float16, enabled=use_amp):
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
def evaluate(model: nn.Module, loader: Iterable[Batch], info: DistInfo, progress: bool = False) -> tuple[float, float]:
    """(mean IoU, overall IoU) over the loader's samples, summed across processes.

    Pass the bare model, not its DistributedDataParallel wrapper: shards can differ in length,
    and the wrapper's forward broadcasts buffers, a collective every process must join.
    """
    model.eval()
    totals = torch.zeros(4, dtype=torch.float64)  # sum I, sum U, sum of per-sample IoU, samples
    amp = torch.autocast("cuda", dtype=torch.float16) if info.device.type == "cuda" else nullcontext()
    for images, targets, texts, _ in tqdm(loader, desc="validate", disable=not progress, leave=False):
        images, targets = images.to(info.device), targets.to(info.device)
        with amp:
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


class RunLog:
    """The run's records, kept by the main process (the others' calls do nothing).

    A resumed run (`resumed_at`: its checkpoint's global step) first drops the steps logged after
    its checkpoint, written between the save and a hard kill.
    """

    def __init__(self, out: Path, info: DistInfo, resumed_at: int | None) -> None:
        self.steps_path, self.epochs_path = out / "steps.csv", out / "epochs.csv"
        self.writer: SummaryWriter | None = None
        if not info.main:
            return
        if resumed_at is not None:
            _truncate_steps_log(self.steps_path, resumed_at)
        out.mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(out / "tensorboard"))

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()

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

    def epoch(
        self, position: Position, losses: list[float], mean_iou: float, overall_iou: float, seconds: float
    ) -> None:
        """After an epoch (`position` at the start of the next one); `losses`: its steps in this run."""
        if self.writer is None:
            return
        train_loss = sum(losses) / max(len(losses), 1)
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
