"""`refcat predict`: RefVOS masks for every expression and annotated frame, then the per-sample table.

Masks go to the expression layout of the shared contract,
`OUT/<video_id>/<object_id>/<source>/<frame:05d>.png` (mode L, 255 = referent, 0 elsewhere),
at each frame's original size: logits are computed at the checkpoint's `base_size`
(shorter side) and upsampled bilinearly before the argmax. Frames where the referent is
absent are predicted too, so the table can score false positives. A run resumes: masks
already on disk are kept. The checkpoint's model config says how frames are read: a "diff"
checkpoint (docs/refvos.md, "Seeing time") gets each frame with its earlier frame, from any
reader. The per-sample table comes from `refcat.analysis.per_sample`.

Beside OUT, `OUT_combined/<source>/<video_id>/<frame:05d>.png` holds the combined label maps of
each expression source (mode L, pixel value = object id, 0 elsewhere; where two objects' masks
overlap the larger id is kept): the results layout the official DAVIS toolkit reads
(`evaluation_method.py --results_path OUT_combined/annot1`), and `refcat evaluate --protocol
davis17-semi --pred OUT_combined/annot1`. They are rewritten from the masks on every run, and
only written when every object id is 1..255 (DAVIS and the demo; A2D's instance ids start at 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import NotRequired, TypedDict

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader
from tqdm import tqdm

from refcat.datasets.records import DatasetReader, Instance, parse_instance_key
from refcat.refvos_model.checkpoint import load_model
from refcat.refvos_model.data import (
    ReferringFrames,
    a2dre_plus_instances,
    collate,
    evaluation_samples,
    open_dataset,
    resized_size,
    select_instances,
)
from refcat.refvos_model.dist_utils import init_distributed, log_from_main_only
from refcat.refvos_model.network import RefVOS

CPU = torch.device("cpu")


class PredictResult(TypedDict):
    """What `predict` returns."""

    instances: int  # expressions predicted
    written: int  # masks written by this run
    kept: int  # masks already on disk
    table: str | None  # the per-sample table's path, when one was asked for
    combined: list[str]  # the folders of combined label maps, one a source (`write_combined`)
    mean_J: NotRequired[float]  # with a table: mean J over the frames that show the referent


def referent_mask(logits: torch.Tensor, frame_size: tuple[int, int], base_size: int) -> np.ndarray:
    """One item's logits (2, H', W') of a padded batch -> the referent mask (bool) at the frame's (h, w):
    the padding is cut off, the rest upsampled bilinearly, then the arg-max taken."""
    h, w = frame_size
    rh, rw = resized_size(h, w, base_size)
    full = F.interpolate(logits[None, :, :rh, :rw], size=(h, w), mode="bilinear", align_corners=False)
    return (full[0].argmax(0) == 1).cpu().numpy()


def mask_path(out: str | Path, instance_key: str, frame: int) -> Path:
    _, video_id, object_id, source = parse_instance_key(instance_key)
    return Path(out) / video_id / str(object_id) / source / f"{frame:05d}.png"


def combined_dir(out: str | Path, source: str) -> Path:
    """The folder of `source`'s combined label maps: `OUT_combined/<source>` beside OUT."""
    out = Path(out)
    return out.with_name(f"{out.name}_combined") / source


def _save_png(array: np.ndarray, path: Path) -> None:
    """`array` as a mode L PNG at `path`, atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(array, mode="L").save(tmp, format="PNG")
    tmp.replace(path)


def write_combined(
    out: str | Path, reader: DatasetReader, instances: list[Instance], *, progress: bool = True
) -> list[Path]:
    """The combined label maps of each source from the masks under `out` (see the module docstring);
    returns the folders written, none when an object id is outside 1..255."""
    if any(not 1 <= inst.object_id <= 255 for inst in instances):
        return []
    frames: dict[tuple[str, str, int], list[Instance]] = {}
    by_key = {inst.key: inst for inst in instances}
    for sample in evaluation_samples(reader, instances, present_only=False):
        inst = by_key[sample.instance_key]
        frames.setdefault((inst.source, inst.video_id, sample.frame), []).append(inst)
    for (source, video_id, frame), group in tqdm(frames.items(), desc="combined maps", disable=not progress):
        labels: np.ndarray | None = None
        for inst in sorted(group, key=lambda i: i.object_id):
            mask = np.array(Image.open(mask_path(out, inst.key, frame))) > 0
            labels = np.zeros(mask.shape, dtype=np.uint8) if labels is None else labels
            labels[mask] = inst.object_id
        if labels is not None:
            _save_png(labels, combined_dir(out, source) / video_id / f"{frame:05d}.png")
    return sorted({combined_dir(out, source) for source, _, _ in frames})


def write_masks(
    model: RefVOS,
    reader: DatasetReader,
    instances: list[Instance],
    out: str | Path,
    *,
    base_size: int,
    batch_size: int = 4,
    device: torch.device = CPU,
    workers: int = 0,
    progress: bool = True,
) -> tuple[int, int]:
    """Predict and write the missing masks; returns (written, already there). The frames are read as the
    model's config says (with their earlier frames for the "diff" variant)."""
    samples = evaluation_samples(reader, instances, present_only=False)
    todo = [s for s in samples if not mask_path(out, s.instance_key, s.frame).exists()]
    if not todo:
        return 0, len(samples)
    sizes = {v.video_id: (v.height, v.width) for v in reader.videos()}
    dataset = ReferringFrames(reader, todo, base_size, train=False, previous_gap=model.config.previous_gap)
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers, collate_fn=collate)
    amp = torch.autocast("cuda", dtype=torch.float16) if device.type == "cuda" else nullcontext()
    model.to(device).eval()
    with torch.no_grad():
        for images, _, texts, indices in tqdm(loader, desc="predict", disable=not progress):
            with amp:
                logits = model(images.to(device), texts).float()
            for k, index in enumerate(indices.tolist()):
                s = todo[index]
                mask = referent_mask(logits[k], sizes[s.video_id], base_size).astype(np.uint8) * 255
                _save_png(mask, mask_path(out, s.instance_key, s.frame))
    return len(todo), len(samples) - len(todo)


def predict(
    checkpoint: str,
    dataset: str,
    root: str,
    out: str,
    *,
    split: str | None = None,
    sources: Sequence[str] = (),
    a2dre_plus: str | None = None,
    categories: Sequence[str] = (),
    polarities: Sequence[str] = (),
    base_size: int | None = None,
    batch_size: int = 4,
    device: str = "auto",
    workers: int = 0,
    table: str | None = None,
    progress: bool = True,
) -> PredictResult:
    """Masks for a dataset split (or A2Dre+ variants over an A2D reader) and, if `table` is given, the
    per-sample table."""
    info = init_distributed(device)
    log_from_main_only(info)
    model, data = load_model(checkpoint)
    base_size = base_size or data["train_config"]["base_size"]
    reader = open_dataset(dataset, root, split)
    if a2dre_plus:
        instances = a2dre_plus_instances(a2dre_plus, reader, categories, polarities)
    else:
        instances = select_instances(reader, sources)
    written, kept = write_masks(
        model,
        reader,
        instances,
        out,
        base_size=base_size,
        batch_size=batch_size,
        device=info.device,
        workers=workers,
        progress=progress,
    )
    combined = write_combined(out, reader, instances, progress=progress)
    result = PredictResult(
        instances=len(instances), written=written, kept=kept, table=None, combined=[str(c) for c in combined]
    )
    if table:
        from refcat.analysis.per_sample import per_sample_table, write_table

        samples = per_sample_table(out, reader, instances, layout="expression")
        write_table(samples, table)
        result["table"] = table
        result["mean_J"] = float(samples.loc[samples["gt_present"], "J"].mean())
    return result
