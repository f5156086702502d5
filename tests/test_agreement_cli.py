"""`refcat agreement` and `refcat consensus` end to end, from CSV files and from the store."""

import json

import numpy as np
import pandas as pd
import pytest

from refcat.analysis.agreement_report import (
    agreement_by_field,
    report_markdown,
    summary_line,
)
from refcat.cli import main
from refcat.datasets.release import read_release
from refcat.taxonomy import FIELD_VALUES

KEYS_FIELDS = ("fleiss_kappa", "davies_fleiss_kappa", "krippendorff_alpha", "mean_cohen_kappa")


def re_labels(n_items=40, seed=0, annotators="abc", p_agree=0.85):
    """Answers to every RE question by three annotators, agreeing with a latent label 85% of the time."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_items):
        key = f"davis/video-{i}/{1 + i % 3}/annot1"
        for field, values in FIELD_VALUES.items():
            truth = rng.integers(len(values))
            for a in annotators:
                v = truth if rng.random() < p_agree else rng.integers(len(values))
                rows.append((key, a, field, values[v], f"expression {i}"))
    return pd.DataFrame(rows, columns=["item", "annotator", "field", "label", "text"])


def test_agreement_json_has_one_object_per_field(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    re_labels().to_csv(path, index=False)
    assert main(["agreement", "--input", str(path), "--json", "--bootstrap", "100"]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["field"] for o in objects] == list(FIELD_VALUES)
    for o in objects:
        assert o["n_items"] == 40 and o["n_annotators"] == 3
        for name in KEYS_FIELDS:
            assert {"value", "se", "ci_low", "ci_high"} <= set(o[name])
            assert o[name]["ci_low"] <= o[name]["value"] <= o[name]["ci_high"]
    expected = agreement_by_field(re_labels(), n_boot=100)
    assert objects[0]["davies_fleiss_kappa"]["value"] == pytest.approx(expected["difficulty"].davies_fleiss.value)
    assert objects[3]["positives"] == expected["appearance"].positives


def test_agreement_writes_csv_and_markdown(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    re_labels().to_csv(path, index=False)
    assert main(["agreement", "--input", str(path), "--bootstrap", "0", "--out-dir", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "## obj-static" in printed and "Davies & Fleiss' kappa between" in printed
    frame = pd.read_csv(tmp_path / "out" / "agreement.csv")
    assert set(frame["field"]) == set(FIELD_VALUES)
    # correctness has three categories: seven statistics (issue 18 added AC1, Brennan-Prediger
    # and percent agreement to the four) and three category kappas.
    assert (frame["field"] == "correctness").sum() == 10
    assert (frame["field"] == "motion").sum() == 7
    assert (frame["ci_method"] == "t").all()  # issue 18: analytic intervals are t(n-1)
    markdown = (tmp_path / "out" / "agreement.md").read_text()
    assert markdown.count("| davies_fleiss_kappa |") == 10
    pairwise = pd.read_csv(tmp_path / "out" / "agreement_pairwise.csv")
    assert len(pairwise) == 10 * 3


def test_summary_line_names_the_extremes():
    results = agreement_by_field(re_labels(), n_boot=0)
    values = {f: r.davies_fleiss.value for f, r in results.items()}
    low, high = min(values, key=values.get), max(values, key=values.get)
    line = summary_line(results)
    assert f"{values[low]:.2f} ({low})" in line and f"{values[high]:.2f} ({high})" in line
    assert line in report_markdown(results)


def test_agreement_input_errors(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("item,annotator,label\nx,a,yes\n")
    assert main(["agreement", "--input", str(bad)]) == 2
    assert "missing column(s) field" in capsys.readouterr().err
    assert main(["agreement"]) == 2
    assert "give --input FILE.csv, or --campaign" in capsys.readouterr().err
    assert main(["agreement", "--input", str(tmp_path / "none.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    unknown = tmp_path / "unknown.csv"
    # line 1 header, 2 a row, 3 blank, 4-5 one row whose quoted text holds a line break, 6 the bad row
    unknown.write_text(
        'item,annotator,field,label,text\nx,a,motion,yes,\n\nx,b,motion,no,"two\nlines"\n'
        "y,a,motion,perhaps,\ny,b,colour,perhaps,\n"
    )
    assert main(["agreement", "--input", str(unknown)]) == 2
    assert f"{unknown}, line 6: unknown label 'perhaps' for field 'motion'" in capsys.readouterr().err
    assert main(["consensus", "--input", str(unknown), "--output", str(tmp_path / "c.csv")]) == 2
    assert f"{unknown}, line 6: unknown label 'perhaps'" in capsys.readouterr().err


def test_yes_no_fields_take_numbers_and_booleans(tmp_path, capsys):
    words = re_labels(n_items=20, seed=5)
    spelled = words.copy()
    yes_no = spelled["field"].isin(["appearance", "motion", "static", "category"])
    spellings = {"yes": ["1", "1.0", "TRUE", "Yes", " true"], "no": ["0", "0.0", "False", "NO", "no "]}
    spelled.loc[yes_no, "label"] = [spellings[label][i % 5] for i, label in enumerate(spelled.loc[yes_no, "label"])]
    paths = {name: tmp_path / f"{name}.csv" for name in ("words", "spelled")}
    words.to_csv(paths["words"], index=False)
    spelled.to_csv(paths["spelled"], index=False)
    printed = {}
    for name, path in paths.items():
        assert main(["agreement", "--input", str(path), "--json", "--bootstrap", "0"]) == 0
        printed[name] = capsys.readouterr().out
        assert main(["consensus", "--input", str(path), "--output", str(tmp_path / f"{name}_consensus.csv")]) == 0
        capsys.readouterr()
    # issue 18: each object carries the report header, whose source names the file read
    lines = {name: [json.loads(line) for line in text.splitlines()] for name, text in printed.items()}
    assert [o.pop("report")["source"] for o in lines["spelled"]] == [str(paths["spelled"])] * len(FIELD_VALUES)
    assert [o.pop("report")["source"] for o in lines["words"]] == [str(paths["words"])] * len(FIELD_VALUES)
    assert lines["spelled"] == lines["words"]
    consensus = {name: pd.read_csv(tmp_path / f"{name}_consensus.csv", keep_default_na=False) for name in paths}
    pd.testing.assert_frame_equal(consensus["spelled"], consensus["words"])
    motion = consensus["spelled"][consensus["spelled"]["field"] == "motion"]
    assert set(motion["label"]) == {"yes", "no"}
    two = tmp_path / "two.csv"
    two.write_text("item,annotator,field,label\nx,a,motion,2\n")  # not a yes/no spelling
    assert main(["agreement", "--input", str(two)]) == 2
    assert "line 2: unknown label '2' for field 'motion' (expected one of yes, no (or 1/0" in capsys.readouterr().err


def test_consensus_cli_long_csv_and_release(tmp_path, capsys):
    labels = re_labels(n_items=12, seed=3, p_agree=0.7)
    # Annotator c skips the first six items: two answers can tie.
    labels = labels[~((labels["annotator"] == "c") & labels["item"].str.match(r"davis/video-[0-5]/"))]
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)
    out, rel = tmp_path / "consensus.csv", tmp_path / "DEMO_RE_categorization.csv"
    assert (
        main(["consensus", "--input", str(path), "--min-votes", "2", "--output", str(out), "--release", str(rel)]) == 0
    )
    printed = capsys.readouterr().out
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == ["item", "field", "label", "votes", "n_answers", "status"]
    assert len(table) == 12 * len(FIELD_VALUES)
    assert ((table["status"] == "ok") == (table["label"] != "")).all()
    release = read_release(rel).set_index("video_id")
    left_out = set(pd.read_csv(tmp_path / "DEMO_RE_categorization_left_out.csv")["item"])
    assert f"{len(left_out)} left out for lack of consensus" in printed
    decided = {(r.item, r.field): r.label for r in table.itertuples() if r.status == "ok"}
    for i in range(12):
        key, video = f"davis/video-{i}/{1 + i % 3}/annot1", f"video-{i}"
        correctness = decided.get((key, "correctness"))
        valid = correctness == "valid"
        complete = correctness is not None and (
            not valid or all((key, f) in decided for f in ("difficulty", "information"))
        )
        assert (video in release.index) == complete
        assert (key in left_out) == (not complete)
        if not complete:
            continue
        row = release.loc[video]
        assert row["instance_id"] == 1 + i % 3 and row["ref_exp"] == f"expression {i}"
        if not valid:
            assert row["ref_exp_difficulty"] in ("Not a Referring Expression", "Incorrect Referring Expression")
            assert row["ref_exp_information"] == "Not Applicable"
        else:
            assert (
                row["ref_exp_difficulty"]
                == {"trivial": "Trivial", "non-trivial": "Non-trivial"}[decided[key, "difficulty"]]
            )
        for category in ("appearance", "obj-static", "category", "location", "motion", "obj-motion", "static"):
            label = decided.get((key, category)) if valid else None
            assert pd.isna(row[category]) if label is None else row[category] == int(label == "yes")
    assert 0 < len(release) < 12


def test_agreement_from_the_store(tmp_path, capsys):
    from helpers.annotate_store import KEYS, populate

    from refcat.annotate.campaigns import create_campaign
    from refcat.annotate.labels import questions_for, record_answer
    from refcat.store.database import open_store

    db = tmp_path / "store.db"
    store = open_store(db)
    populate(store)
    create_campaign(store, "c1", KEYS, ["ann1", "ann2", "ann3"], auto_trivial=False, question_sets=("difficulty",))
    answers = {}
    for i, key in enumerate(KEYS):
        for field in questions_for(store, "c1", key):
            for j, user in enumerate(("ann1", "ann2", "ann3")):
                values = FIELD_VALUES[field]
                value = values[0] if (i + j) % 4 else values[1]
                record_answer(store, user, "c1", key, field, value)
                answers[key, user, field] = value
    store.dispose()
    assert (
        main(["agreement", "--db", f"sqlite:///{db}", "--campaign", "c1", "--round", "1", "--json", "--bootstrap", "0"])
        == 0
    )
    objects = {o["field"]: o for o in map(json.loads, capsys.readouterr().out.splitlines())}
    assert set(objects) == {f for _, _, f in answers}
    long = pd.DataFrame(
        [(k, u, f, v) for (k, u, f), v in answers.items()], columns=["item", "annotator", "field", "label"]
    )
    direct = agreement_by_field(long, n_boot=0)
    for field, o in objects.items():
        assert o["n_items"] == len(KEYS)
        expected = direct[field].krippendorff.value
        assert o["krippendorff_alpha"]["value"] == (None if np.isnan(expected) else pytest.approx(expected))


def test_field_outside_the_taxonomy_counts_its_rarest_label():
    rows = [(f"i{i}", a, "colour", "red" if (i + (a == "b")) % 4 else "blue") for i in range(12) for a in "ab"]
    results = agreement_by_field(pd.DataFrame(rows, columns=["item", "annotator", "field", "label"]), n_boot=0)
    colour = results["colour"]
    assert colour.positive == "blue"
    assert colour.positives == {"a": 3, "b": 3}  # a: i = 0, 4, 8; b: i = 3, 7, 11
    assert colour.mean_cohen.value == pytest.approx(-1 / 3)  # p_o = 1/2, p_e = (1/4)^2 + (3/4)^2 = 5/8
