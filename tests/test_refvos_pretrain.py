"""`refcat pretrain-text`: masked-LM fine-tuning lowers the loss and saves a loadable text encoder."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch
from helpers.tiny_davis import REs

from refcat.refvos_model.config import ModelConfig
from refcat.refvos_model.pretrain_text import pretrain_text, read_texts
from refcat.refvos_model.text_encoders import build_text_encoder

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py


def test_mlm_finetuning_learns_and_saves_an_encoder(tmp_path):
    texts = list(REs.values()) + ["the dog on the left", "a man riding a horse", "the car in the back"]
    losses = pretrain_text(
        texts, tmp_path / "enc", model="tiny-bert", steps=40, batch_size=8, lr=3e-3, mlm_probability=0.3, progress=False
    )
    assert len(losses) == 40
    assert sum(losses[-8:]) / 8 < 0.8 * sum(losses[:8]) / 8
    encoder = build_text_encoder(ModelConfig(text_encoder="bert", text_model=str(tmp_path / "enc"))).eval()
    assert encoder.out_dim == 32
    with torch.no_grad():
        assert encoder(["the red square on the left"]).shape == (1, 32)
    # the saved encoder carries the fine-tuned weights, not a fresh initialisation
    from transformers import BertForMaskedLM

    saved = BertForMaskedLM.from_pretrained(tmp_path / "enc", local_files_only=True)
    assert torch.equal(encoder.model.embeddings.word_embeddings.weight, saved.bert.embeddings.word_embeddings.weight)


def test_read_texts_skips_blank_lines(tmp_path):
    path = tmp_path / "res.txt"
    path.write_text("a dog\n\n  the man  \n")
    assert read_texts(path) == ["a dog", "the man"]
