"""Checkpoints: one file holding the configs, the model and, for training, everything to resume.

A checkpoint is self-contained: besides the weights it holds the text encoder's configuration
and tokenizer files ("text_encoder", `TextEncoder.portable`), so loading it needs neither the
model folder nor the package the text encoder came from. A training run also writes
"optimizer", "scheduler", "scaler", "rng", the position ("epoch", "step", "global_step",
"epoch_loss_sum"), "data_fingerprint" (`data.fingerprint`) and "best"; `refcat import-weights`
writes "imported_from" instead.

Writes are atomic (a temporary file in the same folder, then `os.replace`), so an interrupted
save never leaves a half-written checkpoint under the real name. Loading names the problem:
a truncated or corrupt file, a config that differs from the one asked for (option by option),
or a state dict whose keys or shapes do not fit the network.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from refcat.errors import FormatError, MissingDataError
from refcat.refvos_model.config import ModelConfig, config_from_dict

if TYPE_CHECKING:
    from refcat.refvos_model.network import RefVOS

log = logging.getLogger(__name__)

FORMAT = "refcat-refvos-checkpoint-1"


def save_checkpoint(path: str | Path, payload: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        torch.save({"format": FORMAT, **payload}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def copy_checkpoint(source: str | Path, target: str | Path) -> None:
    """Copy a checkpoint file, atomically as `save_checkpoint` writes."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def load_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise MissingDataError("checkpoint not found", path=path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # zip/pickle/EOF errors all mean the same thing to the user
        raise FormatError(
            f"checkpoint is truncated or corrupt ({type(exc).__name__}: {str(exc)[:200]})",
            path=path,
            expected="a file written by refcat train",
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FormatError("not a refcat RefVOS checkpoint", path=path, expected=f"format {FORMAT}")
    return data


def model_config_of(data: dict, path: str | Path) -> ModelConfig:
    return config_from_dict(ModelConfig, data["model_config"], where=str(path))


def load_model_state(model: nn.Module, state: dict, path: str | Path) -> None:
    """Load a state dict, naming missing / unexpected keys and shape mismatches instead of a traceback."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        parts = []
        for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", shapes)):
            if items:
                parts.append(f"{label} ({len(items)}): {', '.join(items[:5])}" + (" ..." if len(items) > 5 else ""))
        raise FormatError("checkpoint does not fit the network: " + "; ".join(parts), path=path)
    model.load_state_dict(state)


def rng_state() -> dict:
    """torch, numpy and Python RNG states as tensors and plain values (loadable with weights_only)."""
    np_state = np.random.get_state()
    assert isinstance(np_state, tuple)  # the legacy form of numpy's global MT19937 generator
    _, keys, pos, has_gauss, cached = np_state
    version, internal, gauss = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": pos,
            "has_gauss": has_gauss,
            "cached": cached,
        },
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def network_of(data: dict, path: str | Path) -> RefVOS:
    """The RefVOS network of loaded checkpoint contents, with its weights (on the CPU, train mode)."""
    from refcat.refvos_model.network import RefVOS

    model = RefVOS(model_config_of(data, path), text_saved=data.get("text_encoder"))
    load_model_state(model, data["model"], path)
    return model


def load_model(path: str | Path) -> tuple[RefVOS, dict]:
    """The trained RefVOS network of a checkpoint (on the CPU, eval mode) and the checkpoint's contents."""
    data = load_checkpoint(path)
    model = network_of(data, path)
    log.info("RefVOS weights from %s", path)
    return model.eval(), data
