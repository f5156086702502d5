"""`refcat train`: the RefVOS training recipe, top to bottom (after torchvision's references/segmentation).

1. processes and devices (dist_utils), seeds
2. data: frame samples, sharded resumable sampler, loader
3. model: RefVOS (network.py), DistributedDataParallel when several processes
4. optimizer: SGD, momentum 0.9, weight decay (or AdamW, an option); the text encoder at its own learning rate;
   polynomial decay lr * (1 - step / total_steps) ** 0.9 (DeepLab, Chen et al. 2017)
5. loop: mixed precision and channels-last on CUDA only, gradient accumulation,
   per-step CSV log; at each epoch end, optionally recomputed BatchNorm statistics (PreciseBN),
   validation IoU and a checkpoint
6. interruption: SIGINT / SIGTERM (or --stop-after) finishes the current optimizer step, writes
   the checkpoint and stops; `--resume` restores model, optimizer, scheduler, scaler, the RNG
   states of every process and the position in the epoch, so the next loss is the one an
   uninterrupted run would have produced.

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
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
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
from refcat.refvos_model.data import ShardedSampler, build_datasets, collate
from refcat.refvos_model.dist_utils import (
    DistInfo,
    all_reduce_sum,
    barrier,
    cleanup,
    gather_objects,
    init_distributed,
)
from refcat.refvos_model.network import IGNORE_INDEX, RefVOS, segmentation_loss
from refcat.refvos_model.text_encoders import build_vocabulary, glove_dim

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
STEP_FIELDS = ["global_step", "epoch", "step", "lr", "loss"]
EPOCH_FIELDS = ["epoch", "global_step", "train_loss", "val_mean_iou", "val_overall_iou", "seconds"]


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


class StopRequest:
    """SIGINT / SIGTERM set a flag; the loop stops at the next optimizer-step boundary."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: rely on --stop-after
                pass
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:  # a second signal: stop now
            raise KeyboardInterrupt
        log.warning("signal %d: finishing the current step, then writing the checkpoint", signum)
        self.requested = True

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def iou_counts(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample intersection and union of the referent, ignoring pixels whose target is 255."""
    valid = targets != IGNORE_INDEX
    pred = (logits.argmax(1) == 1) & valid
    gt = (targets == 1) & valid
    return (pred & gt).flatten(1).sum(1), (pred | gt).flatten(1).sum(1)


@torch.no_grad()
def evaluate(model, loader, info: DistInfo, progress: bool = False) -> tuple[float, float]:
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
    return float(totals[2] / max(totals[3], 1)), float(totals[0] / max(totals[1], 1))


@torch.no_grad()
def recompute_bn_statistics(model, loader, n_batches: int, info: DistInfo) -> None:
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
            buf.copy_(all_reduce_sum(buf.detach().clone().cpu(), info).to(buf.device) / info.world_size)


def _append_csv(path: Path, fields: list[str], row: dict) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        if new:
            writer.writeheader()
        writer.writerow(row)


def _truncate_steps_log(path: Path, global_step: int) -> None:
    """Drop logged steps after the checkpoint (written after its save, before a hard kill)."""
    if not path.exists():
        return
    with open(path, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if int(r["global_step"]) <= global_step]
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=STEP_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, run: RunOptions) -> dict:
    """Train (or resume); returns a summary dict: steps, last losses, validation IoUs, interrupted."""
    # 1. processes, devices, seeds
    info = init_distributed(run.device)
    out = Path(run.out)
    checkpoint_path = out / CHECKPOINT
    if checkpoint_path.exists() and not run.resume:
        raise UsageError(f"{checkpoint_path} exists", expected="--resume to continue it, or another --out folder")
    state = None
    if run.resume:
        state = ckpt.load_checkpoint(checkpoint_path)
        diff = differences(state["train_config"], config_to_dict(train_cfg))
        if diff:
            raise UsageError(f"{checkpoint_path}: resuming with another training recipe: " + "; ".join(diff))
        derived = ("vocabulary", "word_dim")  # filled in from the data at the first run
        saved = {k: v for k, v in state["model_config"].items() if k not in derived}
        diff = differences(saved, {k: v for k, v in config_to_dict(model_cfg).items() if k not in derived})
        if diff:
            raise UsageError(f"{checkpoint_path}: checkpoint was trained with other model options: " + "; ".join(diff))
        model_cfg = ckpt.model_config_of(state, checkpoint_path)
        if state["world_size"] != info.world_size:
            raise UsageError(
                f"{checkpoint_path} was written by {state['world_size']} processes, not {info.world_size}",
                expected="the same number of processes to resume exactly",
            )
    torch.manual_seed(train_cfg.seed)

    # 2. data
    train_set, val_set, texts = build_datasets(
        train_cfg.dataset,
        train_cfg.root,
        train_cfg.split,
        train_cfg.val_split,
        train_cfg.sources,
        train_cfg.base_size,
        train_cfg.crop_size,
        train_cfg.seed,
        train_cfg.frame_step,
    )
    sampler = ShardedSampler(
        len(train_set), rank=info.rank, world_size=info.world_size, shuffle=True, seed=train_cfg.seed
    )
    batches_per_epoch = len(sampler) // train_cfg.batch_size
    steps_per_epoch = batches_per_epoch // train_cfg.accumulate
    if steps_per_epoch == 0:
        raise UsageError(
            f"{len(sampler)} training samples a process cannot fill one step of "
            f"{train_cfg.batch_size} x {train_cfg.accumulate}",
            expected="a smaller --batch-size or --accumulate",
        )
    loader_kwargs = dict(num_workers=run.workers, collate_fn=collate, pin_memory=info.device.type == "cuda")
    loader = DataLoader(
        train_set,
        batch_size=train_cfg.batch_size,
        sampler=sampler,
        drop_last=True,
        generator=torch.Generator().manual_seed(train_cfg.seed),
        **loader_kwargs,
    )
    bn_sampler = ShardedSampler(
        len(train_set), rank=info.rank, world_size=info.world_size, shuffle=True, seed=train_cfg.seed + 1
    )
    bn_loader = DataLoader(
        train_set,
        batch_size=train_cfg.batch_size,
        sampler=bn_sampler,
        drop_last=True,
        generator=torch.Generator().manual_seed(train_cfg.seed),
        **loader_kwargs,
    )
    val_loader = None
    if val_set is not None:
        val_sampler = ShardedSampler(len(val_set), rank=info.rank, world_size=info.world_size, shuffle=False)
        val_loader = DataLoader(val_set, batch_size=train_cfg.batch_size, sampler=val_sampler, **loader_kwargs)

    # 3. model
    if model_cfg.text_encoder == "bilstm" and not model_cfg.vocabulary:
        model_cfg.vocabulary = build_vocabulary(texts)
        if run.glove:
            model_cfg.word_dim = glove_dim(run.glove)
    model = RefVOS(
        model_cfg, weights_backbone=None if state else run.weights_backbone, glove=None if state else run.glove
    )
    model.to(info.device)
    if info.device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    net = model
    if info.distributed:
        net = DistributedDataParallel(model, device_ids=[info.local_rank] if info.device.type == "cuda" else None)

    # 4. optimizer and schedule
    text_params = [p for p in model.text_encoder.parameters() if p.requires_grad]
    text_ids = {id(p) for p in text_params}
    other_params = [p for p in model.parameters() if p.requires_grad and id(p) not in text_ids]
    groups = [{"params": other_params, "lr": train_cfg.lr}]
    if text_params:
        groups.append({"params": text_params, "lr": train_cfg.text_lr})
    if train_cfg.optimizer == "adamw":
        optimizer = torch.optim.AdamW(groups, weight_decay=train_cfg.weight_decay)
    else:
        optimizer = torch.optim.SGD(groups, momentum=train_cfg.momentum, weight_decay=train_cfg.weight_decay)
    total_steps = steps_per_epoch * train_cfg.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, 1 - step / total_steps) ** train_cfg.poly_power
    )
    use_amp = info.device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    start_epoch, start_step, global_step = 0, 0, 0
    if state is not None:
        ckpt.load_model_state(model, state["model"], checkpoint_path)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        start_epoch, start_step, global_step = state["epoch"], state["step"], state["global_step"]
        if info.main:
            _truncate_steps_log(out / "steps.csv", global_step)
        log.info("resuming %s at epoch %d, step %d", checkpoint_path, start_epoch, start_step)
    torch.manual_seed(train_cfg.seed + info.rank)  # dropout differs between processes

    def save(epoch: int, step: int) -> None:
        rng = gather_objects(ckpt.rng_state(), info)
        if info.main:
            ckpt.save_checkpoint(
                checkpoint_path,
                {
                    "model_config": config_to_dict(model_cfg),
                    "train_config": config_to_dict(train_cfg),
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "epoch": epoch,
                    "step": step,
                    "global_step": global_step,
                    "rng": rng,
                    "world_size": info.world_size,
                    "backbone_origin": model.backbone_origin,
                },
            )
        barrier(info)

    # 5. loop
    writer = None
    if info.main:
        out.mkdir(parents=True, exist_ok=True)
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(out / "tensorboard"))
    summary = {"losses": [], "val_mean_iou": None, "val_overall_iou": None, "interrupted": False}
    steps_this_run, stopping = 0, False
    net.train()
    try:
        with StopRequest() as stop:
            for epoch in range(start_epoch, train_cfg.epochs):
                began = time.perf_counter()
                first_step = start_step if epoch == start_epoch else 0
                sampler.set_epoch(epoch, start=first_step * train_cfg.accumulate * train_cfg.batch_size)
                train_set.set_epoch(epoch)
                batches = iter(loader)
                if state is not None and epoch == start_epoch:
                    ckpt.set_rng_state(state["rng"][info.rank])
                epoch_losses = []
                bar = tqdm(
                    range(first_step, steps_per_epoch),
                    desc=f"epoch {epoch + 1}/{train_cfg.epochs}",
                    disable=not (run.progress and info.main),
                )
                for step in bar:
                    loss_sum = 0.0
                    for micro in range(train_cfg.accumulate):
                        images, targets, texts_b, _ = next(batches)
                        images = images.to(info.device, non_blocking=True)
                        targets = targets.to(info.device, non_blocking=True)
                        if use_amp:
                            images = images.contiguous(memory_format=torch.channels_last)
                        last = micro == train_cfg.accumulate - 1
                        sync = nullcontext() if (last or not info.distributed) else net.no_sync()
                        with sync:
                            with torch.autocast("cuda", dtype=torch.float16, enabled=use_amp):
                                loss = segmentation_loss(net(images, texts_b), targets, train_cfg.referent_weight)
                                loss = loss / train_cfg.accumulate
                            scaler.scale(loss).backward()
                        loss_sum += loss.item()
                    scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
                    lr = scheduler.get_last_lr()[0]
                    scheduler.step()
                    global_step += 1
                    steps_this_run += 1
                    step_loss = (
                        float(all_reduce_sum(torch.tensor([loss_sum], dtype=torch.float64), info)[0]) / info.world_size
                    )
                    epoch_losses.append(step_loss)
                    summary["losses"].append(step_loss)
                    if info.main:
                        _append_csv(
                            out / "steps.csv",
                            STEP_FIELDS,
                            {
                                "global_step": global_step,
                                "epoch": epoch,
                                "step": step + 1,
                                "lr": repr(lr),
                                "loss": repr(step_loss),
                            },
                        )
                        writer.add_scalar("train/loss", step_loss, global_step)
                        writer.add_scalar("train/lr", lr, global_step)
                        bar.set_postfix(loss=f"{step_loss:.4f}")
                    stopping = stop.requested or (run.stop_after is not None and steps_this_run >= run.stop_after)
                    stopping = bool(all_reduce_sum(torch.tensor([float(stopping)]), info)[0] > 0)
                    if stopping and step + 1 < steps_per_epoch:
                        save(epoch, step + 1)
                        summary["interrupted"] = True
                        log.info("stopped at epoch %d step %d; checkpoint %s", epoch, step + 1, checkpoint_path)
                        return summary
                    if stopping:
                        break
                if train_cfg.precise_bn:
                    bn_sampler.set_epoch(epoch)
                    recompute_bn_statistics(model, bn_loader, train_cfg.precise_bn, info)
                mean_iou = overall_iou = float("nan")
                if val_loader is not None:
                    mean_iou, overall_iou = evaluate(model, val_loader, info, run.progress and info.main)
                    summary["val_mean_iou"], summary["val_overall_iou"] = mean_iou, overall_iou
                save(epoch + 1, 0)
                if info.main:
                    train_loss = sum(epoch_losses) / max(len(epoch_losses), 1)
                    _append_csv(
                        out / "epochs.csv",
                        EPOCH_FIELDS,
                        {
                            "epoch": epoch + 1,
                            "global_step": global_step,
                            "train_loss": repr(train_loss),
                            "val_mean_iou": repr(mean_iou),
                            "val_overall_iou": repr(overall_iou),
                            "seconds": f"{time.perf_counter() - began:.1f}",
                        },
                    )
                    writer.add_scalar("val/mean_iou", mean_iou, epoch + 1)
                    writer.add_scalar("val/overall_iou", overall_iou, epoch + 1)
                    log.info(
                        "epoch %d: train loss %.4f, val mean IoU %.4f, overall IoU %.4f",
                        epoch + 1,
                        train_loss,
                        mean_iou,
                        overall_iou,
                    )
                if stopping:
                    summary["interrupted"] = epoch + 1 < train_cfg.epochs
                    return summary
        return summary
    finally:
        summary["global_step"] = global_step
        if writer is not None:
            writer.close()
        cleanup(info)
