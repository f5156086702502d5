"""Phrase-level variants of A2D expressions (the paper's Table 6), built from the actor-action codes.

Levels, from least to most informative, with their instance sources:
- `thing`        `phrase:thing`          "thing" for every referent;
- `actor`        `phrase:actor`          the actor as a natural noun: adult -> "person", the other
                                         A2D actors (baby, ball, bird, car, cat, dog) as they are;
- `action`       `phrase:action`         "thing" + the action ("thing walking"): the action alone,
                                         kept as a noun phrase like the other levels; "thing" when
                                         the A2D action is "none";
- `actor+action` `phrase:actor+action`   the noun + the action ("dog running"; "dog" for "none");
- `full`         `phrase:full:{source}`  each original expression of the referent, unchanged, its
                                         source (sentence0, ...) kept after the level.
The first four depend only on the referent, so they are written once per referent. A referent
without an actor-action code (A2D Sentences refers to it, but no annotated frame has its mask)
gets no variants: it is logged and listed as skipped, and the other referents go on.
`LEVEL_NAMES` gives each level the name of its row in the paper's Table 6.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from refcat.datasets.records import Instance
from refcat.errors import UsageError

if TYPE_CHECKING:
    from refcat.datasets.a2d import A2DReader

log = logging.getLogger(__name__)

LEVELS = ("thing", "actor", "action", "actor+action", "full")
LEVEL_NAMES = {
    "thing": "Generic",
    "actor": "Only Actor",
    "action": "Only Action",
    "actor+action": "Actor + Action",
    "full": "Full phrase",
}
ACTOR_NOUNS = {
    "adult": "person",
    "baby": "baby",
    "ball": "ball",
    "bird": "bird",
    "car": "car",
    "cat": "cat",
    "dog": "dog",
}
NO_ACTION = "none"


def phrase(level: str, actor: str, action: str) -> str:
    """The phrase of a referent at one of the first four levels (see the module docstring)."""
    if actor not in ACTOR_NOUNS:
        raise UsageError(f"unknown A2D actor {actor!r}", expected=", ".join(ACTOR_NOUNS))
    verb = "" if action == NO_ACTION else f" {action}"
    phrases = {
        "thing": "thing",
        "actor": ACTOR_NOUNS[actor],
        "action": f"thing{verb}",
        "actor+action": f"{ACTOR_NOUNS[actor]}{verb}",
    }
    if level not in phrases:
        raise UsageError(f"no derived phrase for level {level!r}", expected=", ".join(phrases))
    return phrases[level]


class PhraseVariants(NamedTuple):
    """`phrase_instances` result: the variants, and the (video_id, object_id) of each referent
    skipped for want of an actor-action code, in order of first appearance."""

    instances: list[Instance]
    skipped: list[tuple[str, int]]


def phrase_instances(
    instances: Iterable[Instance],
    actors: Mapping[tuple[str, int], str | None],
    actions: Mapping[tuple[str, int], str],
    where: str = "actor-action codes",
) -> PhraseVariants:
    """The variants of every referent that has expressions: four derived levels once per referent,
    then each original expression as `phrase:full:{source}`. `actors` / `actions` map
    (video_id, object_id) to the A2D actor and action names; a referent missing from either
    (or with actor None) is skipped and logged, naming `where` the codes come from."""
    out: list[Instance] = []
    done: set[tuple[str, int]] = set()
    skipped: dict[tuple[str, int], None] = {}
    for inst in instances:
        referent = (inst.video_id, inst.object_id)
        actor, action = actors.get(referent), actions.get(referent)
        if actor is None or action is None:
            if referent not in skipped:
                log.warning(
                    "%s: no actor-action code for %s object %d (it has sentences but no mask); no phrase variants",
                    where,
                    inst.video_id,
                    inst.object_id,
                )
                skipped[referent] = None
            continue
        if referent not in done:
            done.add(referent)
            for level in LEVELS[:-1]:
                out.append(
                    Instance(
                        inst.dataset,
                        inst.video_id,
                        inst.object_id,
                        f"phrase:{level}",
                        phrase(level, actor, action),
                    )
                )
        out.append(Instance(inst.dataset, inst.video_id, inst.object_id, f"phrase:full:{inst.source}", inst.text))
    return PhraseVariants(out, list(skipped))


def reader_phrase_instances(reader: A2DReader) -> PhraseVariants:
    """`phrase_instances` for every expression of an A2D reader, the codes read from its
    annotation folder (`reader.h5_dir`)."""
    instances = list(reader.instances())
    actors, actions = {}, {}
    for video_id in sorted({i.video_id for i in instances}):
        for obj in reader.objects(video_id):
            actors[(video_id, obj.object_id)] = obj.category
        for object_id, action in reader.actions(video_id).items():
            actions[(video_id, object_id)] = action
    return phrase_instances(instances, actors, actions, where=str(reader.h5_dir))


def write_a2d_annotations(instances: Iterable[Instance], out_dir: str | Path) -> list[Path]:
    """One A2D-Sentences-style file a level, `a2d_annotation_{level}.txt` (CSV, header
    `video_id,instance_id,query`), for models that read only that format. The `full` file
    repeats the original sentences in their order."""
    import csv

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_level: dict[str, list[Instance]] = {level: [] for level in LEVELS}
    for inst in instances:
        level = inst.source.removeprefix("phrase:").split(":")[0]
        by_level[level].append(inst)
    paths = []
    for level, rows in by_level.items():
        path = out_dir / f"a2d_annotation_{level.replace('+', '_')}.txt"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["video_id", "instance_id", "query"])
            writer.writerows((i.video_id, i.object_id, i.text) for i in rows)
        paths.append(path)
    return paths
