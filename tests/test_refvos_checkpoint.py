"""RefVOS checkpoints: self-contained (the text encoder's files travel with them), resumable from a
dataset that moved, the true mean epoch loss across a resume, and the best checkpoint beside the last."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch")

import torch
from helpers.tiny_davis import N_FRAMES, SPLITS

from refcat.errors import UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model import text_encoders
from refcat.refvos_model.config import ModelConfig, TrainConfig
from refcat.refvos_model.predict import predict
from refcat.refvos_model.train import RunOptions, train

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py

TINY = dict(backbone="mobilenet_v3_large", text_encoder="tiny-bert")


def recipe(root, **kw) -> TrainConfig:
    base = dict(dataset="davis", root=str(root), val_split=None, base_size=24, crop_size=20, batch_size=4, epochs=1)
    return TrainConfig(**{**base, **kw})


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_predict_needs_only_the_checkpoint(tiny_davis, tmp_path, monkeypatch):
    """A BERT from a local folder: the folder deleted (and MiniLM's package gone), the checkpoint still predicts."""
    from transformers import BertModel

    folder = tmp_path / "my-bert"
    text_encoders.minilm_tokenizer().save_pretrained(folder)
    torch.manual_seed(0)
    BertModel(text_encoders.tiny_bert_config(30522), add_pooling_layer=False).save_pretrained(folder)
    out = tmp_path / "run"
    train(
        ModelConfig(backbone="mobilenet_v3_large", text_encoder="bert", text_model=str(folder)),
        recipe(tiny_davis),
        RunOptions(out=str(out), weights_backbone="none", progress=False, stop_after=1),
    )
    model, data = ckpt.load_model(out / "checkpoint.pt")
    assert set(data["text_encoder"]["tokenizer"]) >= {"tokenizer_config.json"}
    images = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        before = model(images, ["the red square", "a blue box at right"])

    shutil.rmtree(folder)

    def no_package() -> str:
        raise AssertionError("the MiniLM package was asked for")

    monkeypatch.setattr(text_encoders, "minilm_path", no_package)
    model, _ = ckpt.load_model(out / "checkpoint.pt")
    with torch.no_grad():
        assert torch.equal(model(images, ["the red square", "a blue box at right"]), before)
    result = predict(
        str(out / "checkpoint.pt"),
        "davis",
        str(tiny_davis),
        str(tmp_path / "pred"),
        split="val",
        sources=["annot1"],
        progress=False,
        device="cpu",
    )
    assert result["written"] == len(SPLITS["val"]) * 2 * N_FRAMES


def test_resume_from_a_moved_dataset_logs_the_true_epoch_loss(tiny_davis, tmp_path):
    """Stopped after 1 of 3 steps, the dataset moved, the run resumes there; epochs.csv's train_loss is the
    mean of the epoch's 3 step losses, equal to an uninterrupted run's."""
    first = tmp_path / "first"
    shutil.copytree(tiny_davis, first)
    full, parts = tmp_path / "full", tmp_path / "parts"
    run = dict(weights_backbone="none", progress=False)
    train(ModelConfig(**TINY), recipe(first, accumulate=2), RunOptions(out=str(full), **run))
    train(ModelConfig(**TINY), recipe(first, accumulate=2), RunOptions(out=str(parts), stop_after=1, **run))
    moved = tmp_path / "moved"
    first.rename(moved)
    train(ModelConfig(**TINY), recipe(moved, accumulate=2), RunOptions(out=str(parts), resume=True, **run))

    steps = [float(r["loss"]) for r in rows(full / "steps.csv")]
    assert len(steps) == 3 and [r["loss"] for r in rows(parts / "steps.csv")] == [repr(x) for x in steps]
    (epoch,) = rows(parts / "epochs.csv")
    assert epoch["train_loss"] == rows(full / "epochs.csv")[0]["train_loss"]
    assert float(epoch["train_loss"]) == pytest.approx(sum(steps) / 3, rel=1e-12)
    assert ckpt.load_checkpoint(parts / "checkpoint.pt")["train_config"]["root"] == str(moved)

    other = tmp_path / "other"
    shutil.copytree(moved, other)
    (other / "ImageSets" / "2017" / "train.txt").write_text("v0\nv1\nv2\n")
    with pytest.raises(UsageError, match=r"root: .*moved' -> .*other', and the data differ: train .*samples: 24 -> 18"):
        train(ModelConfig(**TINY), recipe(other, accumulate=2), RunOptions(out=str(parts), resume=True, **run))


def test_best_checkpoint_is_kept_beside_the_last(tiny_davis, tmp_path):
    out = tmp_path / "run"
    summary = train(
        ModelConfig(**TINY),
        recipe(tiny_davis, val_split="val", epochs=2, frame_step=2, lr=0.05, text_lr=0.05),
        RunOptions(out=str(out), weights_backbone="none", progress=False, best_metric="overall_iou"),
    )
    figures = [float(r["val_overall_iou"]) for r in rows(out / "epochs.csv")]
    last = ckpt.load_checkpoint(out / "checkpoint.pt")
    best = ckpt.load_checkpoint(out / "best.pt")
    assert last["best"] == {"metric": "overall_iou", "value": max(figures), "epoch": 1 + figures.index(max(figures))}
    assert best["epoch"] == last["best"]["epoch"] and last["epoch"] == 2
    assert summary["best"] == str(out / "best.pt")


def test_weights_only_checkpoints_are_not_resumed(tiny_davis, tmp_path):
    out = tmp_path / "run"
    ckpt.save_checkpoint(out / "checkpoint.pt", {"model_config": {}, "train_config": {}, "model": {}})
    with pytest.raises(UsageError, match=r"weights only.*--init-from"):
        train(ModelConfig(**TINY), recipe(tiny_davis), RunOptions(out=str(out), resume=True, progress=False))
