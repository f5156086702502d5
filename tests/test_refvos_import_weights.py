"""`refcat import-weights`: a checkpoint with the authors' module names and shapes (miriambellver/refvos,
lib/deeplabv3_emb.py and train.py) becomes a refcat checkpoint whose network computes what theirs does.

The authors' network is written out below as their code builds it, on a small backbone
(MobileNetV3-Large instead of ResNet-101) and a tiny BERT (hidden 64, one head): the key names
of `classifier.*` and `bert_model` are theirs, and so is the forward pass, tokenization included.
"""

from __future__ import annotations

import argparse

import pytest

pytest.importorskip("torch")

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import mobilenet_v3_large
from torchvision.models._utils import IntermediateLayerGetter

from refcat.cli import main
from refcat.errors import FormatError, UsageError
from refcat.refvos_model.checkpoint import load_model
from refcat.refvos_model.import_weights import import_weights
from refcat.refvos_model.text_encoders import minilm_tokenizer

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py

MAX_TOKENS = 10  # the authors' DAVIS loader
TEXTS = ["the red square on the left", "a man in a long black coat walking his dog past the old church"]


def _conv_bn_relu(cin: int, cout: int, k: int, dilation: int = 1) -> nn.Sequential:
    padding = 0 if k == 1 else dilation
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=padding, dilation=dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU()
    )


class AuthorsASPP(nn.Module):
    """ASPP_v4 with --multiply_feats: five branches, their projection, the sentence projection, the product."""

    def __init__(self, cin: int, text_dim: int) -> None:
        super().__init__()
        pooling = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, 256, 1, bias=False), nn.BatchNorm2d(256))
        pooling.append(nn.ReLU())
        self.convs = nn.ModuleList([_conv_bn_relu(cin, 256, 1)] + [_conv_bn_relu(cin, 256, 3, r) for r in (12, 24, 36)])
        self.convs.append(pooling)
        self.embedding_project = nn.Sequential(nn.Linear(text_dim, 256), nn.BatchNorm1d(256))
        self.project = nn.Sequential(*_conv_bn_relu(5 * 256, 256, 1), nn.Dropout(0.5))
        self.project_final = nn.Sequential(*_conv_bn_relu(256, 256, 1), nn.Dropout(0.5))

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        branches = [conv(x) for conv in self.convs[:4]]
        branches.append(F.interpolate(self.convs[4](x), size=x.shape[-2:], mode="bilinear", align_corners=False))
        visual = self.project(torch.cat(branches, dim=1))
        text = self.embedding_project(embedding)[:, :, None, None].expand_as(visual)
        return self.project_final(visual * text)


class AuthorsHead(nn.Module):
    """DeepLabHeadEmb."""

    def __init__(self, cin: int, text_dim: int) -> None:
        super().__init__()
        self.aspp = AuthorsASPP(cin, text_dim)
        self.conv = nn.Conv2d(256, 256, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(256)
        self.relu = nn.ReLU()
        self.conv_2 = nn.Conv2d(256, 2, 1)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        return self.conv_2(self.relu(self.bn(self.conv(self.aspp(x, embedding)))))


class AuthorsModel(nn.Module):
    """DeepLabV3Emb without the auxiliary classifier: backbone, classifier, upsampling to the input."""

    def __init__(self, text_dim: int) -> None:
        super().__init__()
        features = mobilenet_v3_large(weights=None, dilated=True).features
        self.backbone = IntermediateLayerGetter(features, {"16": "out"})
        self.classifier = AuthorsHead(960, text_dim)

    def forward(self, images: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        out = self.classifier(self.backbone(images)["out"], embedding)
        return F.interpolate(out, size=images.shape[-2:], mode="bilinear", align_corners=False)


def authors_tokens(tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """data/davis2017.py: encode with [CLS] and [SEP], keep the first 10 ids, pad with 0, mask the padding."""
    ids = torch.zeros(len(texts), MAX_TOKENS, dtype=torch.long)
    mask = torch.zeros(len(texts), MAX_TOKENS, dtype=torch.long)
    for row, text in enumerate(texts):
        encoded = tokenizer.encode(text, add_special_tokens=True)[:MAX_TOKENS]
        ids[row, : len(encoded)] = torch.tensor(encoded)
        mask[row, : len(encoded)] = 1
    return ids, mask


def randomize_batch_norms(module: nn.Module) -> None:
    for bn in module.modules():
        if isinstance(bn, nn.modules.batchnorm._BatchNorm):
            bn.running_mean.normal_(0, 0.2)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.normal_(0, 0.2)


@pytest.fixture(scope="module")
def authors(tmp_path_factory):
    """(their network, their BERT, the .pth file): saved as their train.py saves `model_best_*.pth`."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    tokenizer = minilm_tokenizer()
    bert = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=1,
            intermediate_size=128,
            max_position_embeddings=64,
        )
    )  # with its pooler, as theirs
    network = AuthorsModel(text_dim=64)
    randomize_batch_norms(network)
    state = dict(network.state_dict())
    state["aux_classifier.0.weight"] = torch.zeros(1)  # their FCN head when --aux-loss: left out
    path = tmp_path_factory.mktemp("authors") / "model_best_davis.pth"
    torch.save(
        {
            "model": state,
            "bert_model": bert.state_dict(),
            "optimizer": {"state": {}, "param_groups": []},
            "epoch": 7,
            "args": argparse.Namespace(dataset="davis", multiply_feats=True, addition=False, base_size=520, lr=1e-3),
        },
        path,
    )
    return network.eval(), bert.eval(), tokenizer, path


def test_imported_network_computes_what_the_authors_code_does(authors, tmp_path, capsys):
    network, bert, tokenizer, path = authors
    out = tmp_path / "refvos.pt"
    assert main(["import-weights", str(path), "--output", str(out)]) == 0
    assert "mobilenet_v3_large, multiply fusion, BERT reading 10 word pieces" in capsys.readouterr().out

    model, data = load_model(out)
    assert data["model_config"]["text_truncation"] == "cut" and data["model_config"]["text_max_tokens"] == 10
    assert data["imported_from"]["epoch"] == 7 and data["imported_from"]["args"]["dataset"] == "davis"
    assert data["train_config"]["lr_stages"] == [(20, 1e-3, 1e-5)]  # the DAVIS recipe of the authors' README
    assert not any(k.startswith("text_encoder.model.pooler") for k in data["model"])

    torch.manual_seed(1)
    images = torch.randn(2, 3, 64, 80)
    ids, mask = authors_tokens(tokenizer, TEXTS)
    assert mask[1].all() and ids[1, -1] != tokenizer.sep_token_id  # the long RE lost its [SEP], as theirs do
    with torch.no_grad():
        expected = network(images, bert(ids, attention_mask=mask)[0][:, 0])
        got = model(images, TEXTS)
    assert got.shape == expected.shape == (2, 2, 64, 80)
    # the same operations on the same weights: equal to float rounding (keeping [SEP] instead differs by ~5e-5)
    assert torch.allclose(got, expected, rtol=0, atol=1e-6), (got - expected).abs().max()


def test_foreign_files_are_named(tmp_path):
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(FormatError, match=r"garbage\.pth: cannot read it"):
        import_weights(garbage, tmp_path / "out.pt")
    bilstm = tmp_path / "bilstm.pth"
    torch.save({"model": {}, "bilstm": {}, "fc_layer": {}}, bilstm)
    with pytest.raises(UsageError, match="BiLSTM baseline"):
        import_weights(bilstm, tmp_path / "out.pt")


def test_the_dataset_is_asked_for_when_the_file_does_not_say(authors, tmp_path):
    _, _, _, path = authors
    data = torch.load(path, weights_only=False)
    data.pop("args")
    bare = tmp_path / "bare.pth"
    torch.save(data, bare)
    with pytest.raises(UsageError, match="--dataset refcoco / refcoco\\+ / davis / a2d"):
        import_weights(bare, tmp_path / "out.pt")
    read = import_weights(bare, tmp_path / "out.pt", dataset="refcoco")
    assert read["model_config"]["text_max_tokens"] == 20 and read["args"] == {}
