"""RefVOS network: shapes, the fusion, the loss with ignored pixels, text encoders, backbone weights."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("torch")

import torch

from refcat.errors import FormatError, UsageError
from refcat.refvos_model.config import ModelConfig
from refcat.refvos_model.network import Fusion, RefVOS, segmentation_loss
from refcat.refvos_model.text_encoders import BiLSTMEncoder, build_vocabulary, words

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py


@pytest.fixture(scope="module")
def mobilenet_model():
    torch.manual_seed(0)
    return RefVOS(ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert"), weights_backbone="none")


def test_output_is_two_class_logits_at_input_size(mobilenet_model):
    mobilenet_model.train()
    out = mobilenet_model(torch.randn(2, 3, 64, 80), ["the dog on the left", "a red car"])
    assert out.shape == (2, 2, 64, 80)


@pytest.mark.slow
def test_resnet50_output_stride_8_and_shapes():
    torch.manual_seed(0)
    model = RefVOS(ModelConfig(backbone="resnet50", text_encoder="tiny-bert"), weights_backbone="none").eval()
    images = torch.randn(1, 3, 64, 64)
    assert model.backbone(images)["out"].shape == (1, 2048, 8, 8)  # 64 / 8
    assert model(images, ["a man"]).shape == (1, 2, 64, 64)


def test_fusion_values():
    visual = torch.arange(2 * 3 * 2 * 2, dtype=torch.float).reshape(2, 3, 2, 2)
    text = torch.tensor([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
    mul = Fusion("multiply", 3)(visual, text)
    assert mul[0, 1, 1, 0].item() == visual[0, 1, 1, 0].item() * 2.0
    assert mul[1, 2].tolist() == (visual[1, 2] * 3.0).tolist()
    assert torch.count_nonzero(mul[0, 2]) == 0
    add = Fusion("add", 3)(visual, text)
    assert add[1, 1, 0, 1].item() == visual[1, 1, 0, 1].item() - 1.0
    cat = Fusion("concat", 3)(visual, text)
    assert cat.shape == (2, 6, 2, 2) and cat[1, 5].tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert Fusion("concat", 3).out_channels == 6


def test_zero_sentence_vector_zeroes_the_fused_features(mobilenet_model):
    """With multiplicative fusion, a zero projected sentence vector leaves nothing of the ASPP features."""
    seen = {}
    model = mobilenet_model.eval()
    h1 = model.text_projection.register_forward_hook(lambda m, i, o: torch.zeros_like(o))
    h2 = model.fusion.register_forward_hook(lambda m, i, o: seen.update(visual=i[0], fused=o))
    try:
        model(torch.randn(1, 3, 64, 64), ["anything"])
    finally:
        h1.remove()
        h2.remove()
    assert torch.count_nonzero(seen["visual"]) > 0
    assert torch.count_nonzero(seen["fused"]) == 0


def test_loss_ignores_255_pixels_hand_computed():
    # two pixels count: p(class 1) = 3/4 at a referent pixel, p(class 0) = 1/4 at a background one
    logits = torch.zeros(1, 2, 1, 3)
    logits[0, 1, 0, :] = math.log(3.0)
    target = torch.tensor([[[1, 0, 255]]])
    expected = (-math.log(3 / 4) - math.log(1 / 4)) / 2
    assert segmentation_loss(logits, target).item() == pytest.approx(expected, rel=1e-6)
    logits[0, 0, 0, 2] = 100.0  # the ignored pixel's logits change nothing
    assert segmentation_loss(logits, target).item() == pytest.approx(expected, rel=1e-6)


def test_referent_weight_is_a_weighted_mean_hand_computed():
    logits = torch.zeros(1, 2, 1, 3)
    logits[0, 1, 0, :] = math.log(3.0)
    target = torch.tensor([[[1, 0, 255]]])
    expected = (4 * -math.log(3 / 4) + 1 * -math.log(1 / 4)) / (4 + 1)
    assert segmentation_loss(logits, target, referent_weight=4.0).item() == pytest.approx(expected, rel=1e-6)


def test_bilstm_vocabulary_and_feature():
    texts = ["The dog, left", "the cat on the left"]
    assert words("The dog, left") == ["the", "dog", ",", "left"]
    vocab = build_vocabulary(texts)
    assert vocab[:2] == ("the", "left")  # counts 3 and 2
    torch.manual_seed(0)
    enc = BiLSTMEncoder(vocab, word_dim=8, hidden=5, max_tokens=20)
    ids, lengths = enc.encode(["the zebra", "left"])
    assert ids.tolist() == [[2, 1], [3, 0]] and lengths.tolist() == [2, 1]  # 0 pad, 1 unknown
    feats = enc(["the zebra", "left"])
    assert feats.shape == (2, 10)
    # padding must not change a sentence's feature
    assert torch.allclose(enc(["left"]), feats[1:], atol=1e-6)


def test_bilstm_glove_vectors(tmp_path):
    glove = tmp_path / "glove.txt"
    glove.write_text("dog 0.5 -1 2\nzebra 9 9 9\ncat 1 2 3\n")
    enc = BiLSTMEncoder(("cat", "dog", "left"), word_dim=3, hidden=4, max_tokens=20)
    assert enc.load_word_vectors(glove) == 2
    assert enc.embedding.weight[enc.index["dog"]].tolist() == [0.5, -1.0, 2.0]
    bad = tmp_path / "bad.txt"
    bad.write_text("cat 1 2\n")
    with pytest.raises(FormatError, match="line 1"):
        enc.load_word_vectors(bad)


def test_bilstm_model_needs_vocabulary():
    with pytest.raises(UsageError, match="vocabulary"):
        RefVOS(ModelConfig(backbone="mobilenet_v3_large", text_encoder="bilstm"), weights_backbone="none")


def test_minilm_cls_feature_is_offline_and_384_wide():
    from refcat.refvos_model.text_encoders import build_text_encoder

    enc = build_text_encoder(ModelConfig(text_encoder="minilm")).eval()
    with torch.no_grad():
        feats = enc(["a black swan", "the man in a red shirt on the left"])
    assert feats.shape == (2, 384)
    # the [CLS] vector: the same as running the encoder by hand and taking position 0
    tok = enc.tokenizer(["a black swan"], return_tensors="pt")
    with torch.no_grad():
        cls = enc.model(**tok).last_hidden_state[0, 0]
    assert torch.allclose(feats[0], cls, atol=1e-5)


def test_bert_from_missing_folder_names_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from refcat.errors import MissingDataError
    from refcat.refvos_model.text_encoders import build_text_encoder

    with pytest.raises(MissingDataError, match="no-such-model"):
        build_text_encoder(ModelConfig(text_encoder="bert", text_model="org/no-such-model"))


def test_backbone_weights_from_file_and_missing_torchvision_cache(tmp_path, monkeypatch, caplog):
    from torchvision.models import mobilenet_v3_large

    torch.manual_seed(1)
    reference = mobilenet_v3_large(weights=None)
    path = tmp_path / "mnv3.pth"
    torch.save(reference.state_dict(), path)
    model = RefVOS(ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert"), weights_backbone=str(path))
    first_conv = model.backbone["0"][0].weight
    assert torch.equal(first_conv, reference.features[0][0].weight)
    assert str(path) in model.backbone_origin

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty_cache"))
    import logging

    with caplog.at_level(logging.INFO, logger="refcat.refvos_model.network"):
        model = RefVOS(
            ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert"), weights_backbone="torchvision"
        )
    assert model.backbone_origin.startswith("random initialisation")
    assert "not in" in caplog.text

    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a state dict")
    with pytest.raises(FormatError, match=r"bad\.pth"):
        RefVOS(ModelConfig(backbone="mobilenet_v3_large", text_encoder="tiny-bert"), weights_backbone=str(bad))
