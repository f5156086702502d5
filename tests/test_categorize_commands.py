"""`refcat categorize` and `refcat categorize-train` on files in the released format."""

import csv
import json

import pytest
from helpers.release import RELEASE_HEADER, write_release_lines

from refcat.categorize.table import read_expressions
from refcat.cli import main
from refcat.errors import FormatError, UsageError

ROWS = [
    "blackswan;1;a black feathered swan;Trivial (Single Object Category);Redundant Information;"
    "1.0;0.0;1.0;0.0;0.0;0.0;0.0",
    "-7EE9T3Z0qk;0;the child is crawling up onto the sofa;Non-trivial;Redundant Information;"
    "0.0;0.0;1.0;1.0;1.0;0.0;0.0",
    "2G9DODKHHIM;0;seagull standing in the back;Not a Referring Expression;Not Applicable;;;;;;;",
    # the human label says no motion: the one disagreement
    "XQ2WJo8sLEw;2;the person in gray is walking;Non-trivial;Minimum Information;1;0;1;0;0;0;0",
]


@pytest.fixture
def release_file(tmp_path):
    return write_release_lines(tmp_path / "A2D_RE_categorization.csv", ROWS)


def read_output(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh, delimiter=";"))


def test_categorize_release_file_with_eval(release_file, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["categorize", "--input", str(release_file), "--output", str(out), "--eval"]) == 0
    assert out.read_bytes().count(b"\r\n") == 5
    rows = read_output(out)
    assert rows[0] == RELEASE_HEADER.split(";") + ["evidence"]
    swan, child, seagull, person = rows[1:]
    assert swan[:5] == [
        "blackswan",
        "1",
        "a black feathered swan",
        "Trivial (Single Object Category)",
        "Redundant Information",
    ]  # trivial: any cue beyond the category is redundant
    assert swan[5:12] == ["1", "0", "1", "0", "0", "0", "0"]
    assert json.loads(swan[12]) == {"appearance": ["black", "feathered"], "category": ["swan"]}
    assert child[5:12] == ["0", "0", "1", "1", "1", "0", "0"]
    assert json.loads(child[12])["location"] == ["onto the sofa"]
    assert seagull[3:12] == ["Not a Referring Expression", "Not Applicable", "0", "0", "1", "1", "0", "0", "1"]
    assert person[5:12] == ["1", "0", "1", "0", "1", "0", "0"]
    report = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in report.splitlines() if line.split()}
    # motion over the 3 labelled rows: reference 0,1,0, predicted 0,1,1 -> tp 1, fp 1, fn 0;
    # kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4
    assert lines["motion"][1:] == ["3", "1", "1", "0", "0.500", "1.000", "0.667", "0.400"]
    assert lines["appearance"][1:] == ["3", "2", "0", "0", "1.000", "1.000", "1.000", "1.000"]


def test_categorize_any_csv_with_ref_exp(tmp_path):
    src = tmp_path / "res.csv"
    src.write_text('ref_exp\n"a blue, red and white car is jumping on the air"\nthe right one\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["categorize", "--input", str(src), "--output", str(out)]) == 0
    rows = read_output(out)
    assert rows[1][:4] == ["", "0", "a blue, red and white car is jumping on the air", "Non-trivial"]
    assert rows[1][5:12] == ["1", "0", "1", "1", "1", "0", "0"]
    assert rows[2][1] == "1" and rows[2][5:12] == ["0", "0", "0", "1", "0", "0", "0"]
    # the output reads back as a generic CSV
    again = read_expressions(out)
    assert again["location"].tolist() == [1, 1]


def test_eval_without_labels_says_so(tmp_path, capsys):
    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na dog\n", encoding="utf-8")
    assert main(["categorize", "--input", str(src), "--output", str(tmp_path / "o.csv"), "--eval"]) == 1
    assert "no category labels" in capsys.readouterr().out


def test_bad_input_names_line_and_expectation(tmp_path):
    src = tmp_path / "res.csv"
    src.write_text("ref_exp,motion\na dog,1\na cat,yes\n", encoding="utf-8")
    with pytest.raises(FormatError, match="line 3"):
        read_expressions(src)
    no_col = tmp_path / "nocol.csv"
    no_col.write_text("text\na dog\n", encoding="utf-8")
    assert main(["categorize", "--input", str(no_col), "--output", str(tmp_path / "o.csv")]) == 2


def test_train_then_categorize_with_model(release_file, tmp_path):
    model = tmp_path / "m.joblib"
    train = tmp_path / "train.csv"
    lines = (
        ["ref_exp,motion,static"]
        + [f"a dog {v},1,0" for v in ("running", "walking", "jumping")]
        + [f"a dog {v},0,1" for v in ("sitting", "standing", "lying")]
    )
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["categorize-train", "--input", str(train), "--output", str(model)]) == 0
    out = tmp_path / "out.csv"
    assert main(["categorize", "--input", str(release_file), "--output", str(out), "--model", str(model)]) == 0
    rows = read_output(out)
    assert rows[2][9] == "1" and rows[3][11] == "1"  # crawling moves, standing is static


def test_output_reads_back_as_a_release_and_feeds_augment(release_file, tmp_path, capsys):
    from refcat.datasets.release import read_release, write_release

    out = tmp_path / "out.csv"
    assert main(["categorize", "--input", str(release_file), "--output", str(out)]) == 0
    df = read_release(out)
    assert list(df.columns) == RELEASE_HEADER.split(";") + ["evidence"]
    assert json.loads(df.loc[0, "evidence"]) == {"appearance": ["black", "feathered"], "category": ["swan"]}
    assert df["motion"].tolist() == [0, 1, 0, 1]
    again = tmp_path / "again.csv"
    write_release(df, again)
    assert again.read_bytes() == out.read_bytes()
    # the predicted labels feed the A2Dre+ builder: two non-trivial REs
    capsys.readouterr()
    assert main(["augment", "--input", str(out), "--out-dir", str(tmp_path / "a2dre")]) == 0
    assert "2 non-trivial REs -> 8 variants" in capsys.readouterr().out


def test_with_a_model_the_rules_run_once_a_row(release_file, tmp_path, monkeypatch):
    from refcat.categorize import learned, rules, table
    from refcat.categorize.learned import LearnedCategorizer

    train = tmp_path / "train.csv"
    train.write_text("ref_exp,motion\na dog running,1\na dog sitting,0\n", encoding="utf-8")
    model = LearnedCategorizer().fit(read_expressions(train))
    calls = []

    def counting_all(texts, reader=rules.DEFAULT_READER):
        calls.extend(texts)
        return rules.categorize_all(texts, reader)

    monkeypatch.setattr(table, "categorize_all", counting_all)
    monkeypatch.setattr(learned, "categorize_all", counting_all)
    labels = read_expressions(release_file)
    out = table.categorize_table(labels, model)
    assert sorted(calls) == sorted(labels["ref_exp"])
    assert out["category"].tolist() == [1, 1, 1, 1]  # no model for category: the rules' labels
    assert json.loads(out.loc[1, "evidence"])["location"] == ["onto the sofa"]


def test_review_threshold_marks_low_confidence_decisions(tmp_path, capsys):
    from refcat.categorize.confidence import CONFIDENCE

    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na man walking\nthe dog next to the man walking\na man with a camera\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    args = ["categorize", "--input", str(src), "--output", str(out), "--review-threshold", "0.85"]
    assert main(args) == 0
    rows = read_output(out)
    assert rows[0][-2:] == ["evidence", "needs_review"]
    # the dog's "no motion" hinged on giving the walking to the man; the camera's obj-static on a "with" phrase
    assert CONFIDENCE["parse"]["motion"]["no?"] < 0.85 and CONFIDENCE["parse"]["obj-static"]["yes?"] < 0.85
    assert [r[-1] for r in rows[1:]] == ["", "motion", "obj-static"]
    assert json.loads(rows[3][12]) == {"category": ["man"], "obj-static": ["with a camera"]}  # evidence kept
    report = capsys.readouterr().out
    assert "2 decisions in 2 of 3 REs need review (confidence < 0.85; column needs_review)" in report
    # without the option there is no such column
    assert main(["categorize", "--input", str(src), "--output", str(out)]) == 0
    assert read_output(out)[0][-1] == "evidence"
    # below a threshold of 1, every RE has some decision to review
    assert main(args[:-1] + ["1"]) == 0
    assert all(r[-1] for r in read_output(out)[1:])


@pytest.mark.parametrize("reader, motion, static", [("words", "0", "1"), ("parse", "1", "0")])
def test_reader_option_selects_the_reading(tmp_path, capsys, reader, motion, static):
    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na small bird flying fastest towards the right\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["categorize", "--input", str(src), "--output", str(out), "--reader", reader]) == 0
    row = read_output(out)[1]
    assert (row[9], row[11]) == (motion, static)  # "fastest" is the verb's object only to the word reader
    assert f"({reader} reader)" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "high"])
def test_review_threshold_must_be_a_probability(tmp_path, capsys, bad):
    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na dog\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["categorize", "--input", str(src), "--output", str(tmp_path / "o.csv"), "--review-threshold", bad])
    assert exit_info.value.code == 2
    assert "is not a number between 0 and 1" in capsys.readouterr().err


def test_with_a_model_the_table_uses_its_decisions(tmp_path):
    """Labels, confidence (needs_review) and source come from `model.decide`; the rules it is handed are read
    by the model's own reader, once."""
    import pandas as pd

    from refcat.categorize.learned import Prediction
    from refcat.categorize.table import categorize_table
    from refcat.taxonomy import CATEGORY_NAMES

    calls = []

    class Model:
        reader = "words"

        def decide(self, texts, rule_results=None):
            calls.append((list(texts), rule_results))
            n = len(texts)
            labels = pd.DataFrame({c: [int(c == "motion")] * n for c in CATEGORY_NAMES})
            confidence = pd.DataFrame({c: [0.99] * n for c in CATEGORY_NAMES})
            confidence.loc[1, "motion"] = 0.6
            source = pd.DataFrame({c: ["learned" if c == "motion" else "rules"] * n for c in CATEGORY_NAMES})
            return Prediction(labels, confidence, source)

    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na small bird flying fastest towards the right\na dog sitting\n", encoding="utf-8")
    out = categorize_table(read_expressions(src), Model(), review_threshold=0.8)
    ((texts, results),) = calls
    assert texts == ["a small bird flying fastest towards the right", "a dog sitting"]
    # the word reader's reading: "fastest" taken as the verb's object (the parse reader reads motion)
    assert results[0].labels["static"] and not results[0].labels["motion"]
    assert out["motion"].tolist() == [1, 1] and out["static"].tolist() == [0, 0]
    assert json.loads(out.loc[1, "evidence"]) == {"motion": []}  # a learned positive the rules did not find
    assert json.loads(out.loc[0, "source"]) == {c: "learned" if c == "motion" else "rules" for c in CATEGORY_NAMES}
    assert out["needs_review"].tolist() == ["", "motion"]
    with pytest.raises(UsageError, match="'words' reader"):
        categorize_table(read_expressions(src), Model(), reader="parse")


def test_categorize_with_a_model_reads_with_the_models_reader(tmp_path, capsys):
    model = tmp_path / "m.joblib"
    train = tmp_path / "train.csv"
    train.write_text(
        "ref_exp,motion\n" + "".join(f"a dog {v},{m}\n" for v, m in (("running", 1), ("sitting", 0)) * 3),
        encoding="utf-8",
    )
    assert main(["categorize-train", "--input", str(train), "--output", str(model), "--reader", "words"]) == 0
    src = tmp_path / "res.csv"
    src.write_text("ref_exp\na small bird flying fastest towards the right\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    capsys.readouterr()
    assert main(["categorize", "--input", str(src), "--output", str(out), "--model", str(model)]) == 0
    assert "(words reader)" in capsys.readouterr().out
    header, row = read_output(out)
    assert header[-2:] == ["evidence", "source"]
    sources = json.loads(row[-1])
    assert sources["static"] == "rules" and row[11] == "1"  # the word reader's static from "fastest"
    assert (
        main(["categorize", "--input", str(src), "--output", str(out), "--model", str(model), "--reader", "parse"]) == 2
    )
    assert "trained on the 'words' reader's labels" in capsys.readouterr().err
