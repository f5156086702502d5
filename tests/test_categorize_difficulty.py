"""Trivial / non-trivial from object classes."""

import pytest

from refcat.categorize.difficulty import decide_difficulty, video_difficulties
from refcat.datasets.records import ObjectRef
from refcat.errors import UsageError
from refcat.taxonomy import release_difficulty


def obj(oid, cls, video="gold-fish"):
    return ObjectRef("davis", video, oid, cls)


def test_only_object_of_its_class_is_trivial():
    # DAVIS "dogs-jump": two dogs and a person
    objects = [obj(1, "person", "dogs-jump"), obj(2, "dog", "dogs-jump"), obj(3, "Dog ", "dogs-jump")]
    decisions = video_difficulties(objects)
    assert decisions[1].difficulty == "trivial" and decisions[1].automatic
    assert decisions[2].difficulty == "non-trivial" and "[3]" in decisions[2].reason
    assert decisions[3].difficulty == "non-trivial"  # class names compared case- and space-insensitively
    assert (
        release_difficulty(decisions[1].difficulty, "valid", automatic=decisions[1].automatic)
        == "Trivial (Single Object Category)"
    )


def test_single_annotated_object_is_trivial_even_without_a_class():
    d = decide_difficulty(obj(1, None, "blackswan"), [obj(1, None, "blackswan")])
    assert (d.difficulty, d.automatic) == ("trivial", True)


def test_unknown_classes_are_reported_not_guessed():
    objects = [obj(1, None), obj(2, "fish"), obj(3, "fish"), obj(4, "person"), obj(5, "")]
    d = video_difficulties(objects)
    assert d[1].difficulty is None and "object 1" in d[1].reason and not d[1].automatic
    assert d[2].difficulty == "non-trivial"  # another fish is known, whatever object 1 and 5 are
    assert d[4].difficulty is None and "[1, 5]" in d[4].reason  # could share a class with 1 or 5
    assert d[5].difficulty is None


def test_referent_must_belong_to_the_video():
    with pytest.raises(UsageError):
        decide_difficulty(obj(9, "dog"), [obj(1, "dog"), obj(2, "cat")])


def test_an_unnamed_referent_gives_no_decision():
    """Ref-YouTube-VOS / MeViS valid splits name no object: their placeholder is not 'the only object'."""
    from refcat.datasets.ref_youtube_vos import UNNAMED_OBJECT

    placeholder = ObjectRef("ref-youtube-vos", "v", UNNAMED_OBJECT)
    decision = decide_difficulty(placeholder, [placeholder])
    assert decision.difficulty is None and not decision.automatic
    assert decision.reason == "the split names no referent object in v"
