"""The paper's training recipes as named presets, with the authors' values (miriambellver/refvos).

Where the values come from (docs/refvos.md has the table, and every deviation with its reason):
- the README's "Training Details": SGD, momentum 0.9, weight decay 1e-6, batch size 7, crops of
  480 x 480; RefCOCO from 0.01 down 0.0004 an epoch to 3e-3, then from 6e-3 down 2.5e-4 an
  epoch to 1e-3 (a last stage at a fixed 3e-5 of unstated length is left to the user); DAVIS
  fine-tuning from 1e-3 down 1e-5 an epoch for 20 epochs; A2D from 0.1 down 0.004 for 15 epochs;
- train.py: the training transform (shorter side 416, random crop 480 with padding), validation
  at 520, BERT layers 0-9 in the optimizer at the vision rate (embeddings and layers 10-11 not
  updated), BERT never put in train mode (no dropout), multiplication of the features;
- the data loaders: at most 20 word pieces for RefCOCO and 10 for DAVIS and A2D, cut after
  [CLS] ... [SEP] is built; frames where the referent is absent kept; DAVIS from the
  first-frame REs of both annotators (annot1, annot2).

`resolve` builds the configs of a run: refcat's defaults, then the checkpoint's model (with
--init-from), then the preset, then the options the user gave; a fine-tuning run takes its
network from the checkpoint and may change only the options in `config.FINE_TUNABLE`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from refcat.errors import UsageError
from refcat.refvos_model.config import (
    FINE_TUNABLE,
    ModelConfig,
    TrainConfig,
    config_to_dict,
    differences,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preset:
    description: str
    model: dict[str, Any]
    train: dict[str, Any]
    fine_tunes: bool  # the recipe starts from a RefCOCO-pretrained model (--init-from)


_AUTHORS_READING = {"text_truncation": "cut", "text_dropout": False}
_AUTHORS_TRAINING: dict[str, Any] = {
    "base_size": 416,
    "val_base_size": 520,
    "crop_size": 480,
    "batch_size": 7,
    "optimizer": "sgd",
    "momentum": 0.9,
    "weight_decay": 1e-6,
    "lr_schedule": "linear",
    "text_layers": tuple(range(10)),
    "referent_weight": 1.0,
    "precise_bn": 0,
    "frame_step": 1,
}


def _fine_tuning(lr: float, decrease: float, epochs: int, **train: Any) -> dict[str, Any]:
    return {
        **_AUTHORS_TRAINING,
        "lr": lr,
        "text_lr": lr,
        "epochs": epochs,
        "lr_stages": ((epochs, lr, decrease),),
        "absent_frames": True,
        **train,
    }


PRESETS: dict[str, Preset] = {
    "refcoco-pretrain": Preset(
        "RefCOCO / RefCOCO+ training from ImageNet and BERT weights: 18 epochs from 0.01 down 0.0004 an "
        "epoch, then 21 from 6e-3 down 2.5e-4",
        model={
            "backbone": "resnet101",
            "fusion": "multiply",
            "text_encoder": "bert",
            "text_max_tokens": 20,
            "train_text_encoder": True,
            **_AUTHORS_READING,
        },
        train={
            **_AUTHORS_TRAINING,
            "lr": 0.01,
            "text_lr": 0.01,
            "epochs": 39,
            "lr_stages": ((18, 0.01, 4e-4), (21, 6e-3, 2.5e-4)),
        },
        fine_tunes=False,
    ),
    "davis-finetune": Preset(
        "DAVIS-2017 fine-tuning of a RefCOCO model, text encoder trained: 20 epochs from 1e-3 down 1e-5 an epoch",
        model={"text_max_tokens": 10, "train_text_encoder": True, **_AUTHORS_READING},
        train=_fine_tuning(1e-3, 1e-5, 20, sources=("annot1", "annot2")),
        fine_tunes=True,
    ),
    "davis-finetune-frozen-text": Preset(
        "DAVIS-2017 fine-tuning of a RefCOCO model with the text encoder frozen: 20 epochs from 1e-3 down 1e-5",
        model={"text_max_tokens": 10, "train_text_encoder": False, **_AUTHORS_READING},
        train=_fine_tuning(1e-3, 1e-5, 20, sources=("annot1", "annot2")),
        fine_tunes=True,
    ),
    "a2d-finetune": Preset(
        "A2D Sentences fine-tuning of a RefCOCO model: 15 epochs from 0.1 down 0.004 an epoch, validated on test",
        model={"text_max_tokens": 10, "train_text_encoder": True, **_AUTHORS_READING},
        train=_fine_tuning(0.1, 0.004, 15, val_split="test"),
        fine_tunes=True,
    ),
}


def resolve(
    preset: str | None,
    model_options: dict[str, Any],
    train_options: dict[str, Any],
    init_model: ModelConfig | None = None,
) -> tuple[ModelConfig, TrainConfig]:
    """The configs of a run: refcat's defaults < the --init-from checkpoint's network < the preset < the
    options given (`*_options`: only those the user set).

    With `init_model`, the preset's model values other than FINE_TUNABLE ones are not applied (the
    network is the checkpoint's), and a given option that would change the network is refused.
    """
    chosen = None
    if preset is not None:
        if preset not in PRESETS:
            raise UsageError(f"unknown preset {preset!r}", expected=" / ".join(PRESETS))
        chosen = PRESETS[preset]
        log.info("preset %s: %s", preset, chosen.description)
    model: dict[str, Any] = {} if init_model is None else config_to_dict(init_model)
    if chosen is not None:
        model.update({k: v for k, v in chosen.model.items() if init_model is None or k in FINE_TUNABLE})
        if chosen.fine_tunes and init_model is None:
            log.warning("preset %s fine-tunes a RefCOCO model: without --init-from it starts from scratch", preset)
    model.update(model_options)
    model_cfg = ModelConfig(**model)
    if init_model is not None:
        architecture = [k for k in config_to_dict(init_model) if k not in FINE_TUNABLE]
        diff = differences(
            {k: v for k, v in config_to_dict(init_model).items() if k in architecture},
            {k: v for k, v in config_to_dict(model_cfg).items() if k in architecture},
        )
        if diff:
            raise UsageError(
                "--init-from takes the network of its checkpoint; these options would change it: " + "; ".join(diff),
                expected="only " + ", ".join(FINE_TUNABLE) + " may differ",
            )
    train = {**(chosen.train if chosen is not None else {}), **train_options}
    return model_cfg, TrainConfig(**train)
