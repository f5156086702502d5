"""RefVOS training: exact resume, checkpoint errors, and a 2-process torchrun run on CPU."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

import torch

from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model.config import ModelConfig, TrainConfig
from refcat.refvos_model.network import RefVOS
from refcat.refvos_model.train import RunOptions, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py

MODEL = dict(backbone="mobilenet_v3_large", text_encoder="tiny-bert")


def recipe(root, **kw) -> TrainConfig:
    base = dict(
        dataset="davis",
        root=str(root),
        base_size=24,
        crop_size=20,
        batch_size=4,
        accumulate=2,
        epochs=2,
        lr=0.02,
        text_lr=0.02,
        precise_bn=2,
    )
    return TrainConfig(**{**base, **kw})


def logged_losses(out: Path) -> list[tuple[str, str, str]]:
    with open(out / "steps.csv", newline="") as fh:
        return [(r["global_step"], r["lr"], r["loss"]) for r in csv.DictReader(fh)]


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_resume_continues_bit_exactly(tiny_davis, tmp_path, optimizer):
    """Stopped mid-epoch, at an epoch end and mid-epoch again, the run logs the same losses and
    ends with the same weights as one uninterrupted run (dropout, crops and RE choice included)."""
    full = tmp_path / "full"
    train(
        ModelConfig(**MODEL),
        recipe(tiny_davis, optimizer=optimizer),
        RunOptions(out=str(full), weights_backbone="none", progress=False),
    )
    moments = [s for s in ckpt.load_checkpoint(full / "checkpoint.pt")["optimizer"]["state"].values() if "exp_avg" in s]
    assert bool(moments) == (optimizer == "adamw")  # AdamW's moment estimates, SGD's momentum buffers only
    parts = tmp_path / "parts"
    for k, stop in enumerate((2, 2, None)):  # 3 steps an epoch: stops after step 2 and step 4
        summary = train(
            ModelConfig(**MODEL),
            recipe(tiny_davis, optimizer=optimizer),
            RunOptions(out=str(parts), weights_backbone="none", progress=False, resume=k > 0, stop_after=stop),
        )
        assert summary["interrupted"] == (stop is not None)
    expected = logged_losses(full)
    assert len(expected) == 6
    assert logged_losses(parts) == expected  # repr of every float: bit-exact
    a = ckpt.load_checkpoint(full / "checkpoint.pt")["model"]
    b = ckpt.load_checkpoint(parts / "checkpoint.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    with open(parts / "epochs.csv", newline="") as fh:
        assert [r["epoch"] for r in csv.DictReader(fh)] == ["1", "2"]


@pytest.fixture(scope="module")
def trained(tiny_davis, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("trained")
    train(
        ModelConfig(**MODEL),
        recipe(tiny_davis, epochs=1, accumulate=1),
        RunOptions(out=str(out), weights_backbone="none", progress=False, stop_after=1),
    )
    return out


def test_checkpoint_holds_configs_and_refuses_overwrite(trained, tiny_davis):
    data = ckpt.load_checkpoint(trained / "checkpoint.pt")
    assert data["model_config"]["backbone"] == "mobilenet_v3_large" and data["train_config"]["base_size"] == 24
    assert (data["epoch"], data["step"], data["global_step"]) == (0, 1, 1)
    with pytest.raises(UsageError, match="--resume"):
        train(
            ModelConfig(**MODEL),
            recipe(tiny_davis, epochs=1, accumulate=1),
            RunOptions(out=str(trained), weights_backbone="none", progress=False),
        )


def test_resume_with_other_options_names_them(trained, tiny_davis):
    run = RunOptions(out=str(trained), weights_backbone="none", progress=False, resume=True)
    with pytest.raises(UsageError, match=r"fusion: 'multiply' -> 'concat'"):
        train(ModelConfig(**MODEL, fusion="concat"), recipe(tiny_davis, epochs=1, accumulate=1), run)
    with pytest.raises(UsageError, match=r"lr: 0\.02 -> 0\.5"):
        train(ModelConfig(**MODEL), recipe(tiny_davis, epochs=1, accumulate=1, lr=0.5), run)
    with pytest.raises(UsageError, match=r"optimizer: 'sgd' -> 'adamw'"):
        train(ModelConfig(**MODEL), recipe(tiny_davis, optimizer="adamw"), run)
    with pytest.raises(UsageError, match=r"unknown optimizer 'adam'.*sgd / adamw"):
        recipe(tiny_davis, optimizer="adam")


def test_truncated_and_foreign_checkpoints(trained, tmp_path):
    blob = (trained / "checkpoint.pt").read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FormatError, match=r"cut\.pt: checkpoint is truncated or corrupt"):
        ckpt.load_checkpoint(cut)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(1)}, other)
    with pytest.raises(FormatError, match="not a refcat RefVOS checkpoint"):
        ckpt.load_checkpoint(other)
    with pytest.raises(MissingDataError):
        ckpt.load_checkpoint(tmp_path / "absent.pt")


def test_state_that_does_not_fit_names_the_keys(trained):
    data = ckpt.load_checkpoint(trained / "checkpoint.pt")
    model = RefVOS(ModelConfig(**MODEL, fusion="concat"), weights_backbone="none")
    with pytest.raises(
        FormatError, match=r"shape mismatches \(1\): head\.0\.0\.weight \(256, 256, 1, 1\) vs \(256, 512, 1, 1\)"
    ):
        ckpt.load_model_state(model, data["model"], "ck.pt")
    state = dict(data["model"])
    state.pop("aspp.project.0.weight")
    state["extra.weight"] = torch.zeros(1)
    model = RefVOS(ModelConfig(**MODEL), weights_backbone="none")
    with pytest.raises(
        FormatError, match=r"missing keys \(1\): aspp\.project\.0\.weight; unexpected keys \(1\): extra\.weight"
    ):
        ckpt.load_model_state(model, state, "ck.pt")


def test_precise_bn_averages_batch_statistics():
    from refcat.refvos_model.dist_utils import DistInfo
    from refcat.refvos_model.train import recompute_bn_statistics

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = torch.nn.BatchNorm2d(2, momentum=0.01)

        def forward(self, images, texts):
            return self.bn(images)

    net = Net()
    a = torch.tensor([1.0, 3.0]).reshape(2, 1, 1, 1).expand(2, 2, 1, 2).contiguous()  # channel values 1,1 / 3,3...
    b = torch.full((2, 2, 1, 2), 7.0)
    batches = [(a, None, ["x", "y"], None), (b, None, ["x", "y"], None), (b * 100, None, ["x", "y"], None)]
    recompute_bn_statistics(net, batches, 2, DistInfo(0, 1, 0, torch.device("cpu")))
    # batch means 2 and 7 -> 4.5; unbiased batch variances 4/3 (values 1,1,3,3) and 0 -> 2/3; the third batch unused
    assert net.bn.running_mean.tolist() == pytest.approx([4.5, 4.5])
    assert net.bn.running_var.tolist() == pytest.approx([2 / 3, 2 / 3])
    assert net.bn.momentum == 0.01


def test_atomic_save_leaves_no_temporary(tmp_path):
    ckpt.save_checkpoint(tmp_path / "c.pt", {"x": torch.ones(2)})
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    assert torch.equal(ckpt.load_checkpoint(tmp_path / "c.pt")["x"], torch.ones(2))


@pytest.mark.slow
def test_torchrun_two_processes_on_cpu(tiny_davis, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "refcat",
        "train",
        "--dataset",
        "davis",
        "--root",
        str(tiny_davis),
        "--backbone",
        "mobilenet_v3_large",
        "--text-encoder",
        "tiny-bert",
        "--weights-backbone",
        "none",
        "--base-size",
        "24",
        "--crop-size",
        "20",
        "--batch-size",
        "2",
        "--frame-step",
        "2",
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = ckpt.load_checkpoint(out / "checkpoint.pt")
    # 16 training samples (4 videos x 2 objects x frames 0, 2): 8 a process, 4 steps of 2
    assert data["world_size"] == 2 and data["global_step"] == 4 and (data["epoch"], data["step"]) == (1, 0)
    assert len(data["rng"]) == 2 and not torch.equal(data["rng"][0]["torch"], data["rng"][1]["torch"])
    assert len(logged_losses(out)) == 4  # one log, written by rank 0
    with open(out / "epochs.csv", newline="") as fh:
        (epoch,) = list(csv.DictReader(fh))
    assert 0.0 <= float(epoch["val_mean_iou"]) <= 1.0  # validation summed over both shards
