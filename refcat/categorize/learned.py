"""A learned RE categorizer that falls back to the rules, per category, wherever it is not clearly better.

One logistic regression per category (scikit-learn) over the text features and the
rule-based categorizer's seven outputs (refcat.categorize.rules, read by the model's `reader`,
saved with it), so that the model starts from the rules and learns where the annotators read them
differently.
Text features: TF-IDF of word 1-2-grams (`features="tfidf"`, the default) or MiniLM
sentence embeddings (`features="minilm"`). The embedding function is passed in (`embed=`),
so that this module needs no torch: the CLI passes refcat.refvos_model.sentence_embeddings.encode.

Training data: a table with a `ref_exp` column and the category columns of the released
format (0/1, pd.NA where not labelled, as `refcat.datasets.release.read_release` gives);
rows without a label for a category are left out of that category's model.

Per-category fallback (`fit`). For each category, out-of-fold predictions of the learned model
are compared with the rules' labels on the same training rows, by F1 of the positive label and
Cohen's kappa (scikit-learn's `f1_score`, `cohen_kappa_score`). Folds: `folds` (5) stratified
folds, grouped by `video_id` when the table has one (StratifiedGroupKFold: the REs of one video
are never split between training and test folds, since they share the referent and its wording);
the TF-IDF vocabulary is fitted inside each fold. The choice rule: the learned model is used for a
category only when it beats the rules by more than `margin` (default `MARGIN` = 0.02) on both F1
and kappa; ties, smaller differences, undefined scores and categories that cannot be
cross-validated (one label value, or fewer than 2 rows of the rarer value or 2 groups) go to the
rules. Why 0.02: on the 404 released rows with category labels, the standard error of an agreement
rate near .95 is sqrt(.95 * .05 / 404) ~ .011, and a kappa's or an F1's is larger, so a difference of
.02 or less is within the noise of the comparison. The rules are scored in sample where they were
tuned on the training labels (the released ones), which can only make the choice lean further
towards them. The choice and the scores behind it are saved with the model (`choices`).

Predictions (`decide`) carry, per category, the label, its confidence and its source ("learned" or
"rules"). Confidence of a learned label: the logistic model's probability of the predicted label
(max(p, 1 - p)); of a rules label: `Categorization.confidence` (refcat.categorize.confidence).
Models are saved with joblib as a dict with a format version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from refcat.categorize.rules import DEFAULT_READER, READERS, Categorization, categorize_all
from refcat.errors import FormatError, MissingDataError, UsageError
from refcat.taxonomy import CATEGORY_NAMES

FORMAT_VERSION = 2
FEATURES = ("tfidf", "minilm")
SOURCES = ("learned", "rules")
MARGIN = 0.02  # the learned model must beat the rules by more than this on F1 and kappa (module docstring)
FOLDS = 5
GROUP_COLUMN = "video_id"
Embed = Callable[[list[str]], np.ndarray]  # texts -> (n, d) sentence embeddings


def rule_features(
    texts: Sequence[str], rule_results: Sequence[Categorization] | None = None, reader: str = DEFAULT_READER
) -> np.ndarray:
    """(n, 7) 0/1 matrix of the rule-based labels (read by `reader`), columns in CATEGORY_NAMES order;
    `rule_results`: the rules' results for `texts` when the caller has them already."""
    results = rule_results if rule_results is not None else categorize_all(texts, reader)
    rows = [r.labels for r in results]
    return np.array([[r[c] for c in CATEGORY_NAMES] for r in rows], dtype=float).reshape(-1, len(CATEGORY_NAMES))


@dataclass(frozen=True)
class Choice:
    """Which source a category uses, and the cross-validation behind it.

    source: "learned" or "rules". folds: the number of folds (0: not cross-validated).
    grouped_by: the column the folds were grouped by, or None. scores: source -> {"f1", "kappa"} of the
    pooled out-of-fold predictions (learned) and of the rules on the same rows; empty without CV.
    n: the labelled training rows. reason: the choice in words.
    """

    source: str
    folds: int
    grouped_by: str | None
    scores: dict[str, dict[str, float]]
    n: int
    reason: str


@dataclass(frozen=True)
class Prediction:
    """`decide`'s answer: row-aligned tables with one column per category (CATEGORY_NAMES order).

    labels: 0/1; confidence: the probability that the label is right (module docstring);
    source: "learned" or "rules".
    """

    labels: pd.DataFrame
    confidence: pd.DataFrame
    source: pd.DataFrame

    def needs_review(self, threshold: float) -> pd.DataFrame:
        """True where a label's confidence is below `threshold`."""
        return self.confidence < threshold


def _scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """F1 of the positive label and Cohen's kappa; NaN where undefined (no positives anywhere; chance = 1)."""
    return {
        "f1": float(f1_score(truth, predicted, zero_division=np.nan)),
        "kappa": float(cohen_kappa_score(truth, predicted)),
    }


def _beats(learned: dict[str, float], rules: dict[str, float], margin: float) -> bool:
    """The choice rule: more than `margin` better on F1 and on kappa (NaN compares as not better)."""
    return all(learned[m] - rules[m] > margin for m in ("f1", "kappa"))


def _groups(labels: pd.DataFrame) -> np.ndarray | None:
    """Fold groups: the video id of each row (a row without one is its own group); None without video ids."""
    if GROUP_COLUMN not in labels.columns:
        return None
    videos = labels[GROUP_COLUMN].fillna("").astype(str).to_numpy()
    if not (videos != "").any():
        return None
    return np.array([v if v else f"\0row{i}" for i, v in enumerate(videos)])


class LearnedCategorizer:
    def __init__(
        self,
        features: str = "tfidf",
        C: float = 1.0,
        embed: Embed | None = None,
        folds: int = FOLDS,
        margin: float = MARGIN,
        reader: str = DEFAULT_READER,
    ) -> None:
        if features not in FEATURES:
            raise UsageError(f"unknown features {features!r}", expected=" or ".join(FEATURES))
        if reader not in READERS:
            raise UsageError(f"unknown reader {reader!r}", expected=" or ".join(READERS))
        if folds < 2:
            raise UsageError(f"{folds} folds", expected="at least 2 cross-validation folds")
        self.features = features
        self.embed = embed
        self.C = C
        self.folds = folds
        self.margin = margin
        self.reader = reader  # the rules' reader whose labels are features (refcat.categorize.rules.READERS)
        self.vectorizer: TfidfVectorizer | None = None
        self.models: dict[str, LogisticRegression] = {}
        self.choices: dict[str, Choice] = {}

    # ------------------------------------------------------------------ features

    def _embeddings(self, texts: Sequence[str]) -> np.ndarray | None:
        """MiniLM embeddings of `texts` for minilm models; None for TF-IDF ones."""
        if self.features != "minilm":
            return None
        if self.embed is None:
            raise UsageError("minilm features need a sentence-embedding function", expected="embed=...")
        return np.asarray(self.embed(list(texts)))

    @staticmethod
    def _design(texts: Sequence[str], rules: np.ndarray, emb: np.ndarray | None, vectorizer: TfidfVectorizer | None):
        """The model's input rows: text features (embeddings, or `vectorizer`'s TF-IDF), then the rule labels."""
        if emb is not None:
            return np.hstack([emb, rules])
        assert vectorizer is not None
        return sparse.hstack([vectorizer.transform(texts), sparse.csr_matrix(rules)]).tocsr()

    def _fit_vectorizer(self, texts: Sequence[str]) -> TfidfVectorizer | None:
        if self.features == "minilm":
            return None
        return TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit(texts)

    def _logistic(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, max_iter=1000, class_weight="balanced")

    # ------------------------------------------------------------------ training

    def fit(self, labels: pd.DataFrame) -> LearnedCategorizer:
        """Train on a table with `ref_exp`, any of the seven category columns and optionally `video_id`;
        choose each category's source by cross-validation (module docstring)."""
        if "ref_exp" not in labels.columns:
            raise UsageError("training table has no ref_exp column", expected="a released label table")
        present = [c for c in CATEGORY_NAMES if c in labels.columns]
        if not present:
            raise UsageError("training table has no category column", expected=", ".join(CATEGORY_NAMES))
        texts = labels["ref_exp"].astype(str).tolist()
        rules = rule_features(texts, reader=self.reader)
        emb = self._embeddings(texts)
        groups = _groups(labels)
        self.vectorizer = self._fit_vectorizer(texts)
        X = self._design(texts, rules, emb, self.vectorizer)
        self.models, self.choices = {}, {}
        for k, cat in enumerate(CATEGORY_NAMES):
            if cat not in present:
                self.choices[cat] = Choice("rules", 0, None, {}, 0, "no labels for this category")
                continue
            y = pd.to_numeric(labels[cat], errors="coerce").to_numpy(dtype=float)
            rows = np.flatnonzero(~np.isnan(y))
            target = y[rows].astype(int)
            if len(np.unique(target)) < 2:
                self.choices[cat] = Choice("rules", 0, None, {}, len(rows), "one label value in the training rows")
                continue
            self.models[cat] = self._logistic().fit(X[rows], target)
            self.choices[cat] = self._choose(
                [texts[i] for i in rows],
                rules[rows],
                None if emb is None else emb[rows],
                None if groups is None else groups[rows],
                target,
                k,
            )
        return self

    def _choose(
        self,
        texts: list[str],
        rules: np.ndarray,
        emb: np.ndarray | None,
        groups: np.ndarray | None,
        target: np.ndarray,
        k: int,
    ) -> Choice:
        """Cross-validate category `k` (column of `rules`) on its labelled rows and apply the choice rule."""
        n_groups = len(np.unique(groups)) if groups is not None else len(target)
        folds = min(self.folds, int(np.bincount(target).min()), n_groups)
        grouped_by = GROUP_COLUMN if groups is not None else None
        if folds < 2:
            return Choice("rules", 0, grouped_by, {}, len(target), "too few rows of the rarer label to cross-validate")
        if groups is not None:
            splits = StratifiedGroupKFold(folds, shuffle=True, random_state=0).split(texts, target, groups)
        else:
            splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, target)
        out_of_fold = np.zeros(len(target), dtype=int)
        for train, test in splits:
            if len(np.unique(target[train])) < 2:  # a fold without the rarer label: the constant it saw
                out_of_fold[test] = target[train][0]
                continue
            vectorizer = self._fit_vectorizer([texts[i] for i in train])
            design = [
                self._design([texts[i] for i in part], rules[part], None if emb is None else emb[part], vectorizer)
                for part in (train, test)
            ]
            out_of_fold[test] = self._logistic().fit(design[0], target[train]).predict(design[1])
        scores = {"learned": _scores(target, out_of_fold), "rules": _scores(target, rules[:, k].astype(int))}
        won = _beats(scores["learned"], scores["rules"], self.margin)
        reason = (
            f"cross-validated F1 and kappa {'both' if won else 'not both'} more than {self.margin:g} above the rules'"
        )
        return Choice("learned" if won else "rules", folds, grouped_by, scores, len(target), reason)

    # ------------------------------------------------------------------ prediction

    def decide(
        self, texts: Sequence[str], rule_results: Sequence[Categorization] | None = None, fallback: bool = True
    ) -> Prediction:
        """Labels, confidences and sources for `texts`. `rule_results`: the rules' results for `texts`, read
        by the model's `reader`, when the caller has them already (not run again). `fallback=False` uses the
        learned model wherever there is one, whatever the cross-validation chose (to measure the fallback)."""
        if self.vectorizer is None and self.features == "tfidf":
            raise UsageError("the categorizer has no model", expected="fit() or load() before predict()")
        texts = [str(t) for t in texts]
        results = list(rule_results) if rule_results is not None else categorize_all(texts, self.reader)
        rules = rule_features(texts, results)
        X = self._design(texts, rules, self._embeddings(texts), self.vectorizer)
        labels, confidence, source = {}, {}, {}
        for k, cat in enumerate(CATEGORY_NAMES):
            model = self.models.get(cat)
            choice = self.choices.get(cat)
            if model is not None and (not fallback or (choice is not None and choice.source == "learned")):
                proba = model.predict_proba(X)
                best = proba.argmax(axis=1)
                labels[cat] = model.classes_[best].astype(int)
                confidence[cat] = proba[np.arange(len(texts)), best]
                source[cat] = ["learned"] * len(texts)
            else:
                labels[cat] = rules[:, k].astype(int)
                confidence[cat] = [r.confidence.get(cat, np.nan) for r in results]
                source[cat] = ["rules"] * len(texts)
        columns = list(CATEGORY_NAMES)
        return Prediction(
            pd.DataFrame(labels, columns=columns),
            pd.DataFrame(confidence, columns=columns, dtype=float),
            pd.DataFrame(source, columns=columns),
        )

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        """0/1 predictions, one column per category, each from its chosen source (`decide(...).labels`)."""
        return self.decide(texts).labels

    def choice_table(self) -> pd.DataFrame:
        """One row per category: source, folds, grouped_by, n, the CV F1 and kappa of both sources, reason."""
        rows = []
        for cat in CATEGORY_NAMES:
            ch = self.choices.get(cat, Choice("rules", 0, None, {}, 0, "not trained"))
            row: dict[str, object] = {"category": cat, "source": ch.source, "folds": ch.folds, "n": ch.n}
            for src in SOURCES:
                for metric in ("f1", "kappa"):
                    row[f"{src}_{metric}"] = ch.scores.get(src, {}).get(metric, np.nan)
            row["grouped_by"], row["reason"] = ch.grouped_by or "", ch.reason
            rows.append(row)
        return pd.DataFrame(rows).set_index("category")

    # ------------------------------------------------------------------ files

    def save(self, path: str | Path) -> None:
        joblib.dump(
            {
                "format": "refcat-learned-categorizer",
                "version": FORMAT_VERSION,
                "features": self.features,
                "C": self.C,
                "folds": self.folds,
                "margin": self.margin,
                "reader": self.reader,
                "vectorizer": self.vectorizer,
                "models": self.models,
                "choices": {cat: asdict(ch) for cat, ch in self.choices.items()},
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
                f"model format version {state.get('version')}",
                path=path,
                expected=f"version {FORMAT_VERSION} (retrain with `refcat categorize-train`)",
            )
        model = cls(state["features"], state["C"], embed, state["folds"], state["margin"], state["reader"])
        model.vectorizer, model.models = state["vectorizer"], state["models"]
        model.choices = {cat: Choice(**ch) for cat, ch in state["choices"].items()}
        return model
