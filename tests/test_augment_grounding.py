"""Grounding (refcat.categorize.grounding) on hand-made boxes and masks with hand-computed answers."""

import colorsys

import numpy as np
import pytest

from refcat.categorize import grounding as g
from refcat.categorize.grounding import SceneTracks, Track


def scene(*tracks, width=300, height=200):
    return SceneTracks(width, height, {t.object_id: t for t in tracks})


def still(box, frames=range(5)):
    return dict.fromkeys(frames, box)


def test_horizontal_thirds_of_the_frame():
    left = Track(1, "dog", still((10, 50, 50, 80)))  # centre x 30 < 100
    middle = Track(2, "cat", still((120, 50, 180, 80)))  # centre 150
    right = Track(3, "car", still((210, 50, 290, 80)))  # centre 250 >= 200
    s = scene(left, middle, right)
    assert [g.horizontal_fact(t, s).phrase for t in (left, middle, right)] == [
        "on the left",
        "in the middle",
        "on the right",
    ]


def test_horizontal_relative_to_objects_of_the_same_class():
    # crosses from the left third to the middle one, but stays left of the other dog
    a = Track(1, "dog", {0: (60, 50, 100, 80), 1: (100, 50, 140, 80)})  # centres 80, 120
    b = Track(2, "dog", {0: (200, 50, 240, 80), 1: (150, 50, 190, 80)})  # centres 220, 170
    s = scene(a, b)
    fact = g.horizontal_fact(a, s)
    assert (fact.value, fact.phrase) == ("left", "on the left") and "other 1 dog" in fact.basis
    c = Track(3, "dog", {0: (0, 50, 20, 80), 1: (250, 50, 290, 80)})  # left of a in frame 0, right in frame 1
    assert g.horizontal_fact(a, scene(a, c)) is None


def test_depth_from_box_bottom_and_size():
    # margin = 0.03 * 200 = 6 px
    back = Track(1, "person", still((10, 70, 30, 100)))  # y2 100, height 31
    front = Track(2, "person", still((100, 90, 150, 150)))  # y2 150, height 61
    s = scene(back, front)
    assert g.depth_fact(back, s).phrase == "in the back"
    assert g.depth_fact(front, s).phrase == "in the front"
    near = Track(2, "person", still((100, 60, 150, 104)))  # y2 104: 4 px lower only
    assert g.depth_fact(back, scene(back, near)) is None
    alone = Track(5, "car", still((10, 70, 30, 100)))
    assert g.depth_fact(alone, scene(alone)) is None


def moving(cls, dx, frames=20, height=100):
    return Track(1, cls, {0: (0, 0, 20, height - 1), frames: (dx, 0, dx + 20, height - 1)})


@pytest.mark.parametrize("cls, dx", [("person", 40), ("person", 200), ("dog", 150), ("car", 200), ("bird", 40)])
def test_motion_from_the_track_names_no_gait(cls, dx):
    # a box's speed does not tell walking from fighting (the judo fighters of DAVIS): "moving" only
    t = moving(cls, dx)
    fact = g.motion_fact(t, scene(t))
    assert (fact.value, fact.phrase) == ("moving", "moving") and f"moved {dx} px over 20 frames" in fact.basis


def test_attributes_and_telling_objects_apart():
    # two dogs: a on the left and still, b on the right and moving; a red and b without a colour fact
    a = Track(1, "dog", still((10, 150, 50, 190)))
    b = Track(2, "dog", {0: (200, 100, 240, 140), 4: (260, 100, 299, 140)})
    s = scene(a, b)
    red = {"appearance": g.Fact("appearance", "red", "red", "hand-made", prenominal=True)}
    facts_a = red | {"static": g.static_fact(a, s)}
    mine = g.attributes(facts_a, g.horizontal_fact(a, s), g.depth_fact(a, s))
    # a's box bottom (190) is 50 px below b's (140) and a is no shorter: in the front
    assert mine == {"horizontal": "left", "depth": "front", "movement": "still", "colour": "red"}
    theirs = g.attributes({"motion": g.motion_fact(b, s)}, g.horizontal_fact(b, s), g.depth_fact(b, s))
    assert theirs == {"horizontal": "right", "depth": "back", "movement": "moving"}
    assert g.tells_apart(["location"], mine, theirs) and g.tells_apart(["motion"], mine, theirs)
    assert not g.tells_apart(["appearance"], mine, theirs)  # b's colour is not known
    assert not g.tells_apart(["obj-motion"], mine, theirs)  # nothing the video measures
    assert not g.tells_apart(["location"], mine, mine)


def test_motion_and_static_thresholds():
    # width 300: moving from 30 px (0.1), still up to 6 px (0.02)
    slow = moving("person", 20)
    assert g.motion_fact(slow, scene(slow)) is None and g.static_fact(slow, scene(slow)) is None
    parked = moving("car", 3)
    assert g.static_fact(parked, scene(parked)).phrase == "that is not moving"
    assert g.motion_fact(parked, scene(parked)) is None
    one_frame = Track(1, "car", {4: (0, 0, 10, 10)})
    assert g.static_fact(one_frame, scene(one_frame)) is None


def test_a2d_action_label_names_the_verb():
    t = Track(1, "adult", {3: (0, 0, 10, 10)}, action="climbing")
    assert g.motion_fact(t, scene(t)).phrase == "climbing"
    t = Track(1, "baby", still((0, 0, 10, 10)), action="eating")
    assert g.static_fact(t, scene(t)).phrase == "eating"


@pytest.mark.parametrize(
    "rgb, name",
    [
        ((255, 0, 0), "red"),
        ((0, 255, 0), "green"),
        ((0, 0, 255), "blue"),
        ((255, 255, 0), "yellow"),
        ((255, 140, 0), "orange"),
        ((128, 0, 128), "purple"),
        ((255, 105, 180), "pink"),
        ((0, 0, 0), "black"),
        ((255, 255, 255), "white"),
        ((128, 128, 128), "grey"),
        ((139, 69, 19), "brown"),
        ((240, 225, 185), "cream"),
    ],
)
def test_pure_colours(rgb, name):
    assert g.colour_name(rgb) == name
    image = np.zeros((30, 30, 3), np.uint8)
    image[:] = rgb
    mask = np.zeros((30, 30), bool)
    mask[5:25, 5:25] = True
    fact = g.colour_fact(*g.pixel_colours(image, mask, "car"), "car")
    assert (fact.value, fact.phrase, fact.prenominal) == (name, name, True)


def test_rgb_to_hsv_matches_colorsys():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    h, s, v = g.rgb_to_hsv(pixels)
    expected = np.array([colorsys.rgb_to_hsv(*(p / 255)) for p in pixels])
    np.testing.assert_allclose(h, expected[:, 0] * 360, atol=1e-9)
    np.testing.assert_allclose(s, expected[:, 1], atol=1e-12)
    np.testing.assert_allclose(v, expected[:, 2], atol=1e-12)


def shaded(rgb, low, size=40):
    """A square of `rgb` lit from the left: brightness falls linearly from 1 to `low` across the columns."""
    factor = np.linspace(1.0, low, size)[None, :, None]
    image = np.clip(np.asarray(rgb, float)[None, None, :] * factor, 0, 255).astype(np.uint8)
    return np.repeat(image, size, axis=0), np.ones((size, size), bool)


@pytest.mark.parametrize(
    "rgb, low, name",
    [
        # white shaded down to half: V from 0.94 to 0.47, so ~40% of the pixels are grey by themselves,
        # but the family's 90th-percentile value (~0.89) is white
        ((240, 240, 240), 0.5, "white"),
        ((128, 128, 132), 0.5, "grey"),  # lit side V 0.52 < 0.66
        ((238, 128, 28), 0.7, "orange"),  # V 0.93 .. 0.65: stays above the brown cut (0.6)
        ((196, 36, 36), 0.5, "red"),  # hue unchanged by shading
    ],
)
def test_shaded_objects(rgb, low, name):
    image, mask = shaded(rgb, low)
    names, values = g.pixel_colours(image, mask, "ball")
    assert g.dominant_colour(names, values)[0] == name


def test_edges_are_eroded_away():
    image = np.zeros((40, 40, 3), np.uint8)
    image[:] = (40, 160, 40)  # green grass
    image[10:30, 10:30] = (200, 30, 30)  # a red object 20 x 20
    mask = np.zeros((40, 40), bool)
    mask[8:32, 8:32] = True  # the mask spills 2 px onto the grass: 176 of 576 pixels
    names, values = g.pixel_colours(image, mask, "ball")
    assert names.size == 400 and g.dominant_colour(names, values) == ("red", 1.0)


def test_person_colour_is_read_from_the_torso():
    image = np.zeros((100, 40, 3), np.uint8)
    image[0:20] = (230, 190, 150)  # head
    image[20:55] = (200, 30, 30)  # red shirt: 35 rows
    image[55:100] = (58, 70, 104)  # jeans: 45 rows, the larger part of the mask
    mask = np.zeros((100, 40), bool)
    mask[:, 10:30] = True
    fact = g.colour_fact(*g.pixel_colours(image, mask, "person"), "person")
    assert (fact.value, fact.phrase, fact.prenominal) == ("red", "in red", False)
    whole = g.dominant_colour(*g.pixel_colours(image, mask, "dog"))
    assert whole[0] == "blue"  # without the torso band the jeans win


def test_no_majority_no_fact():
    image = np.zeros((10, 100, 3), np.uint8)
    image[:, :40] = (255, 0, 0)
    image[:, 40:70] = (0, 0, 255)
    image[:, 70:] = (0, 255, 0)
    names, values = g.pixel_colours(image, np.ones((10, 100), bool), "ball")
    assert g.dominant_colour(names, values)[0] == "red"
    assert g.colour_fact(names, values, "ball") is None  # 40% (eroded: 38 of 96 columns) < 50%


def small_object(size, mask_margin=2):
    """A cream square of `size` px on green grass, its mask spilling `mask_margin` px onto the grass
    (as a small object's mask does in a low-resolution frame)."""
    image = np.zeros((60, 60, 3), np.uint8)
    image[:] = (40, 160, 40)
    image[20 : 20 + size, 20 : 20 + size] = (240, 225, 185)  # cream
    mask = np.zeros((60, 60), bool)
    mask[20 - mask_margin : 20 + size + mask_margin, 20 - mask_margin : 20 + size + mask_margin] = True
    return image, mask


def test_too_small_an_object_gives_no_colour():
    # 6 x 6 cream inside a 10 x 10 mask: eroded by 2 px, 36 pixels remain (< 50); the whole mask is
    # 64% grass, which read "green" before
    image, mask = small_object(6)
    assert g.colour_pixels(mask, "dog").sum() == 0
    names, values = g.pixel_colours(image, mask, "dog")
    assert names.size == 0 and g.colour_fact(names, values, "dog") is None
    # 8 x 8 inside 12 x 12: 64 pixels remain, all cream
    image, mask = small_object(8)
    names, values = g.pixel_colours(image, mask, "dog")
    assert names.size == 64 and g.colour_fact(names, values, "dog").phrase == "cream"


def test_too_small_a_torso_gives_no_colour():
    # a person 44 rows x 8 columns: eroded to rows 7..46 x 4 columns, torso band rows int(7 + 0.2 * 40) = 15
    # to int(7 + 0.55 * 40) = 29: 14 x 4 = 56 pixels; 30 rows: band rows 12 to 21, 36 pixels (< 50)
    for rows, expected in ((44, 56), (30, 0)):
        image = np.zeros((60, 20, 3), np.uint8)
        image[:] = (200, 30, 30)
        mask = np.zeros((60, 20), bool)
        mask[5 : 5 + rows, 6:14] = True
        assert g.colour_pixels(mask, "person").sum() == expected


class _OneFrameReader:
    """A reader (refcat.datasets.records protocol, the parts VideoGrounding uses) of one frame."""

    dataset = "demo"

    def __init__(self, image, masks, boxes):
        self.image, self.masks, self.boxes = image, masks, boxes

    def objects(self, video_id):
        from types import SimpleNamespace

        return [SimpleNamespace(object_id=k, category="dog", boxes={0: b}) for k, b in self.boxes.items()]

    def annotated_frames(self, video_id):
        return [0]

    def frame(self, video_id, index):
        return self.image

    def object_masks(self, video_id, index):
        from types import SimpleNamespace

        return SimpleNamespace(masks=self.masks)


def test_video_grounding_leaves_a_small_objects_colour_to_a_person():
    from types import SimpleNamespace

    image, small = small_object(6)
    big_image, big = small_object(20)
    video = SimpleNamespace(video_id="v", width=60, height=60)
    grounding = g.VideoGrounding(_OneFrameReader(image, {1: small}, {1: (18, 18, 27, 27)}), video)
    assert "appearance" not in grounding.facts(1)
    grounding = g.VideoGrounding(_OneFrameReader(big_image, {1: big}, {1: (18, 18, 41, 41)}), video)
    assert grounding.facts(1)["appearance"].phrase == "cream"
