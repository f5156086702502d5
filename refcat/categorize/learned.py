"""A learned RE categorizer trained on the project's own consensus labels.

One logistic regression per category (scikit-learn) over the text features and the
rule-based categorizer's seven outputs (refcat.categorize.rules), so that the model
starts from the rules and learns where the annotators read them differently.
Text features: TF-IDF of word 1-2-grams (`features="tfidf"`, the default) or MiniLM
sentence embeddings (`features="minilm"`). The embedding function is passed in (`embed=`),
so that this module needs no torch: the CLI passes refcat.refvos_model.sentence_embeddings.encode.

Training data: a table with a `ref_exp` column and the category columns of the released
format (0/1, pd.NA where not labelled, as `refcat.datasets.release.read_release` gives);
rows without a label for a category are left out of that category's model. A category
with a single label value in the training rows is predicted as that constant.
Models are saved with joblib as a dict with a format version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from refcat.categorize.rules import Categorization, categorize
from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.taxonomy import CATEGORY_NAMES

FORMAT_VERSION = 1
FEATURES = ("tfidf", "minilm")
Embed = Callable[[list[str]], np.ndarray]  # texts -> (n, d) sentence embeddings


def rule_features(texts: Sequence[str], rule_results: Sequence[Categorization] | None = None) -> np.ndarray:
    """(n, 7) 0/1 matrix of the rule-based labels, columns in CATEGORY_NAMES order; `rule_results`: the
    rules' results for `texts` when the caller has them already."""
    rows = [r.labels for r in rule_results] if rule_results is not None else [categorize(t).labels for t in texts]
    return np.array([[r[c] for c in CATEGORY_NAMES] for r in rows], dtype=float).reshape(-1, len(CATEGORY_NAMES))


class LearnedCategorizer:
    def __init__(self, features: str = "tfidf", C: float = 1.0, embed: Embed | None = None) -> None:
        if features not in FEATURES:
            raise UsageError(f"unknown features {features!r}", expected=" or ".join(FEATURES))
        self.features = features
        self.embed = embed
        self.C = C
        self.vectorizer: TfidfVectorizer | None = None
        self.models: dict[str, LogisticRegression | int] = {}

    def _matrix(self, texts: Sequence[str], fit: bool = False, rule_results: Sequence[Categorization] | None = None):
        rules = rule_features(texts, rule_results)
        if self.features == "minilm":
            if self.embed is None:
                raise UsageError("minilm features need a sentence-embedding function", expected="embed=...")
            return np.hstack([self.embed(list(texts)), rules])
        if fit:
            self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
            text = self.vectorizer.fit_transform(texts)
        elif self.vectorizer is None:
            raise UsageError("the categorizer has no model", expected="fit() or load() before predict()")
        else:
            text = self.vectorizer.transform(texts)
        return sparse.hstack([text, sparse.csr_matrix(rules)]).tocsr()

    def fit(self, labels: pd.DataFrame) -> LearnedCategorizer:
        """Train on a table with `ref_exp` and any of the seven category columns."""
        if "ref_exp" not in labels.columns:
            raise UsageError("training table has no ref_exp column", expected="a released label table")
        present = [c for c in CATEGORY_NAMES if c in labels.columns]
        if not present:
            raise UsageError("training table has no category column", expected=", ".join(CATEGORY_NAMES))
        texts = labels["ref_exp"].astype(str).tolist()
        X = self._matrix(texts, fit=True)
        self.models = {}
        for cat in present:
            y = pd.to_numeric(labels[cat], errors="coerce").to_numpy(dtype=float)
            keep = ~np.isnan(y)
            if not keep.any():
                continue
            values = np.unique(y[keep]).astype(int)
            if len(values) == 1:
                self.models[cat] = int(values[0])
                continue
            model = LogisticRegression(C=self.C, max_iter=1000, class_weight="balanced")
            self.models[cat] = model.fit(X[np.flatnonzero(keep)], y[keep].astype(int))
        return self

    def predict(self, texts: Sequence[str], rule_results: Sequence[Categorization] | None = None) -> pd.DataFrame:
        """0/1 predictions, one column per category; categories without a model fall back to the rules.
        `rule_results`: `categorize(t)` for each text when the caller has run the rules already (not run again)."""
        texts = [str(t) for t in texts]
        X = self._matrix(texts, rule_results=rule_results)
        rules = X[:, -len(CATEGORY_NAMES) :]
        rules = rules.toarray() if sparse.issparse(rules) else rules
        out = {}
        for k, cat in enumerate(CATEGORY_NAMES):
            model = self.models.get(cat)
            if model is None:
                out[cat] = rules[:, k].astype(int)
            elif isinstance(model, int):
                out[cat] = np.full(len(texts), model, dtype=int)
            else:
                out[cat] = model.predict(X).astype(int)
        return pd.DataFrame(out, columns=list(CATEGORY_NAMES))

    def save(self, path: str | Path) -> None:
        joblib.dump(
            {
                "format": "refcat-learned-categorizer",
                "version": FORMAT_VERSION,
                "features": self.features,
                "C": self.C,
                "vectorizer": self.vectorizer,
                "models": self.models,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path, embed: Embed | None = None) -> LearnedCategorizer:
        """A saved model; `embed` as for the constructor (needed by minilm models)."""
        try:
            state = joblib.load(path)
        except FileNotFoundError as exc:
            raise MissingDataError("model file not found", path=path, expected="a file written by `save`") from exc
        if not isinstance(state, dict) or state.get("format") != "refcat-learned-categorizer":
            raise FormatError("not a refcat learned categorizer", path=path, expected="a file written by `save`")
        if state.get("version") != FORMAT_VERSION:
            raise FormatError(
                f"model format version {state.get('version')}", path=path, expected=f"version {FORMAT_VERSION}"
            )
        model = cls(state["features"], state["C"], embed)
        model.vectorizer, model.models = state["vectorizer"], state["models"]
        return model
