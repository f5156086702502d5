"""The A2Dre+ builder (refcat.categorize.augment) and `refcat augment`: sides, flags, the categorizer
check, the released formats, and every generated fact checked against the demo scene's ground truth."""

import re
from collections import Counter

import pandas as pd
import pytest
from helpers.release import CATEGORY_COLUMNS, RELEASE_ROWS, labelled, write_release_file

from refcat.categorize import augment as aug
from refcat.categorize.edits import malformations
from refcat.categorize.grounding import Fact, ObjectFacts
from refcat.cli import main
from refcat.datasets.a2dre_plus import file_name, read_a2dre_plus, write_a2dre_plus
from refcat.datasets.release import read_release, write_release


def known(facts, attributes=None, rivals=None):
    """What a video tells of an object: hand-made facts, no other object of its class unless given."""
    return lambda re_: ObjectFacts(facts, attributes or {}, rivals or {})


def test_original_goes_on_the_side_of_its_label():
    re_ = labelled("the person in gray is walking", appearance=True, location=False, motion=True, static=False)
    facts = {"location": Fact("location", "left", "on the left", "hand-made")}
    variants = {v.category: v for v in aug.build_variants([re_], known(facts))}
    assert variants["appearance"].original_side == "with" and variants["appearance"].text == "the person is walking"
    assert variants["motion"].text == "the person in gray" and not variants["motion"].flags
    assert variants["location"].original_side == "without"
    assert variants["location"].text == "the person in gray is walking on the left"
    assert variants["static"].text is None and variants["static"].flags == (aug.NEEDS_PERSON,)
    assert "no static fact" in variants["static"].note


def test_unlabelled_category_gives_no_variant_and_no_mask_needs_a_person():
    re_ = labelled("a black feathered swan", appearance=True, location=None, motion=None, static=None)
    assert [v.category for v in aug.build_variants([re_])] == ["appearance"]
    re_ = labelled("a swan", appearance=False)
    (v,) = aug.build_variants([re_])  # no reader: no mask, no colour
    assert v.text is None and v.flags == (aug.NEEDS_PERSON,)


def test_categorizer_check_flags_bad_edits():
    # a verb's object goes with it: a "without" of motion may lose obj-motion (the released pairs do so)
    assert aug.check_variant("man riding a bike on the left", "man on the left", "motion", "without") == []
    (v,) = aug.build_variants([labelled("man riding a bike on the left", motion=True)])
    assert v.text == "man on the left" and v.flags == ()
    # but not another category, and not the object on the "with" side
    assert aug.check_variant("car driving right", "car", "motion", "without") == ["location"]
    assert aug.check_variant("man on the left", "man riding a bike on the left", "motion", "with") == ["obj-motion"]
    assert aug.check_variant("the person in gray is walking", "the person is walking", "appearance", "without") == []
    # a "fact" whose phrase is not a location phrase: the target is not flipped and motion appears
    bad = {"location": Fact("location", "left", "walking", "wrong on purpose")}
    (v,) = aug.build_variants([labelled("a black swan", location=False)], known(bad))
    assert v.flags == (aug.CHECK_FAILED,) and "location, motion" in v.note
    # the categorizer finds no appearance words although the label says yes: a person writes it
    (v,) = aug.build_variants([labelled("a dog", appearance=True)])
    assert v.text is None and v.flags == (aug.NEEDS_PERSON,) and "no appearance words" in v.note


def test_a_malformed_edit_is_flagged_and_never_written(monkeypatch):
    # an edit that splits a word (the audit's demo run): flagged, kept for a person, left out of the files
    monkeypatch.setattr(
        aug,
        "add_phrase",
        lambda text, category, phrase, prenominal=False: "a little cr that is not moving ème dog sitting down",
    )
    facts = {"static": Fact("static", "still", "that is not moving", "hand-made")}
    re_ = labelled("a little crème dog sitting down", static=False)
    (v,) = aug.build_variants([re_], known(facts))
    assert v.flags == (aug.MALFORMED,) and "'cr' is not a word of the original" in v.note
    table = aug.variant_table([v])
    assert aug.a2dre_plus_table(table).empty
    assert aug.report(table)["malformed"] == aug.report(table)["flagged"] == 1
    # a categorizer span that cuts a word: the edit rests on it, so the variant is flagged
    from refcat.categorize.rules import Categorization

    cut = Categorization(
        {c: c in ("appearance", "category") for c in CATEGORY_COLUMNS},
        "redundant",
        {"appearance": ["cr"], "category": ["dog"]},
        {"appearance": [(2, 4)], "category": [(8, 11)]},
    )
    monkeypatch.setattr(aug, "categorize", lambda text: cut)
    (v,) = aug.build_variants([labelled("a crème dog", appearance=True)])
    assert v.text == "a dog" and aug.MALFORMED in v.flags and "'cr' cuts the word 'crème'" in v.note


def test_release_rows_in(tmp_path):
    res = aug.res_from_release(
        read_release(write_release_file(tmp_path / "A2D_RE_categorization.csv", RELEASE_ROWS)), "a2d"
    )
    assert [(r.video_id, r.object_id, r.source) for r in res] == [
        ("XQ2WJo8sLEw", 2, "re0"),
        ("-0cOo0cRVZU", 0, "re0"),
        ("-0cOo0cRVZU", 0, "re1"),
        ("-7EE9T3Z0qk", 0, "re0"),
        ("YwEJrtVTmqQ", 1, "re0"),
    ]
    assert res[1].labels["obj-motion"] is True and res[3].labels["location"] is None


def test_cli_writes_the_eight_files_that_reread_identically(tmp_path, capsys):
    labels = write_release_file(tmp_path / "A2D_RE_categorization.csv", RELEASE_ROWS)
    out = tmp_path / "out"
    no_store = tmp_path / "absent.db"
    assert main(["augment", "--input", str(labels), "--out-dir", str(out), "--db", str(no_store)]) == 0
    printed = capsys.readouterr().out
    assert "5 non-trivial REs -> 19 variants" in printed
    assert "0 of 5 non-trivial REs matched to an instance (nothing to match against)" in printed
    assert not no_store.exists()  # no store named, none created
    names = sorted(p.name for p in out.glob("A2D_*.txt"))
    assert names == sorted(file_name(c, p) for c in aug.A2DRE_PLUS_CATEGORIES for p in ("with", "without"))
    table = read_a2dre_plus(out)
    appearance = table[(table.category == "appearance")].pivot(index="row", columns="polarity", values="query")
    assert appearance.to_dict("records") == [
        {"with": "the person in gray is walking", "without": "the person is walking"},
        {"with": "player in blue shirt passing a basketball on left", "without": "player passing a basketball on left"},
        {"with": "a blue, red and white car is jumping on the air", "without": "a car is jumping on the air"},
    ]
    location = table[(table.category == "location")].pivot(index="row", columns="polarity", values="query")
    assert location.to_dict("records") == [
        {
            "with": "player in blue shirt passing a basketball on left",
            "without": "player in blue shirt passing a basketball",
        },
        {"with": "the dog that is sitting on the couch", "without": "the dog that is sitting"},
    ]
    static = table[(table.category == "static")].pivot(index="row", columns="polarity", values="query")
    assert static.to_dict("records") == [
        {"with": "player in blue shirt passing a basketball on left", "without": "player in blue shirt on left"},
        {"with": "the dog that is sitting on the couch", "without": "the dog on the couch"},
    ]
    assert (out / file_name("motion", "with")).read_text() == (
        "video_id,instance_id,query\nXQ2WJo8sLEw;2;the person in gray is walking\n"
        "-7EE9T3Z0qk;0;a blue, red and white car is jumping on the air\n"
    )
    # static: "passing" takes its object along, as the released pairs do, and the variant is written
    tidy = pd.read_csv(out / aug.tidy_file("a2d"), keep_default_na=False)
    static = tidy[(tidy.category == "static") & (tidy.instance == "a2d/-0cOo0cRVZU/0/re0")]
    assert static.set_index("polarity")["flags"].to_dict() == {"with": "", "without": ""}
    # "player on left" without location is the bare noun "player": flagged, left out of the files
    bare = tidy[(tidy.category == "location") & (tidy.phrase == "player")]
    assert list(bare["flags"]) == [aug.NOT_IDENTIFIABLE]
    assert set(tidy["origin"]) == {"original", "generated", ""}
    assert list(tidy.columns) == ["instance", "matched", "category", "polarity", "phrase", "origin", "flags"]
    assert tidy["matched"].astype(str).eq("False").all()  # made-up keys, and the table says so
    # read, write, read: byte for byte
    again = tmp_path / "again"
    assert len(write_a2dre_plus(table, again)) == 8
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes()
    assert (out / names[0]).read_bytes().startswith(b"video_id,instance_id,query\n")


# ---------------------------------------------------------------- the demo data


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from refcat.demo.generator import read_scene, write_demo_dataset

    root = write_demo_dataset(
        tmp_path_factory.mktemp("demo"), seed=0, n_videos=9, min_frames=30, max_frames=36, width=427, height=240
    )
    scene = read_scene(root)
    rows = []
    for video_id, video in scene["videos"].items():
        classes = Counter(o["class"] for o in video["objects"].values())
        for e in video["expressions"]:
            if e["intended"] != "valid":
                continue
            trivial = classes[video["objects"][str(e["object_id"])]["class"]] == 1
            rows.append(
                (
                    video_id,
                    e["object_id"],
                    e["text"],
                    "Trivial" if trivial else "Non-trivial",
                    "Redundant Information",
                    *("1" if c in e["categories"] else "0" for c in CATEGORY_COLUMNS),
                )
            )
    labels = write_release_file(root.parent / "DEMO_RE_categorization.csv", rows)
    return root, scene, labels


def centre_x(box):
    return (box[0] + box[2]) / 2


def holds_in_scene(fact, obj, others, width, height):
    """Whether a generated fact is true of the demo object by the scene's ground truth."""
    boxes = {f: b for f, b in enumerate(obj["boxes"]) if b is not None}
    rivals = [o for o in others if o["class"] == obj["class"]]
    if fact.category == "appearance":
        return fact.value == obj["colour"]
    if fact.category == "motion":
        return obj["motion"] != "static" and (fact.value == "moving" or fact.value == obj["motion"])
    if fact.category == "static":
        return obj["motion"] == "static"
    if fact.value in ("left", "middle", "right"):
        third = ("left", "middle", "right").index(fact.value)
        if all(min(int(3 * centre_x(b) / width), 2) == third for b in boxes.values()):
            return True
        sign = {"left": -1, "right": 1}.get(fact.value)
        return sign is not None and all(
            sign * (centre_x(b) - centre_x(r["boxes"][f])) > 0
            for r in rivals
            for f, b in boxes.items()
            if r["boxes"][f] is not None
        )
    sign = {"back": -1, "front": 1}[fact.value]
    shared = [(b, r["boxes"][f]) for r in rivals for f, b in boxes.items() if r["boxes"][f] is not None]
    return bool(shared) and all(sign * (b[3] - o[3]) > 0 for b, o in shared)


def assert_whole_words_of(original, variant, added):
    """An independent reading of a well-formed edit: single spaces, every word of `variant` a whole word
    of `original` or of the added phrase (or "and" joining it, or the article fixed), no function word
    at the end that the original did not end with."""

    def words(text):
        return re.findall(r"[^\W_][\w'-]*", text.lower())

    assert "  " not in variant and variant == variant.strip(), variant
    allowed = set(words(original)) | set(words(added)) | ({"and", "a", "an"} if added else {"a", "an"})
    assert set(words(variant)) <= allowed, (original, variant, set(words(variant)) - allowed)
    last = words(variant)[-1]
    assert last == words(original)[-1] or last not in {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "and",
        "with",
        "that",
        "is",
        "to",
        "at",
        "by",
    }, variant


@pytest.mark.slow
def test_every_generated_fact_holds_in_the_demo_scene(demo):
    from refcat.datasets.readers import open_reader

    root, scene, labels = demo
    res = aug.res_from_release(read_release(labels), "demo")
    variants = aug.build_variants(res, aug.reader_facts(open_reader("demo", root)))
    checked = Counter()
    for v in variants:
        if v.fact is None:
            continue
        video = scene["videos"][v.video_id]
        obj = video["objects"][str(v.object_id)]
        others = [o for k, o in video["objects"].items() if k != str(v.object_id)]
        assert holds_in_scene(v.fact, obj, others, scene["width"], scene["height"]), (v, obj["colour"], obj["motion"])
        assert v.fact.phrase in v.text and v.original_side == "without"
        checked[v.fact.category] += 1
    assert set(checked) == {"appearance", "location", "motion", "static"}, checked
    assert sum(checked.values()) >= 50
    # every variant is well-formed or flagged, non-ASCII REs (annot2's "crème", Latin-1 on disk) included
    assert any(not r.text.isascii() for r in res)
    non_ascii = [v for v in variants if not v.original.isascii() and v.text is not None]
    assert non_ascii
    for v in variants:
        if v.text is None:
            continue
        problems = malformations(v.original, v.text, v.added)
        assert (aug.MALFORMED in v.flags) == bool(problems), (v, problems)
        if not v.flags:
            assert_whole_words_of(v.original, v.text, v.added or "")
    # removals flip their category and keep the others (the categorizer check), or are flagged
    for v in variants:
        if v.original_side == "with" and v.text is not None and not v.flags:
            assert aug.check_variant(v.original, v.text, v.category, "without") == []


@pytest.mark.slow
def test_cli_on_the_demo_data_reports(demo, tmp_path, capsys):
    root, _, labels = demo
    out = tmp_path / "a2dre"
    assert (
        main(["augment", "--input", str(labels), "--out-dir", str(out), "--root", str(root), "--dataset", "demo"]) == 0
    )
    printed = capsys.readouterr().out
    table = read_a2dre_plus(out)
    tidy = pd.read_csv(out / aug.tidy_file("demo"), keep_default_na=False)
    report = {
        line.rsplit(None, 1)[0].strip(): int(line.rsplit(None, 1)[1])
        for line in printed.split("wrote ", 1)[1].splitlines()[1:]
    }
    assert report["in the A2Dre+ files"] == len(table) // 2
    generated = tidy[tidy.origin == "generated"]
    assert report["generated"] == len(generated) > 0
    assert report["flagged"] == (tidy["flags"] != "").sum()
    assert report["accepted unchanged"] == report["edited"] == 0


def demo_rows_with_edits(labels, tmp_path):
    """The demo label file with one text in other case and spacing (still the same RE) and one text no
    instance has (a made-up key)."""
    df = read_release(labels)
    i = df.index[df["ref_exp"] == "a little crème dog sitting down on the left side of the picture"][0]
    df.loc[i, "ref_exp"] = "A little  Crème dog sitting down on the left side of the picture "
    j = df.index[(df["ref_exp_difficulty"] == "Non-trivial") & (df.index != i)][0]
    df.loc[j, "ref_exp"] = "a dog nobody wrote"
    path = tmp_path / "edited.csv"
    write_release(df, path)
    return path, df, i, j


def check_matched_tidy(tidy, scene, df, i, j):
    from refcat.datasets.records import text_key

    by_key = {}
    for video_id, video in scene["videos"].items():
        for e in video["expressions"]:
            by_key[f"demo/{video_id}/{e['object_id']}/{e['source']}"] = e["text"]
    originals = tidy[tidy.origin == "original"]
    made_up = originals[~originals["matched"]]
    assert set(made_up["phrase"]) == {"a dog nobody wrote"}
    video_id, object_id = df.loc[j, "video_id"], df.loc[j, "instance_id"]
    k = ((df.loc[: j - 1, "video_id"] == video_id) & (df.loc[: j - 1, "instance_id"] == object_id)).sum()
    assert set(made_up["instance"]) == {f"demo/{video_id}/{object_id}/re{k}"}
    matched = originals[originals["matched"]]
    assert len(matched) > 20
    for key, phrase in zip(matched["instance"], matched["phrase"]):
        assert text_key(by_key[key]) == text_key(phrase)  # a real instance with the same RE
    creme = matched[matched["phrase"] == df.loc[i, "ref_exp"]]
    assert set(creme["instance"]) == {"demo/two-dogs/2/annot2"}


@pytest.mark.slow
def test_tidy_table_names_the_real_instances_from_root(demo, tmp_path, capsys):
    root, scene, labels = demo
    path, df, i, j = demo_rows_with_edits(labels, tmp_path)
    out = tmp_path / "a2dre"
    assert (
        main(
            [
                "augment",
                "--input",
                str(path),
                "--out-dir",
                str(out),
                "--root",
                str(root),
                "--dataset",
                "demo",
                "--db",
                str(tmp_path / "absent.db"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    n = (df["ref_exp_difficulty"] == "Non-trivial").sum()
    assert f"{n - 1} of {n} non-trivial REs matched to an instance (--root); 1 with a made-up key" in printed
    assert re.search(r"^REs with a made-up key +1$", printed, re.M)
    check_matched_tidy(pd.read_csv(out / aug.tidy_file("demo"), keep_default_na=False), scene, df, i, j)


@pytest.mark.slow
def test_tidy_table_names_the_real_instances_from_the_store(demo, tmp_path, capsys):
    from refcat.datasets.readers import open_reader
    from refcat.store.database import open_store
    from refcat.store.importing import import_reader

    root, scene, labels = demo
    db = tmp_path / "store.db"
    import_reader(open_store(db), open_reader("demo", root))
    path, df, i, j = demo_rows_with_edits(labels, tmp_path)
    out = tmp_path / "a2dre"
    assert main(["augment", "--input", str(path), "--out-dir", str(out), "--dataset", "demo", "--db", str(db)]) == 0
    n = (df["ref_exp_difficulty"] == "Non-trivial").sum()
    assert f"{n - 1} of {n} non-trivial REs matched to an instance (the store)" in capsys.readouterr().out
    check_matched_tidy(pd.read_csv(out / aug.tidy_file("demo"), keep_default_na=False), scene, df, i, j)
