"""`refcat pretrain-text` starts from the model's own masked-LM head, says what it does for MiniLM (which
ships none), and refuses other models without one."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("torch")

import torch

from refcat.errors import UsageError
from refcat.refvos_model.pretrain_text import _masked_lm, pretrain_text
from refcat.refvos_model.text_encoders import minilm_tokenizer, tiny_bert_config

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # conftest.py


def test_minilm_head_is_said_to_be_new_with_a_tied_output_layer(caplog):
    with caplog.at_level(logging.WARNING, logger="refcat.refvos_model.pretrain_text"):
        _, model = _masked_lm("minilm")
    assert "MiniLM ships without a masked-LM head: its output layer is tied to the input word embeddings" in caplog.text
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight


def test_a_saved_head_is_the_starting_point(tmp_path, caplog):
    pretrain_text(["a dog", "the red car"], tmp_path / "mlm", model="tiny-bert", steps=2, batch_size=2, progress=False)
    from transformers import BertForMaskedLM

    saved = BertForMaskedLM.from_pretrained(tmp_path / "mlm", local_files_only=True)
    with caplog.at_level(logging.WARNING, logger="refcat.refvos_model.pretrain_text"):
        _, model = _masked_lm(str(tmp_path / "mlm"))
    assert "without a masked-LM head" not in caplog.text
    head, saved_head = model.cls.predictions, saved.cls.predictions
    assert torch.equal(head.transform.dense.weight, saved_head.transform.dense.weight)
    assert torch.equal(head.bias, saved_head.bias)


def test_other_models_without_a_head_are_refused(tmp_path):
    from transformers import BertModel

    minilm_tokenizer().save_pretrained(tmp_path / "encoder")
    BertModel(tiny_bert_config(30522)).save_pretrained(tmp_path / "encoder")
    with pytest.raises(UsageError, match="has no masked-LM head"):
        _masked_lm(str(tmp_path / "encoder"))
