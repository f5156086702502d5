"""Distributed set-up for `refcat train`: one process, or N under torchrun.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; the process group uses NCCL on GPUs and
Gloo on CPUs. Only the main process logs below WARNING (`log_from_main_only`). Helpers reduce
sums, averages and flags and gather Python objects across processes (alone, they return their
input). Every process must call a helper at the same point: each is a collective.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist

from refcat.errors import UsageError

T = TypeVar("T")


@dataclass(frozen=True)
class DistInfo:
    """This process's place: rank (0 is the main process, the one that writes files), process count,
    rank on this machine, and the device it computes on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistInfo:
    """Read torchrun's environment, pick the device ("auto", "cpu", "cuda") and join the group."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda asked for but no CUDA device is available", expected="--device cpu")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda":
        torch.cuda.set_device(local_rank)
        dev = torch.device("cuda", local_rank)
    else:
        dev = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return DistInfo(rank, world_size, local_rank, dev)


def log_from_main_only(info: DistInfo) -> None:
    """On the other processes keep only warnings and errors, so that a torchrun run logs each line once."""
    if not info.main:
        logging.getLogger().setLevel(logging.WARNING)


def all_reduce_sum(values: torch.Tensor, info: DistInfo) -> torch.Tensor:
    """The element-wise sum of `values` over the processes, on the CPU."""
    if info.distributed:
        values = values.to(info.device) if info.device.type == "cuda" else values
        dist.all_reduce(values)
    return values.cpu()


def mean_over_processes(value: float, info: DistInfo) -> float:
    """`value` averaged over the processes (summed in float64)."""
    return float(all_reduce_sum(torch.tensor([value], dtype=torch.float64), info)[0]) / info.world_size


def any_process(flag: bool, info: DistInfo) -> bool:
    """True on every process when `flag` is true on at least one."""
    return bool(all_reduce_sum(torch.tensor([float(flag)]), info)[0] > 0)


def gather_objects(obj: T, info: DistInfo) -> list[T]:
    """Every process's `obj` (picklable), in rank order."""
    if not info.distributed:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out


def barrier(info: DistInfo) -> None:
    if info.distributed:
        dist.barrier()


def cleanup(info: DistInfo) -> None:
    if info.distributed and dist.is_initialized():
        dist.destroy_process_group()
