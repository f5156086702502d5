"""Frame-level samples for RefVOS: (frame, referent mask, RE), with the paper's transforms.

Sources: any `refcat.datasets.readers.open_reader` reader (DAVIS with a filter on the four RE
files, A2D Sentences, the demo dataset), RefCOCO / RefCOCO+ (`refcat.datasets.refer`), and
A2Dre+ variants (an A2D reader plus the A2Dre+ files).

- Training unit: one referent in one annotated frame where it is present (or in every
  annotated frame of its video: `absent_frames`, as the authors' loaders do). Each time it is
  drawn, one of its REs is chosen at random, as in the authors' code.
- Evaluation unit: one expression in one annotated frame.
- Target: 1 referent, 0 background, 255 ignored (DAVIS void pixels, padding).
- Transforms (the authors'): resize the shorter side to `base_size`, random crop
  `crop_size` (padding with 0 / 255 when smaller), ImageNet normalisation.
- Randomness comes from a generator seeded with (seed, epoch, sample index), so a sample is
  the same whatever worker or process loads it, and a resumed run sees the same data.
- Seeing time (`previous_gap` k > 0, the "diff" RefVOS variant): the image has six channels, the
  normalised frame t, then frame t minus frame max(t - k, 0) of the same video (any frame of the
  video, annotated or not; frames t < k get frame 0, so frame 0 gets a zero difference). Both
  are resized and cropped together, with the same crop.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset, Sampler

from refcat.datasets.records import DatasetReader, Instance
from refcat.errors import MissingDataError, UsageError
from refcat.refvos_model.config import TrainConfig
from refcat.refvos_model.network import IGNORE_INDEX

log = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
REFCOCO_DATASETS = ("refcoco", "refcoco+")

Item = tuple[torch.Tensor, torch.Tensor, str, int]  # image (3 or 6, H, W), target (H, W) long, RE, sample index
Batch = tuple[torch.Tensor, torch.Tensor, list[str], torch.Tensor]  # the items stacked by `collate`


def open_dataset(dataset: str, root: str, split: str | None) -> DatasetReader:
    """A reader for any dataset the model trains or predicts on (RefCOCO family included)."""
    if dataset in REFCOCO_DATASETS:
        from refcat.datasets.refer import RefCocoReader

        return RefCocoReader(root, split=split, dataset=dataset)
    from refcat.datasets.readers import open_reader

    return open_reader(dataset, root, split)


def select_instances(reader: DatasetReader, sources: Sequence[str] = ()) -> list[Instance]:
    """The reader's instances, keeping only the given sources (e.g. DAVIS "annot1") when any are named."""
    instances = [i for i in reader.instances() if not sources or i.source in sources]
    if not instances:
        raise MissingDataError(
            f"no referring expressions in {reader.dataset}" + (f" for sources {list(sources)}" if sources else ""),
            expected="at least one expression",
        )
    return instances


def a2dre_plus_instances(
    directory: str, reader: DatasetReader, categories: Sequence[str] = (), polarities: Sequence[str] = ()
) -> list[Instance]:
    """The A2Dre+ variants (refcat.datasets.a2dre_plus) of the reader's videos, as instances of its
    dataset with source `a2dre+:{category}:{polarity}`; the variants of videos in other splits are
    skipped (and counted in the log)."""
    from refcat.datasets import a2dre_plus

    df = a2dre_plus.read_a2dre_plus(directory)
    if categories:
        df = df[df["category"].isin(categories)]
    if polarities:
        df = df[df["polarity"].isin(polarities)]
    videos = {v.video_id for v in reader.videos()}
    instances = list(a2dre_plus.a2dre_plus_instances(df, dataset=reader.dataset))
    kept = [i for i in instances if i.video_id in videos]
    if len(kept) < len(instances):
        log.info("A2Dre+: %d expressions of videos outside this split skipped", len(instances) - len(kept))
    if not kept:
        raise MissingDataError(
            "no A2Dre+ expressions left for this split after the category / polarity filter", path=directory
        )
    return kept


@dataclass(frozen=True)
class FrameSample:
    video_id: str
    frame: int
    object_id: int
    texts: tuple[str, ...]  # one is drawn at random each time (training); exactly one (evaluation)
    instance_key: str = ""  # evaluation samples: the instance the text belongs to


def _every(frames: list[int], step: int) -> list[int]:
    """Every `step`-th of a video's annotated frames, starting with the first."""
    return frames[::step]


def training_samples(
    reader: DatasetReader, instances: Iterable[Instance], frame_step: int = 1, absent_frames: bool = False
) -> list[FrameSample]:
    """One sample per referent and annotated frame where it is present (every annotated frame of its video
    with `absent_frames`), carrying all its REs."""
    texts: dict[tuple[str, int], list[str]] = {}
    for inst in instances:
        texts.setdefault((inst.video_id, inst.object_id), []).append(inst.text)
    samples: list[FrameSample] = []
    for video_id in sorted({v for v, _ in texts}):
        annotated = reader.annotated_frames(video_id) if absent_frames else []
        for obj in reader.objects(video_id):
            if (video_id, obj.object_id) in texts:
                samples.extend(
                    FrameSample(video_id, f, obj.object_id, tuple(texts[video_id, obj.object_id]))
                    for f in _every(annotated if absent_frames else obj.frames, frame_step)
                )
    return samples


def evaluation_samples(
    reader: DatasetReader, instances: Iterable[Instance], *, present_only: bool = True, frame_step: int = 1
) -> list[FrameSample]:
    """One sample per expression and annotated frame (only frames showing the referent if `present_only`)."""
    samples: list[FrameSample] = []
    objects: dict[str, dict[int, list[int]]] = {}
    for inst in instances:
        if inst.video_id not in objects:
            objects[inst.video_id] = {o.object_id: o.frames for o in reader.objects(inst.video_id)}
        if present_only:
            frames = objects[inst.video_id].get(inst.object_id, [])
        else:
            frames = reader.annotated_frames(inst.video_id)
        samples.extend(
            FrameSample(inst.video_id, f, inst.object_id, (inst.text,), inst.key) for f in _every(frames, frame_step)
        )
    return samples


def referent_target(reader: DatasetReader, video_id: str, frame: int, object_id: int) -> np.ndarray:
    """uint8 (H, W): 1 referent, 0 background, 255 void."""
    masks = reader.object_masks(video_id, frame)
    shape = next(iter(masks.masks.values())).shape if masks.masks else reader.frame(video_id, frame).shape[:2]
    target = np.zeros(shape, dtype=np.uint8)
    if object_id in masks.masks:
        target[masks.masks[object_id]] = 1
    if masks.void is not None:
        target[masks.void] = IGNORE_INDEX
    return target


def resized_size(height: int, width: int, base_size: int) -> tuple[int, int]:
    """(H, W) after scaling the shorter side to base_size."""
    scale = base_size / min(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize_pair(image: torch.Tensor, target: torch.Tensor, base_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    height, width = image.shape[-2:]
    size = resized_size(height, width, base_size)
    image = F.interpolate(image[None], size=size, mode="bilinear", align_corners=False, antialias=True)[0]
    target = F.interpolate(target[None, None].float(), size=size, mode="nearest")[0, 0].long()
    return image, target


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 (H, W, 3) -> ImageNet-normalised float (3, H, W)."""
    t = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(IMAGENET_STD)[:, None, None]
    return (t - mean) / std


def transform(
    image: np.ndarray,
    target: np.ndarray,
    base_size: int,
    crop_size: int | None,
    rng: np.random.Generator | None,
    previous: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Resize the shorter side to base_size, then (training, rng given) a random crop_size square.
    With `previous` (an earlier frame of the same size), the image is (6, H, W): the normalised frame,
    then the frame minus `previous`, resized and cropped as one (resizing is linear, so this is the
    difference of the resized frames)."""
    img = to_tensor(image)
    if previous is not None:
        img = torch.cat([img, img - to_tensor(previous)])
    img, tgt = _resize_pair(img, torch.from_numpy(target.astype(np.int64)), base_size)
    if rng is None or crop_size is None:
        return img, tgt
    h, w = img.shape[-2:]
    pad_h, pad_w = max(0, crop_size - h), max(0, crop_size - w)
    if pad_h or pad_w:
        img = F.pad(img, (0, pad_w, 0, pad_h), value=0.0)
        tgt = F.pad(tgt, (0, pad_w, 0, pad_h), value=IGNORE_INDEX)
        h, w = img.shape[-2:]
    top = int(rng.integers(0, h - crop_size + 1))
    left = int(rng.integers(0, w - crop_size + 1))
    return img[:, top : top + crop_size, left : left + crop_size], tgt[top : top + crop_size, left : left + crop_size]


class ReferringFrames(Dataset[Item]):
    """Items: (image (3, H, W), target (H, W) long, text, sample index); with `previous_gap` k > 0 the image
    is (6, H, W), the frame and its difference from the frame k before (the module docstring)."""

    def __init__(
        self,
        reader: DatasetReader,
        samples: list[FrameSample],
        base_size: int,
        crop_size: int | None = None,
        *,
        train: bool,
        seed: int = 0,
        previous_gap: int = 0,
    ) -> None:
        if not samples:
            raise MissingDataError(f"no frame samples in {reader.dataset}", expected="annotated frames with referents")
        self.reader, self.samples = reader, samples
        self.base_size, self.crop_size = base_size, crop_size
        self.train, self.seed, self.epoch = train, seed, 0
        self.previous_gap = previous_gap

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Item:
        s = self.samples[index]
        rng = np.random.default_rng((self.seed, self.epoch, index)) if self.train else None
        text = s.texts[int(rng.integers(len(s.texts)))] if rng is not None else s.texts[0]
        image = self.reader.frame(s.video_id, s.frame)
        previous = None
        if self.previous_gap:
            previous = self.reader.frame(s.video_id, max(s.frame - self.previous_gap, 0))
        target = referent_target(self.reader, s.video_id, s.frame, s.object_id)
        img, tgt = transform(image, target, self.base_size, self.crop_size, rng, previous)
        return img, tgt, text, index


def collate(batch: Sequence[Item]) -> Batch:
    """Stack items, padding to the largest size in the batch (image 0, target 255)."""
    h = max(item[0].shape[-2] for item in batch)
    w = max(item[0].shape[-1] for item in batch)
    images = torch.zeros(len(batch), batch[0][0].shape[0], h, w)
    targets = torch.full((len(batch), h, w), IGNORE_INDEX, dtype=torch.long)
    for k, (img, tgt, _, _) in enumerate(batch):
        images[k, :, : img.shape[-2], : img.shape[-1]] = img
        targets[k, : tgt.shape[-2], : tgt.shape[-1]] = tgt
    return images, targets, [item[2] for item in batch], torch.tensor([item[3] for item in batch])


class ShardedSampler(Sampler[int]):
    """Indices of one process's shard, reproducible and resumable.

    Training: a permutation drawn from (seed, epoch), padded by repetition to a multiple of
    `world_size` like DistributedSampler, then every world_size-th index from `rank`.
    Evaluation (shuffle=False): rank::world_size with no padding, so no sample is counted twice.
    `start` skips the first indices of this shard (resuming in the middle of an epoch).
    """

    def __init__(self, n: int, *, rank: int = 0, world_size: int = 1, shuffle: bool, seed: int = 0) -> None:
        self.n, self.rank, self.world_size = n, rank, world_size
        self.shuffle, self.seed = shuffle, seed
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start

    def _indices(self) -> list[int]:
        if not self.shuffle:
            return list(range(self.rank, self.n, self.world_size))
        g = torch.Generator().manual_seed(self.seed + 1_000_003 * self.epoch)
        order = torch.randperm(self.n, generator=g).tolist()
        total = math.ceil(self.n / self.world_size) * self.world_size
        order += order[: total - self.n]
        return order[self.rank : total : self.world_size]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices()[self.start :])

    def __len__(self) -> int:
        return max(0, len(self._indices()) - self.start)


def build_datasets(
    cfg: TrainConfig, previous_gap: int = 0
) -> tuple[ReferringFrames, ReferringFrames | None, list[str]]:
    """(training set, validation set or None, training REs) of a recipe, for `refcat train`; `previous_gap`:
    the network's (`ModelConfig.previous_gap`)."""
    if not cfg.root:
        raise UsageError("no dataset root given", expected="--root DIR")
    reader = open_dataset(cfg.dataset, cfg.root, cfg.split)
    instances = select_instances(reader, cfg.sources)
    samples = training_samples(reader, instances, cfg.frame_step, cfg.absent_frames)
    train = ReferringFrames(
        reader, samples, cfg.base_size, cfg.crop_size, train=True, seed=cfg.seed, previous_gap=previous_gap
    )
    val = None
    if cfg.val_split:
        val_reader = open_dataset(cfg.dataset, cfg.root, cfg.val_split)
        val_instances = select_instances(val_reader, cfg.sources)
        val_samples = evaluation_samples(val_reader, val_instances, frame_step=cfg.frame_step)
        val = ReferringFrames(
            val_reader, val_samples, cfg.val_base_size or cfg.base_size, train=False, previous_gap=previous_gap
        )
    return train, val, [i.text for i in instances]


def fingerprint(train: ReferringFrames, val: ReferringFrames | None) -> dict[str, Any]:
    """What the samples are, whatever folder holds them: for the training and validation sets, the
    number of videos and samples and a SHA-256 of every sample's video, frame, object, REs and key."""
    out: dict[str, Any] = {}
    for name, dataset in (("train", train), ("val", val)):
        if dataset is None:
            continue
        digest = hashlib.sha256()
        for s in dataset.samples:
            digest.update(repr((s.video_id, s.frame, s.object_id, s.texts, s.instance_key)).encode("utf-8"))
        videos = len({s.video_id for s in dataset.samples})
        out[name] = {"videos": videos, "samples": len(dataset.samples), "sha256": digest.hexdigest()}
    return out
