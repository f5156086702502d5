"""The RefVOS network (Bellver et al., section 3; the authors' code is built on torchvision's DeepLabv3).

image -> backbone -> ASPP (256 channels) ----------+
                                                   +-> fusion -> 1x1 conv, dropout 0.5 -> 3x3 conv -> 1x1 conv
RE -> text encoder -> Linear + BatchNorm1d (256) --+      (2 classes) -> bilinear upsampling to the input size

The "diff" variant (ModelConfig.temporal, docs/refvos.md "Seeing time") takes six input channels:
the frame, then its difference from an earlier frame (both ImageNet-normalised). Only the
backbone's first convolution changes: three more input channels whose weights start at zero, so
the variant starts as the RefVOS whose other weights it shares, and plain RefVOS is built as before.

Backbones: ResNet-101 / ResNet-50 dilated to output stride 8 (replace_stride_with_dilation
[False, True, True]), or MobileNetV3-Large dilated to output stride 16 (torchvision's choice
for its DeepLabv3 variant), or "diagnostic_cnn": a plain CNN of seven 3x3 convolutions at output
stride 8 (three stride-2 convolutions, then dilations 2 and 4 in place of further striding, as
DeepLab keeps resolution), 128 channels, no ImageNet weights. It is for CPU diagnostics only
(benchmarks/bench_temporal_diagnostic.py): about 0.4 M parameters, so a network trained from random
weights learns to segment the synthetic diagnostic in minutes; it is not a model for real video.

Fusion: element-wise multiply (the paper's), add, average (the authors' addition,
(visual + text) / 2), or concat.

The modules match the authors' lib/deeplabv3_emb.py parameter for parameter (their
`classifier.aspp.convs` / `.project` are `aspp`, `.embedding_project` is `text_projection`,
`.project_final` is `head.0`, `classifier.conv` / `.bn` are `head.1`, `.conv_2` is `head.2`),
which is how `refcat import-weights` reads their checkpoints.

Nothing here downloads: torchvision constructors get weights=None and backbone weights are
loaded from a local file or from torchvision's cache when the user already has them.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision import models
from torchvision.models._utils import IntermediateLayerGetter
from torchvision.models.segmentation.deeplabv3 import ASPP

from refcat.errors import FormatError, MissingDataError
from refcat.refvos_model.config import ModelConfig
from refcat.refvos_model.text_encoders import build_text_encoder

log = logging.getLogger(__name__)

IGNORE_INDEX = 255
_TORCHVISION_WEIGHTS = {
    "resnet101": models.ResNet101_Weights.IMAGENET1K_V1,
    "resnet50": models.ResNet50_Weights.IMAGENET1K_V1,
    "mobilenet_v3_large": models.MobileNet_V3_Large_Weights.IMAGENET1K_V1,
}


DIAGNOSTIC_CNN = (
    (3, 32, 2, 1),
    (32, 32, 1, 1),
    (32, 64, 2, 1),
    (64, 64, 1, 1),
    (64, 128, 2, 1),
    (128, 128, 1, 2),
    (128, 128, 1, 4),
)
"""The diagnostic CNN's 3x3 convolutions: (in channels, out channels, stride, dilation), each followed by
BatchNorm and ReLU. Output stride 8, 128 channels."""


class DiagnosticCNN(nn.Module):
    """The "diagnostic_cnn" backbone (module docstring): returns {"out": (B, 128, H/8, W/8) features}."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *(
                nn.Sequential(
                    nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.ReLU(),
                )
                for cin, cout, stride, dilation in DIAGNOSTIC_CNN
            )
        )

    def forward(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"out": self.layers(images)}


def _classifier_network(name: str) -> nn.Module:
    if name == "mobilenet_v3_large":
        return models.mobilenet_v3_large(weights=None, dilated=True)
    constructor = models.resnet101 if name == "resnet101" else models.resnet50
    return constructor(weights=None, replace_stride_with_dilation=[False, True, True])


def _backbone_state(name: str, weights: str | None) -> tuple[dict | None, str]:
    """The ImageNet state dict to start from and a description of where it came from.

    `weights`: a file path, "torchvision" (torchvision's ImageNet weights if already in its
    cache, else random), "none" (random), or None (none: the caller loads a checkpoint's weights).
    """
    if weights is None:
        return None, "none (the network's weights come from a checkpoint)"
    if weights in ("", "none"):
        return None, "random initialisation (asked for)"
    if weights == "torchvision":
        if name not in _TORCHVISION_WEIGHTS:
            return None, f"random initialisation: torchvision has no ImageNet weights for {name}"
        url = _TORCHVISION_WEIGHTS[name].url
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)
        if not cached.exists():
            return None, f"random initialisation: torchvision's {name} ImageNet weights are not in {cached.parent}"
        path = cached
    else:
        path = Path(weights).expanduser()
        if not path.exists():
            raise MissingDataError("backbone weights file not found", path=path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, EOFError, UnpicklingError... for bad files
        raise FormatError(f"cannot read backbone weights: {exc}", path=path, expected="a torch state dict") from exc
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return state, f"ImageNet weights from {path}"


def build_backbone(name: str, weights: str | None) -> tuple[nn.Module, int, str]:
    """(module returning {"out": features}, feature channels, where its weights came from)."""
    net = DiagnosticCNN() if name == "diagnostic_cnn" else _classifier_network(name)
    state, origin = _backbone_state(name, weights)
    if state is not None:
        missing, unexpected = net.load_state_dict(state, strict=False)
        wanted_missing = [k for k in missing if not k.startswith(("fc.", "classifier."))]
        if wanted_missing or len(unexpected) == len(state):
            raise FormatError(
                f"backbone weights do not fit {name}: missing {wanted_missing[:5]}, unexpected {unexpected[:5]}",
                path=origin,
            )
    if isinstance(net, DiagnosticCNN):
        return net, DIAGNOSTIC_CNN[-1][1], origin
    if name == "mobilenet_v3_large":
        features = net.get_submodule("features")
        last = str(len(list(features.children())) - 1)  # the final 1x1 convolution block
        channels = [m for m in features.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
        return IntermediateLayerGetter(features, {last: "out"}), channels, origin
    return IntermediateLayerGetter(net, {"layer4": "out"}), 2048, origin


def widen_first_convolution(backbone: nn.Module, extra: int) -> None:
    """Give the backbone's first convolution `extra` more input channels after its own, with zero weights
    (so its output is unchanged whatever those channels hold, until training moves them). Draws no random
    numbers: the modules built after it get the same initial weights as in plain RefVOS."""
    name, conv = next((n, m) for n, m in backbone.named_modules() if isinstance(m, nn.Conv2d))
    wider = copy.deepcopy(conv)
    weight = conv.weight.detach()
    zeros = weight.new_zeros(weight.shape[0], extra, *weight.shape[2:])
    wider.weight = nn.Parameter(torch.cat([weight, zeros], dim=1))
    wider.in_channels = conv.in_channels + extra
    parent, _, attribute = name.rpartition(".")
    setattr(backbone.get_submodule(parent), attribute, wider)


class Fusion(nn.Module):
    """Combine visual features (B, C, H, W) with a sentence vector (B, C)."""

    def __init__(self, mode: str, channels: int) -> None:
        super().__init__()
        self.mode = mode
        self.out_channels = 2 * channels if mode == "concat" else channels

    def forward(self, visual: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        t = text[:, :, None, None].to(visual.dtype)
        if self.mode == "multiply":
            return visual * t
        if self.mode == "add":
            return visual + t
        if self.mode == "average":
            return (visual + t) / 2
        return torch.cat([visual, t.expand_as(visual)], dim=1)


def _conv_bn_relu(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class RefVOS(nn.Module):
    """The network of a ModelConfig.

    weights_backbone: the backbone's ImageNet weights (see `_backbone_state`; said in the log), or None
    when the caller loads the whole network's weights from a checkpoint. text_saved: a checkpoint's
    text-encoder entry (`TextEncoder.portable`), which rebuilds the encoder without its original files.
    """

    def __init__(
        self,
        config: ModelConfig,
        *,
        weights_backbone: str | None = None,
        glove: str | None = None,
        text_saved: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.backbone, channels, self.backbone_origin = build_backbone(config.backbone, weights_backbone)
        if weights_backbone is not None:
            log.info("backbone %s: %s", config.backbone, self.backbone_origin)
        if config.temporal == "diff":
            widen_first_convolution(self.backbone, 3)
        self.aspp = ASPP(channels, list(config.aspp_rates), config.fused_dim)
        self.text_encoder = build_text_encoder(config, glove, text_saved)
        if not config.train_text_encoder:
            self.text_encoder.requires_grad_(False)
        self.text_projection = nn.Sequential(
            nn.Linear(self.text_encoder.out_dim, config.fused_dim), nn.BatchNorm1d(config.fused_dim)
        )
        self.fusion = Fusion(config.fusion, config.fused_dim)
        self.head = nn.Sequential(
            nn.Sequential(*_conv_bn_relu(self.fusion.out_channels, config.fused_dim, 1), nn.Dropout(0.5)),
            _conv_bn_relu(config.fused_dim, config.fused_dim, 3),
            nn.Conv2d(config.fused_dim, 2, 1),
        )

    def train(self, mode: bool = True) -> RefVOS:
        """A frozen text encoder (a fixed feature extractor), or one whose dropout is off
        (`text_dropout` False), stays in eval mode."""
        super().train(mode)
        if not (self.config.train_text_encoder and self.config.text_dropout):
            self.text_encoder.eval()
        return self

    def forward(self, images: torch.Tensor, texts: list[str]) -> torch.Tensor:
        """Logits (B, 2, H, W) at the input's size; class 1 is the referent. `images` (B, 3, H, W), or
        (B, 6, H, W) for the "diff" variant: the frames, then their differences from the earlier frames."""
        visual = self.aspp(self.backbone(images)["out"])
        if self.config.train_text_encoder:
            sentence = self.text_encoder(texts)
        else:
            with torch.no_grad():
                sentence = self.text_encoder(texts)
        text = self.text_projection(sentence.float())
        logits = self.head(self.fusion(visual, text))
        return F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, referent_weight: float = 1.0) -> torch.Tensor:
    """Pixel-wise cross-entropy over pixels whose target is not 255 (void / padding).

    `referent_weight` w weighs referent pixels: the loss is sum(w_i * CE_i) / sum(w_i) over
    counted pixels (PyTorch's weighted mean). w = 1, a plain mean, is the paper's loss.
    """
    weight = None
    if referent_weight != 1.0:
        weight = torch.tensor([1.0, referent_weight], device=logits.device, dtype=logits.dtype)
    return F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE_INDEX)
