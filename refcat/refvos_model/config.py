"""The RefVOS configuration: what defines the network (ModelConfig) and how it is trained (TrainConfig).

Both are plain dataclasses saved into every checkpoint as dicts, so a checkpoint says how to
rebuild its own network and a resumed run can check that it continues the same recipe.
Defaults follow the paper (Bellver et al., RefVOS, section 3) and its released code:
DeepLabv3 ResNet-101 at output stride 8, ASPP rates 12/24/36, BERT [CLS] feature projected
to 256 and multiplied with the ASPP output, SGD momentum 0.9 with polynomial decay, crop 480.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from refcat.errors import FormatError, UsageError

BACKBONES = ("resnet101", "resnet50", "mobilenet_v3_large")
OPTIMIZERS = ("sgd", "adamw")
FUSIONS = ("multiply", "add", "concat")
TEXT_ENCODERS = ("bert", "minilm", "bilstm", "tiny-bert")


@dataclass
class ModelConfig:
    """Everything that decides the network's parameters and how it reads an input."""

    backbone: str = "resnet101"
    fusion: str = "multiply"
    text_encoder: str = "bert"
    text_model: str = "bert-base-uncased"  # bert: a local folder or a hub id; unused otherwise
    text_max_tokens: int = 20  # the released code truncates REs to 20 tokens
    train_text_encoder: bool = True
    aspp_rates: tuple[int, ...] = (12, 24, 36)
    fused_dim: int = 256
    word_dim: int = 300  # bilstm: word-vector size (taken from the GloVe file when one is given)
    lstm_hidden: int = 256  # bilstm: hidden size a direction; the sentence feature is twice this
    vocabulary: tuple[str, ...] = field(default_factory=tuple)  # bilstm: words built from training REs

    def __post_init__(self) -> None:
        self.aspp_rates = tuple(self.aspp_rates)
        self.vocabulary = tuple(self.vocabulary)
        for name, value, allowed in (
            ("backbone", self.backbone, BACKBONES),
            ("fusion", self.fusion, FUSIONS),
            ("text_encoder", self.text_encoder, TEXT_ENCODERS),
        ):
            if value not in allowed:
                raise UsageError(f"unknown {name} {value!r}", expected=" / ".join(allowed))


@dataclass
class TrainConfig:
    """The training recipe. A resumed run must use the same values (checked field by field)."""

    dataset: str = "davis"
    root: str = ""
    split: str = "train"
    sources: tuple[str, ...] = field(default_factory=tuple)  # RE sources to train on; empty = all
    val_split: str | None = "val"
    frame_step: int = 1  # use every k-th annotated frame of a video (train and validation); 1 = all
    base_size: int = 520  # shorter side after resizing (released code: RandomResize(520, 520))
    crop_size: int | None = 480  # random square crop; None keeps the whole resized frame
    batch_size: int = 8  # per process
    accumulate: int = 1  # optimizer step every `accumulate` batches
    epochs: int = 10
    optimizer: str = "sgd"  # the paper's; "adamw" (decoupled weight decay) moves faster from random weights
    lr: float = 0.01
    text_lr: float = 1e-5  # learning rate of the text encoder when it is trained
    momentum: float = 0.9  # SGD only
    weight_decay: float = 1e-4
    poly_power: float = 0.9
    referent_weight: float = 1.0  # loss weight of referent pixels; 1 = the paper's plain cross-entropy
    precise_bn: int = 0  # batches to recompute BatchNorm statistics on at each epoch end; 0 = keep the running ones
    seed: int = 0

    def __post_init__(self) -> None:
        self.sources = tuple(self.sources)
        if self.batch_size < 2:
            raise UsageError(
                f"batch size {self.batch_size} per process is too small: the batch norms of the text "
                "projection and of ASPP pooling need at least 2 samples",
                expected=">= 2",
            )
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(f"unknown optimizer {self.optimizer!r}", expected=" / ".join(OPTIMIZERS))
        if self.accumulate < 1 or self.epochs < 1 or self.frame_step < 1:
            raise UsageError("accumulate, epochs and frame step must be positive")


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
