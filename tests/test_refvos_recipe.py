"""The paper's recipe in refcat: the presets hold the authors' values, fine-tuning from a checkpoint, the
authors' schedule, text-encoder groups, head dropout and fusion, precision, SyncBatchNorm, W&B, logging."""

from __future__ import annotations

import logging
import sys
import types

import pytest

pytest.importorskip("torch")

import torch

from refcat.cli import main
from refcat.datasets.records import ObjectRef
from refcat.errors import UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model.config import ModelConfig, TrainConfig
from refcat.refvos_model.data import a2dre_plus_instances, open_dataset, training_samples
from refcat.refvos_model.dist_utils import DistInfo, log_from_main_only
from refcat.refvos_model.network import Fusion, RefVOS
from refcat.refvos_model.presets import PRESETS, resolve
from refcat.refvos_model.text_encoders import BertEncoder, build_text_encoder, train_only_layers
from refcat.refvos_model.train import (
    RunOptions,
    autocast_dtype,
    build_optimizer,
    lr_schedule,
    sync_batch_norm,
    train,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py

TINY = dict(backbone="mobilenet_v3_large", text_encoder="tiny-bert")
CPU = torch.device("cpu")


def recipe(root, **kw) -> TrainConfig:
    base = dict(dataset="davis", root=str(root), val_split=None, base_size=24, crop_size=20, batch_size=4, epochs=1)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return RefVOS(ModelConfig(**TINY), weights_backbone="none")


@pytest.fixture(scope="module")
def pretrained(tiny_davis, tmp_path_factory):
    """A checkpoint to fine-tune: one step of the tiny model."""
    out = tmp_path_factory.mktemp("pretrained")
    train(
        ModelConfig(**TINY),
        recipe(tiny_davis),
        RunOptions(out=str(out), weights_backbone="none", progress=False, stop_after=1),
    )
    return out / "checkpoint.pt"


def test_presets_hold_the_authors_values():
    """The README's Training Details and train.py / data loaders of miriambellver/refvos."""
    for name, preset in PRESETS.items():
        train_cfg = TrainConfig(**preset.train)
        assert (train_cfg.base_size, train_cfg.val_base_size, train_cfg.crop_size) == (416, 520, 480), name
        assert (train_cfg.batch_size, train_cfg.optimizer, train_cfg.momentum) == (7, "sgd", 0.9), name
        assert train_cfg.weight_decay == 1e-6 and train_cfg.text_layers == tuple(range(10)), name
        assert train_cfg.text_lr == train_cfg.lr and train_cfg.lr_schedule == "linear", name
        assert preset.model["text_truncation"] == "cut" and preset.model["text_dropout"] is False, name
    refcoco = TrainConfig(**PRESETS["refcoco-pretrain"].train).epoch_rates()
    assert len(refcoco) == 39 and refcoco[0] == 0.01 and refcoco[17] == pytest.approx(0.0032)
    assert refcoco[18] == 6e-3 and refcoco[-1] == pytest.approx(1e-3)
    assert PRESETS["refcoco-pretrain"].model["text_max_tokens"] == 20
    davis = TrainConfig(**PRESETS["davis-finetune"].train)
    assert davis.epoch_rates()[0] == 1e-3 and davis.epoch_rates()[-1] == pytest.approx(1e-3 - 19 * 1e-5)
    assert davis.sources == ("annot1", "annot2") and davis.absent_frames
    a2d = TrainConfig(**PRESETS["a2d-finetune"].train)
    assert (a2d.epochs, a2d.lr, a2d.lr_stages) == (15, 0.1, ((15, 0.1, 0.004),)) and a2d.val_split == "test"
    for name in ("davis-finetune", "davis-finetune-frozen-text", "a2d-finetune"):
        assert PRESETS[name].model["text_max_tokens"] == 10 and PRESETS[name].fine_tunes
    assert PRESETS["davis-finetune-frozen-text"].model["train_text_encoder"] is False


def test_resolve_defaults_then_checkpoint_then_preset_then_options():
    model, train_cfg = resolve("davis-finetune", {"text_max_tokens": 12}, {"root": "r", "epochs": 20, "lr": 5e-4})
    assert model.text_max_tokens == 12 and model.text_encoder == "minilm"  # refcat's default: offline
    assert train_cfg.lr == 5e-4 and train_cfg.weight_decay == 1e-6 and train_cfg.root == "r"
    init = ModelConfig(**TINY)
    model, _ = resolve("refcoco-pretrain", {}, {}, init_model=init)
    assert (model.backbone, model.text_encoder, model.text_max_tokens) == ("mobilenet_v3_large", "tiny-bert", 20)
    with pytest.raises(UsageError, match=r"would change it: backbone: 'mobilenet_v3_large' -> 'resnet50'"):
        resolve(None, {"backbone": "resnet50"}, {}, init_model=init)
    with pytest.raises(UsageError, match="unknown preset"):
        resolve("coco", {}, {})


def test_bert_needs_a_model_named_and_minilm_is_the_default():
    assert ModelConfig().text_encoder == "minilm" and ModelConfig().text_model == ""
    with pytest.raises(UsageError, match="--text-model"):
        build_text_encoder(ModelConfig(text_encoder="bert"))


def test_linear_stages_give_a_rate_an_epoch():
    param = torch.nn.Parameter(torch.zeros(1))
    cfg = TrainConfig(lr=0.01, epochs=3, lr_schedule="linear", lr_stages=((2, 0.01, 0.004), (1, 0.003, 0.0)))
    optimizer = torch.optim.SGD([{"params": [param], "lr": 0.01}], momentum=0.9)
    scheduler = lr_schedule(optimizer, cfg, steps_per_epoch=2)
    rates = []
    for _ in range(6):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.01, 0.01, 0.006, 0.006, 0.003, 0.003])
    with pytest.raises(UsageError, match="cover 3 epochs, not the 4"):
        TrainConfig(epochs=4, lr_schedule="linear", lr_stages=((3, 0.01, 0.001),))
    with pytest.raises(UsageError, match="reach a rate <= 0"):
        TrainConfig(epochs=3, lr_schedule="linear", lr_stages=((3, 0.01, 0.005),))


def test_only_the_chosen_text_layers_train():
    model = RefVOS(ModelConfig(**TINY), weights_backbone="none")
    train_only_layers(model.text_encoder, (0,))
    trainable = {n for n, p in model.text_encoder.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("model.encoder.layer.0.") for n in trainable)
    optimizer = build_optimizer(model, TrainConfig(lr=0.01, text_lr=0.01))
    assert [g["lr"] for g in optimizer.param_groups] == [0.01, 0.01]
    text_group = {id(p) for p in optimizer.param_groups[1]["params"]}
    assert text_group == {id(p) for n, p in model.text_encoder.named_parameters() if n in trainable}
    with pytest.raises(UsageError, match="layers 0-1, not \\[5\\]"):
        train_only_layers(model.text_encoder, (5,))


def test_head_dropout_average_fusion_and_text_dropout(tiny_model):
    first = list(tiny_model.head[0])
    assert [type(m).__name__ for m in first] == ["Conv2d", "BatchNorm2d", "ReLU", "Dropout"] and first[3].p == 0.5
    assert not any(k.startswith("head.0.3") for k in tiny_model.state_dict())  # old checkpoints still fit
    visual, text = torch.full((1, 2, 1, 1), 3.0), torch.tensor([[1.0, -1.0]])
    assert Fusion("average", 2)(visual, text).flatten().tolist() == [2.0, 1.0]
    quiet = RefVOS(ModelConfig(**TINY, text_dropout=False), weights_backbone="none").train()
    assert quiet.training and not quiet.text_encoder.training and quiet.head.training


def test_cut_truncation_drops_sep_like_the_authors():
    encoder = build_text_encoder(ModelConfig(text_encoder="tiny-bert", text_max_tokens=6))
    assert isinstance(encoder, BertEncoder)
    long_re, short_re = "the man in a long black coat on the left", "a dog"
    keep = encoder.tokenize([long_re, short_re])
    encoder.truncation = "cut"
    cut = encoder.tokenize([long_re, short_re])
    sep = encoder.tokenizer.sep_token_id
    assert keep["input_ids"][0, -1] == sep and cut["input_ids"][0, -1] != sep
    assert torch.equal(keep["input_ids"][0, :5], cut["input_ids"][0, :5])
    assert torch.equal(keep["input_ids"][1], cut["input_ids"][1]) and cut["attention_mask"][1].sum() == 4


def test_absent_frames_train_on_every_annotated_frame():
    class Reader:
        dataset = "x"

        def objects(self, video_id):
            return [ObjectRef("x", video_id, 1, boxes={0: (0, 0, 1, 1), 2: (0, 0, 1, 1)})]

        def annotated_frames(self, video_id):
            return [0, 1, 2, 3]

    from refcat.datasets.records import Instance

    instances = [Instance("x", "v", 1, "s", "a dog")]
    assert [s.frame for s in training_samples(Reader(), instances)] == [0, 2]
    assert [s.frame for s in training_samples(Reader(), instances, absent_frames=True)] == [0, 1, 2, 3]


def test_a2dre_plus_variants_of_other_splits_are_skipped(tiny_davis, tmp_path, caplog):
    import pandas as pd

    from refcat.datasets.a2dre_plus import write_a2dre_plus

    rows = [
        ("location", "with", "v0", 1, "the red square on the left", 0),
        ("location", "without", "v0", 1, "the red square", 0),
        ("location", "with", "v4", 1, "the red square on the left", 1),
        ("location", "without", "v4", 1, "the red square", 1),
    ]
    write_a2dre_plus(
        pd.DataFrame(rows, columns=["category", "polarity", "video_id", "instance_id", "query", "row"]), tmp_path
    )
    with caplog.at_level(logging.INFO, logger="refcat.refvos_model.data"):
        kept = a2dre_plus_instances(str(tmp_path), open_dataset("davis", tiny_davis, "val"))
    assert {i.video_id for i in kept} == {"v4"} and len(kept) == 2
    assert "2 expressions of videos outside this split skipped" in caplog.text


def test_fine_tuning_takes_the_weights_and_a_new_schedule(pretrained, tiny_davis, tmp_path):
    """--init-from with the davis-finetune preset: the checkpoint's network, the preset's reading options,
    a fresh optimizer (step 0, the first rate of the stage); with lr 0 the weights stay the checkpoint's."""
    out = tmp_path / "fine"
    argv = ["train", "--dataset", "davis", "--root", str(tiny_davis), "--out-dir", str(out), "--no-progress"]
    argv += ["--init-from", str(pretrained), "--preset", "davis-finetune", "--text-layers", "0", "--val-split", "none"]
    argv += ["--base-size", "24", "--crop-size", "20", "--batch-size", "4", "--epochs", "1", "--lr-stages", "1:1e-3:0"]
    assert main([*argv, "--stop-after", "1"]) == 0
    data = ckpt.load_checkpoint(out / "checkpoint.pt")
    model_cfg, train_cfg = data["model_config"], data["train_config"]
    assert (model_cfg["backbone"], model_cfg["text_encoder"]) == ("mobilenet_v3_large", "tiny-bert")
    assert (model_cfg["text_max_tokens"], model_cfg["text_truncation"], model_cfg["text_dropout"]) == (10, "cut", False)
    assert train_cfg["weight_decay"] == 1e-6 and train_cfg["sources"] == ["annot1", "annot2"]
    assert train_cfg["text_layers"] == [0] and train_cfg["lr_stages"] == [(1, 1e-3, 0.0)]
    assert data["global_step"] == 1 and data["backbone_origin"].startswith(f"fine-tuned from {pretrained}")
    with open(out / "steps.csv") as fh:
        assert fh.read().splitlines()[1].split(",")[3] == "0.001"

    frozen = tmp_path / "frozen"
    train(
        ModelConfig(**TINY),
        recipe(tiny_davis, lr=0.0, text_lr=0.0, weight_decay=0.0),
        RunOptions(out=str(frozen), init_from=str(pretrained), progress=False, stop_after=1),
    )
    before = ckpt.load_checkpoint(pretrained)["model"]
    after = ckpt.load_checkpoint(frozen / "checkpoint.pt")["model"]
    assert all(torch.equal(before[k], after[k]) for k in before if k.endswith(("weight", "bias")))  # not BN buffers
    with pytest.raises(UsageError, match=r"network differs.*fusion: 'multiply' -> 'concat'"):
        train(
            ModelConfig(**TINY, fusion="concat"),
            recipe(tiny_davis),
            RunOptions(out=str(tmp_path / "x"), init_from=str(pretrained), progress=False),
        )
    resumed = train(  # the same command with --resume: the run's own checkpoint, not --init-from's
        ModelConfig(**TINY),
        recipe(tiny_davis, lr=0.0, text_lr=0.0, weight_decay=0.0),
        RunOptions(out=str(frozen), init_from=str(pretrained), resume=True, progress=False),
    )
    assert resumed["global_step"] == 6 and len(resumed["losses"]) == 5  # 24 samples, batches of 4


def test_precision_choices():
    assert autocast_dtype("auto", CPU) is None and autocast_dtype("fp32", CPU) is None
    assert autocast_dtype("bf16", CPU) is torch.bfloat16
    assert autocast_dtype("auto", torch.device("cuda")) is torch.float16  # what CUDA runs had before the option
    with pytest.raises(UsageError, match="fp16 mixed precision needs CUDA"):
        autocast_dtype("fp16", CPU)


def test_bf16_trains_on_the_cpu(tiny_davis, tmp_path):
    summary = train(
        ModelConfig(**TINY),
        recipe(tiny_davis, precision="bf16"),
        RunOptions(out=str(tmp_path / "bf16"), weights_backbone="none", progress=False, stop_after=1),
    )
    assert len(summary["losses"]) == 1 and 0 < summary["losses"][0] < 10


def test_sync_batch_norm_only_under_torchrun_on_cuda(tiny_model, caplog):
    with caplog.at_level(logging.INFO, logger="refcat.refvos_model.train"):
        assert sync_batch_norm(tiny_model, True, DistInfo(0, 1, 0, CPU)) is tiny_model
        assert sync_batch_norm(tiny_model, True, DistInfo(0, 2, 0, CPU)) is tiny_model
    assert "one process runs" in caplog.text and "not used on the CPU" in caplog.text
    model = RefVOS(ModelConfig(**TINY), weights_backbone="none")
    converted = sync_batch_norm(model, True, DistInfo(0, 2, 0, torch.device("cuda")))  # conversion needs no GPU
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in converted.modules())
    assert set(converted.state_dict()) == set(tiny_model.state_dict())


def test_only_the_main_process_logs_info():
    root = logging.getLogger()
    before = root.level
    try:
        root.setLevel(logging.INFO)
        log_from_main_only(DistInfo(0, 2, 0, CPU))
        assert root.level == logging.INFO
        log_from_main_only(DistInfo(1, 2, 0, CPU))
        assert root.level == logging.WARNING
    finally:
        root.setLevel(before)


def test_wandb_is_optional_and_offline_by_default(tiny_davis, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # not installed
    with pytest.raises(UsageError, match="pip install wandb"):
        train(ModelConfig(**TINY), recipe(tiny_davis), RunOptions(out=str(tmp_path / "a"), wandb="offline"))

    calls: list[tuple[str, object]] = []

    class Run:
        def log(self, figures, step):
            calls.append(("log", (sorted(figures), step)))

        def finish(self):
            calls.append(("finish", None))

    def init(**kwargs):
        calls.append(("init", kwargs))
        return Run()

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(init=init))
    from refcat.cli import build_parser

    args = build_parser().parse_args(["train", "--dataset", "davis", "--root", "r", "--out-dir", "o", "--wandb"])
    assert args.wandb == "offline"
    out = tmp_path / "b"
    train(
        ModelConfig(**TINY),
        recipe(tiny_davis, frame_step=3),
        RunOptions(out=str(out), weights_backbone="none", progress=False, wandb=args.wandb),
    )
    (kind, kwargs), *rest = calls
    assert kind == "init" and kwargs["mode"] == "offline" and kwargs["dir"] == str(out)
    assert kwargs["id"] == (out / "wandb-run-id").read_text().strip() and kwargs["config"]["model"]["fusion"]
    assert ("log", (["train/loss", "train/lr"], 1)) in rest and rest[-1] == ("finish", None)
