"""`refcat agreement` on a campaign with both rounds and on a CSV with a round column, and the
admin page's agreement tab (issue 18). The figures are computed by hand below."""

import json

import pandas as pd
import pytest
from helpers.annotate_store import DUO_A, DUO_B, DUO_C, populate

from refcat.cli import main

USERS = ("ann1", "ann2", "ann3")
# Round 1 difficulty (t = trivial, n = non-trivial), ann1..ann3:  DUO_A n n t,  DUO_B t t t,  DUO_C n n n.
# Round 2: ann3 revises DUO_A to n. Correctness: valid from everyone in both rounds.
#
# Round 1: percent agreement (Gwet's p_a) = mean(1/3, 1, 1) = 7/9. Conger's chance agreement with
# each annotator's shares of n (2/3, 2/3, 1/3) and t (1/3, 1/3, 2/3):
#   p_e = ([(5/3)^2 - 9/9] + [(4/3)^2 - 6/9]) / (3 * 2) = 13/27,  kappa = (7/9 - 13/27) / (14/27) = 4/7.
# Round 2: every answer agrees and both categories are used: kappa 1, percent agreement 1.
FIRST = {DUO_A: ["non-trivial", "non-trivial", "trivial"], DUO_B: ["trivial"] * 3, DUO_C: ["non-trivial"] * 3}


@pytest.fixture
def revised(tmp_path):
    from refcat.annotate.campaigns import close_round, create_campaign
    from refcat.annotate.labels import record_answer
    from refcat.store.database import open_store

    db = tmp_path / "store.db"
    store = open_store(db)
    populate(store)
    create_campaign(store, "c1", list(FIRST), list(USERS), question_sets=("difficulty",), auto_trivial=False)
    for key, values in FIRST.items():
        for user, value in zip(USERS, values):
            record_answer(store, user, "c1", key, "difficulty", value)
            record_answer(store, user, "c1", key, "correctness", "valid")
    close_round(store, "c1", "boss")
    record_answer(store, "ann3", "c1", DUO_A, "difficulty", "non-trivial")
    store.dispose()
    return f"sqlite:///{db}"


def test_campaign_report_has_header_revision_and_plot(revised, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["agreement", "--db", revised, "--campaign", "c1", "--n-boot", "0", "--seed", "5"]
    assert main([*argv, "--json", "--out-dir", str(out)]) == 0
    objects = {o["field"]: o for o in map(json.loads, capsys.readouterr().out.splitlines())}
    difficulty = objects["difficulty"]
    header = difficulty["report"]
    assert (header["campaign"], header["round"], header["annotators"], header["n_items"]) == ("c1", 2, list(USERS), 3)
    assert (header["n_boot"], header["seed"]) == (0, 5)
    revision = difficulty["revision"]
    assert revision["kappa_round1"] == pytest.approx(4 / 7) and revision["kappa_round2"] == pytest.approx(1.0)
    assert revision["kappa_change"] == pytest.approx(3 / 7)
    assert revision["percent_round1"] == pytest.approx(7 / 9) and revision["percent_change"] == pytest.approx(2 / 9)
    correctness = objects["correctness"]
    assert correctness["percent_agreement"]["value"] == 1.0 and correctness["davies_fleiss_kappa"]["value"] is None
    assert correctness["notes"][0].startswith("Perfect agreement")
    assert {p.name for p in out.iterdir()} >= {"agreement.md", "agreement.json", "agreement_forest.png"}
    markdown = (out / "agreement.md").read_text()
    assert "| difficulty | 0.571 | 1.000 | +0.429 | 77.8% | 100.0% | +22.2 pp |" in markdown
    assert "| correctness | — | — | — | 100.0% | 100.0% | +0.0 pp |" in markdown
    assert main([*argv, "--round", "1"]) == 0
    printed = capsys.readouterr().out
    assert "| round | round 1 (first answers) |" in printed and "## Revision" in printed
    assert main([*argv, "--round", "3"]) == 2
    assert "campaign 'c1' has no round 3" in capsys.readouterr().err


def test_csv_with_a_round_column(tmp_path, capsys):
    rows = [
        (key, user, "difficulty", value, number)
        for number in (1, 2)
        for key, values in FIRST.items()
        for user, value in zip(USERS, values)
    ]
    table = pd.DataFrame(rows, columns=["item", "annotator", "field", "label", "round"])
    table.loc[(table["round"] == 2) & (table["item"] == DUO_A) & (table["annotator"] == "ann3"), "label"] = (
        "non-trivial"
    )
    path = tmp_path / "rounds.csv"
    table.to_csv(path, index=False)
    assert main(["agreement", "--input", str(path), "--n-boot", "0", "--json"]) == 0
    (obj,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert obj["report"]["round"] == 2 and obj["report"]["campaign"] is None
    assert obj["revision"]["kappa_round1"] == pytest.approx(4 / 7) and obj["davies_fleiss_kappa"]["value"] == 1.0
    assert main(["agreement", "--input", str(path), "--n-boot", "0", "--round", "1", "--json"]) == 0
    (obj,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert obj["davies_fleiss_kappa"]["value"] == pytest.approx(4 / 7)
    assert main(["agreement", "--input", str(path), "--round", "3"]) == 2
    assert "has no round 3" in capsys.readouterr().err
    table["round"] = table["round"].astype(str).replace("2", "second")
    table.to_csv(path, index=False)
    assert main(["agreement", "--input", str(path)]) == 2
    assert "round 'second' is not a round number" in capsys.readouterr().err
    plain = tmp_path / "plain.csv"
    table.drop(columns="round").to_csv(plain, index=False)
    assert main(["agreement", "--input", str(plain), "--round", "1"]) == 2
    assert "--round 1 needs a campaign, or a round column" in capsys.readouterr().err


def test_admin_page_shows_the_report_and_the_plot(revised, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("REFCAT_DB", revised)

    def script():
        import os

        from refcat.annotate.accounts import get_user
        from refcat.annotate.ui import admin
        from refcat.store.database import open_store

        db = open_store(os.environ["REFCAT_DB"])
        admin.render(db, get_user(db, "boss"))

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    revision = next(f for f in frames if "kappa_round1" in f.columns).set_index("field")
    assert revision.loc["Difficulty", "kappa_round1"] == pytest.approx(4 / 7)  # by its display name
    assert revision.loc["Difficulty", "percent_round2"] == pytest.approx(1.0)
    annotators = next(f for f in frames if "mean_cohen_kappa" in f.columns and "annotator" in f.columns)
    assert sorted(annotators["annotator"].unique()) == list(USERS)
    header = next(f for f in frames if list(f.columns) == ["item", "value"]).set_index("item")["value"]
    assert header["campaign"] == "c1" and header["round"] == "2"
    assert any("Davies & Fleiss' kappa" in m.value for m in at.markdown)
    assert [image.captions for image in at.get("image")] == [["Forest plot"]]


def test_ordinal_field_gets_ordinal_alpha_on_its_numeric_scale(tmp_path, capsys):
    # Two coders, scale 1 < 2 < 10: u1 (1, 1), u2 (2, 10), u3 (10, 10). Coincidences o(2,10) = o(10,2) = 1;
    # n_1 = 2, n_2 = 1, n_10 = 3, n = 6. Ordinal distances d^2(c, k) = (sum of n_g from c to k - (n_c + n_k)/2)^2:
    # d(1,2) = 1.5^2, d(1,10) = 3.5^2, d(2,10) = 2^2. alpha = 1 - (n - 1) * 2 * 4 / (2 * (2*2.25 + 6*12.25 + 3*4))
    # = 1 - 40/180 = 7/9; nominal alpha = 1 - 5 * 2 / (36 - 14) = 6/11.
    rows = [
        (u, c, "quality", v)
        for u, pair in (("u1", "1 1"), ("u2", "2 10"), ("u3", "10 10"))
        for c, v in zip("ab", pair.split())
    ]
    path = tmp_path / "quality.csv"
    pd.DataFrame(rows, columns=["item", "annotator", "field", "label"]).to_csv(path, index=False)
    assert main(["agreement", "--input", str(path), "--n-boot", "0", "--ordinal", "quality", "--json"]) == 0
    (obj,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert obj["krippendorff_alpha_ordinal"]["value"] == pytest.approx(7 / 9)
    assert obj["krippendorff_alpha"]["value"] == pytest.approx(6 / 11)
    assert obj["report"]["ordinal_fields"] == ["quality"]
    assert main(["agreement", "--input", str(path), "--n-boot", "0", "--json"]) == 0
    (obj,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert obj["krippendorff_alpha_ordinal"] is None
    words = tmp_path / "words.csv"
    words.write_text("item,annotator,field,label\nx,a,colour,red\nx,b,colour,blue\n")
    assert main(["agreement", "--input", str(words), "--ordinal", "colour"]) == 2
    assert "the ordinal field 'colour' has the label 'red'" in capsys.readouterr().err
