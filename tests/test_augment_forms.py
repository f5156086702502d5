"""A2Dre+ failure classes of issue 16, each on a hand-written RE: another object's phrase edited, a stranded
object, a leftover token, a bare noun left, verb agreement, a phrase proposed from another RE of the object,
identifiability by the video's facts, and a run's summary that adds up to its input rows."""

import pandas as pd
import pytest
from helpers.release import labelled, write_release_file

from refcat.categorize import augment as aug
from refcat.categorize.edits import add_phrase, agreement, category_phrases, malformations, remove_category
from refcat.categorize.grounding import Fact, ObjectFacts
from refcat.cli import main

# ---------------------------------------------------------------- another object's modifiers are not the referent's


def test_another_objects_appearance_is_not_removed():
    text = "man standing between a man in red and a man in blue"
    # The colours are the other men's: the categorizer gives the referent no appearance words (since the rules
    # read another's looks as theirs, it does not list them at all), so nothing is removed and a person decides.
    own, others = category_phrases(text, "appearance")
    assert own == [] and others == []
    assert remove_category(text, "appearance") is None
    (v,) = aug.build_variants([labelled(text, appearance=True)])
    assert v.text is None and v.flags == (aug.NEEDS_PERSON,)
    assert v.note == "the categorizer finds no appearance words to remove"


def test_another_objects_verb_is_not_removed():
    # "running" is the dog's (its relative clause hangs off "dog"), not the hand's
    assert remove_category("a hand is petting the dog which is running", "motion") is None


def test_the_referents_phrase_goes_and_the_other_objects_stays():
    assert (
        remove_category("the girl in red next to the man in black", "appearance") == "the girl next to the man in black"
    )


def test_a_phrase_the_parse_hangs_off_the_referents_clothing_is_the_referents():
    # the small pipeline hangs "standing" off "hair"; the hair is the man's appearance, so the verb is his
    assert (
        remove_category("man with silver hair standing in the middle", "static") == "man with silver hair in the middle"
    )


@pytest.mark.parametrize(
    "text, category, expected",
    [
        # a location on the object of the referent's verb, or of its "with", is where the referent is
        ("man holding a baby on the left", "location", "man holding a baby"),
        ("man walking with a woman on the beach", "location", "man walking with a woman"),
        # a removed phrase is contiguous: it stops at the referent's next phrase ("playing basketball")
        ("Boy with white hat playing basketball", "appearance", "Boy playing basketball"),
        # both clothing phrases go, the verb and the place stay
        (
            "woman in white top and black shorts walking on the running track",
            "appearance",
            "woman walking on the running track",
        ),
    ],
)
def test_the_referents_phrases_under_a_loose_parse(text, category, expected):
    assert remove_category(text, category) == expected


# ---------------------------------------------------------------- stranded objects and leftover tokens


@pytest.mark.parametrize(
    "original, variant, problem",
    [
        # the audit's failures: the verb went, its object stayed
        ("Parrot pulling a rope in front of a mirror", "Parrot a rope in front a mirror", "stranded 'a rope'"),
        ("a cat on the left looking at its friends", "a cat on the left its friends", "stranded 'its friends'"),
        ("Guy in all black kicking a ball", "Guy in all black a ball", "stranded object 'a ball' right after 'black'"),
        # a number whose noun went
        ("boy 3 years old playing football", "boy 3 playing football", "leftover '3'"),
        # a determiner whose noun went
        ("the dog on the couch", "the dog on the", "'the' dangling at the end"),
        ("the man the is walking", "the man the is walking", None),  # the original's own problem is not the edit's
    ],
)
def test_form_checks_name_stranded_and_leftover_words(original, variant, problem):
    found = malformations(original, variant)
    if problem is None:
        assert found == []
    else:
        assert any(p.startswith(problem) for p in found), found


def test_removing_a_verb_takes_its_object_and_the_repair_leaves_no_stranded_word():
    for text, expected in [
        ("Parrot pulling a rope in front of a mirror", "Parrot in front of a mirror"),
        ("a cat on the left looking at its friends", "a cat on the left"),
        ("the black cat is eating fish", "the black cat"),
    ]:
        category = "static" if "eating" in text or "looking" in text else "motion"
        out = remove_category(text, category)
        assert out == expected, (text, out)
        assert malformations(text, out) == []


def test_a_stranded_object_is_flagged_not_written(monkeypatch):
    monkeypatch.setattr(aug, "remove_category", lambda text, category, cat=None: "Parrot a rope in front of a mirror")
    (v,) = aug.build_variants([labelled("Parrot pulling a rope in front of a mirror", motion=True)])
    assert aug.MALFORMED in v.flags and "stranded 'a rope'" in v.note
    assert aug.a2dre_plus_table(aug.variant_table([v])).empty


# ---------------------------------------------------------------- a bare noun is not identifiable


def test_a_bare_noun_without_is_flagged():
    # every RE here is non-trivial: "the kid" alone does not tell the referent from the other kids
    (v,) = aug.build_variants([labelled("the kid on the left", location=True)])
    assert v.text == "the kid" and v.flags == (aug.NOT_IDENTIFIABLE,)
    assert "no cue is left" in v.note
    (v,) = aug.build_variants([labelled("the kid with the pink dress on the left", location=True)])
    assert v.text == "the kid with the pink dress" and v.flags == ()


def test_identifiability_by_the_videos_facts():
    re_ = labelled("the dog on the left sitting", location=True)
    mine = {"horizontal": "left", "movement": "still"}
    # the other dog sits too: "the dog sitting" does not tell them apart
    alike = ObjectFacts({}, mine, {4: {"horizontal": "right", "movement": "still"}})
    (v,) = aug.build_variants([re_], lambda r: alike)
    assert v.text == "the dog sitting" and v.flags == (aug.NOT_IDENTIFIABLE,)
    assert "from object 4 of its class" in v.note
    # the other dog runs: sitting tells it apart
    apart = ObjectFacts({}, mine, {4: {"horizontal": "right", "movement": "moving"}})
    (v,) = aug.build_variants([re_], lambda r: apart)
    assert v.flags == ()
    # its movement unknown: nothing confirms it
    unknown = ObjectFacts({}, mine, {4: {"horizontal": "right"}})
    (v,) = aug.build_variants([re_], lambda r: unknown)
    assert v.flags == (aug.NOT_IDENTIFIABLE,)


# ---------------------------------------------------------------- verb agreement


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the dogs is running", ["verb agreement: 'is' with plural 'dogs' (expected 'are')"]),
        ("the dog are running", ["verb agreement: 'are' with singular 'dog' (expected 'is')"]),
        ("the man walks to the car", []),
        ("the cats that is sleeping", ["verb agreement: 'is' with plural 'cats' (expected 'are')"]),
    ],
)
def test_agreement(text, expected):
    assert agreement(text) == expected


def test_an_added_phrase_agrees_with_the_referent():
    assert add_phrase("the two dogs", "static", "that is not moving") == "the two dogs that are not moving"
    assert add_phrase("the dog", "static", "that is not moving") == "the dog that is not moving"
    assert malformations("the two dogs", "the two dogs that is not moving", "that is not moving") == [
        "verb agreement: 'is' with plural 'dogs' (expected 'are')"
    ]


# ---------------------------------------------------------------- a phrase from another RE of the object


def test_the_missing_side_is_proposed_from_another_re_of_the_object():
    plain = labelled("the man in red", motion=False, location=False)
    walking = aug.LabelledRE(
        "a2d",
        plain.video_id,
        plain.object_id,
        "annot2",
        "a man that is walking on the left",
        dict(plain.labels) | {"motion": True, "location": True},
    )
    variants = {(v.instance, v.category): v for v in aug.build_variants([plain, walking])}
    motion = variants[(plain.instance, "motion")]
    assert motion.original_side == "without" and motion.text == "the man in red walking"
    assert motion.flags == (aug.FROM_ANOTHER_RE,) and "'a man that is walking on the left'" in motion.note
    location = variants[(plain.instance, "location")]
    assert location.text == "the man in red on the left" and location.flags == (aug.FROM_ANOTHER_RE,)
    # a fact from the video comes first, and is not flagged
    fact = {"motion": Fact("motion", "moving", "moving", "hand-made")}
    (v,) = [
        v
        for v in aug.build_variants([plain, walking], lambda r: ObjectFacts(fact, {}, {}))
        if v.instance == plain.instance and v.category == "motion"
    ]
    assert v.text == "the man in red moving" and v.flags == ()
    # proposals are left out of the files until a person accepts them
    table = aug.variant_table([motion, location])
    assert aug.a2dre_plus_table(table).empty and aug.report(table)[aug.FROM_ANOTHER_RE] == 2


def test_an_object_of_another_video_lends_nothing():
    plain = labelled("the man in red", motion=False)
    other = aug.LabelledRE("a2d", "another-video", plain.object_id, "annot2", "a man walking", {"motion": True})
    (v,) = [v for v in aug.build_variants([plain, other]) if v.instance == plain.instance]
    assert v.text is None and v.flags == (aug.NEEDS_PERSON,)


# ---------------------------------------------------------------- the summary adds up and names what it leaves out


ROWS = [
    (
        "vid1",
        0,
        "the person in gray is walking",
        "Non-trivial",
        "Redundant Information",
        *"1.0 0.0 1.0 0.0 1.0 0.0 0.0".split(),
    ),
    (
        "vid1",
        0,
        "the person in gray is walking",
        "Non-trivial",
        "Redundant Information",
        *"1.0 0.0 1.0 0.0 1.0 0.0 0.0".split(),
    ),
    ("vid1", 1, "a dog", "Trivial (Single Object Category)", "Minimum Information", *"0 0 1 0 0 0 0".split()),
    ("vid1", 2, "seagull standing in the back", "Not a Referring Expression", "Not Applicable", *[""] * 7),
    ("vid2", 0, "the cat", "Non-trivial", "Minimum Information", "", "", "1", "", "", "", ""),
    ("vid2", 1, "a man on the left", "Non-trivial", "Minimum Information", *"0 0 1 1 0 0 0".split()),
]


def test_the_summary_adds_up_to_the_input_rows_and_names_each_row_left_out(tmp_path, capsys):
    labels = write_release_file(tmp_path / "DAVIS17_RE_categorization.csv", ROWS)
    out = tmp_path / "out"
    assert (
        main(
            [
                "augment",
                "--input",
                str(labels),
                "--out-dir",
                str(out),
                "--dataset",
                "davis",
                "--db",
                str(tmp_path / "absent.db"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    report = {
        line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1])
        for line in printed.split("wrote ", 1)[1].splitlines()[1:]
    }
    assert report["input rows"] == len(ROWS) == report["REs in the table"] + report["rows left out"]
    assert report["REs in the table"] == 2 and report["rows left out"] == 4
    assert report[f"left out: {aug.REPEATED}"] == 1 and report[f"left out: {aug.UNLABELLED}"] == 1
    assert report["left out: Trivial (Single Object Category)"] == report["left out: Not a Referring Expression"] == 1
    assert "2 non-trivial REs -> 8 variants" in printed
    left_out = pd.read_csv(out / "DAVIS17_a2dre_plus_left_out.csv", keep_default_na=False)
    assert list(left_out.columns) == aug.LEFT_OUT_COLUMNS
    assert left_out[["row", "ref_exp", "reason"]].values.tolist() == [
        [3, "the person in gray is walking", aug.REPEATED],
        [4, "a dog", "Trivial (Single Object Category)"],
        [5, "seagull standing in the back", "Not a Referring Expression"],
        [6, "the cat", aug.UNLABELLED],
    ]
    tidy = pd.read_csv(out / "DAVIS17_a2dre_plus_variants.csv", keep_default_na=False)
    assert tidy["instance"].nunique() == report["REs in the table"]
    assert len(tidy) == 2 * report["variants"]
    # named after the dataset: no A2D_* file for DAVIS
    names = sorted(p.name for p in out.iterdir())
    assert not any(n.startswith("A2D_") for n in names)
    assert "DAVIS17_spatial_new_format_all_non_trivial.txt" in names and len(names) == 10
