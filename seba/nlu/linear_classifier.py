"""A linear intent classifier over word and character n-grams, with e5 embeddings when needed.

Why not Rasa's own classifiers (measured on the held-out split, README):
- DIET took ~4.5 minutes to train here, costs ~10 ms of TensorFlow per message,
  and scored lower than this classifier;
- Rasa's LogisticRegressionClassifier fixes C=1 and learns from raw counts,
  which underfits our small, varied data.

Features: TF-IDF-weighted counts of word 1-2-grams and character 2-5-grams (within words),
made here with scikit-learn rather than by Rasa's CountVectorsFeaturizer, which also builds
per-token sequence features nobody here reads (most of a retrain's time, and ~1 ms a
message). Words are split on spaces and punctuation only, so Bangla vowel signs stay in
their words; character n-grams carry inflections (অর্ডারটা, অর্ডারের) and Banglish spellings
(kobe/kbe).

Digit runs of 5 or more are one placeholder word in the features (``features_text``): a
12-digit order id of another shop weighed like many digit n-grams and turned "where is my
order 123456789012?" into ``inform``; now it is one word, and a message that is only a
number is still ``inform``. The entity extractors see the original text. A Banglish text's
n-grams can be those of its Latin letters and of its Bengali-script reading together
(``ngrams_banglish_both_scripts``, ``seba.nlu.transliterate``).

Two linear models: one on the n-grams alone, one with the message's e5 sentence embedding
added. The cheap one answers alone when it is sure (``cascade_threshold``) *and* the message
is close to a training example as a whole (TF-IDF cosine to its nearest in-scope example at
least ``near_similarity``, learned at training: what almost no out_of_scope example reaches),
so a sure answer that rests on one surface word ("order a pizza") gets the full model's say.
Most messages ("ok", "10456", "thanks") are the sure kind and skip the ~15 ms embedding.
The flag ``NEAR_EXAMPLE`` tells ``OutOfScopeDetector`` the same.

Classes are *response keys*: "faq/delivery_charge" and "faq/warranty" are
different questions, and one lumped "faq" class made the classifier worse. The
reported intent is the base intent ("faq"); the ranking of the keys is kept on the
message (``KEY_RANKING``) for ``FaqKeySelector``, which answers with the best FAQ key —
no second model to train.

The fit is stochastic gradient descent on the log loss (one-vs-rest; ``SGDClassifier``):
on the held-out split it scores as well as the L-BFGS logistic regression it replaced and
fits in seconds instead of ~50 s. Fixed seed: two trainings on the same data give the same
model, whatever the number of threads fitting the classes (``fit_threads``). The training
examples' embeddings come from a disk cache (``seba.nlu.e5.DiskCache``), so a retrain embeds
only new texts.
"""

import logging
import re
from collections import defaultdict
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import SGDClassifier

from seba.nlu import e5
from seba.nlu.stored import JoblibComponent
from seba.nlu.transliterate import ReadingCache, bengali_script, bengali_script_many

logger = logging.getLogger(__name__)

#: Where the ranking of response keys ("faq/delivery_charge" ...) is kept on a message.
KEY_RANKING = "seba_key_ranking"
#: On a message: True when its n-grams are close to an in-scope training example.
NEAR_EXAMPLE = "seba_near_example"
OUT_OF_SCOPE = "out_of_scope"
_UNREAD = object()  # _sparse_text: no reading given, read the text here
# Digit runs that are ids (orders, phones, other shops' 11-15 digit ids), whatever their length.
_NUMBER_RUN = re.compile(r"[0-9\u09e6-\u09ef]{5,}")
NUMBER_PLACEHOLDER = "00000"
# A word: anything between spaces and punctuation (Bangla vowel signs and hasanta stay in).
_WORD = re.compile(r"[^\s.,!?;:()\[\]{}\"'“”‘’।॥/\\|<>=+*&^%$#@~`_-]+")


def words(text: str) -> List[str]:
    return _WORD.findall(text.lower())


def features_text(text: str) -> str:
    """What the classifiers see of ``text``: every run of 5+ digits is one placeholder."""
    return _NUMBER_RUN.sub(NUMBER_PLACEHOLDER, text)


class _Model:
    """What is trained and saved: the vectorizers, TF-IDF and the two linear models."""

    def __init__(
        self,
        word_ngrams: CountVectorizer,
        char_ngrams: CountVectorizer,
        tfidf: TfidfTransformer,
        sparse_clf: SGDClassifier,
        full_clf: Optional[SGDClassifier],
        in_scope_rows: scipy.sparse.csr_matrix,
        near_similarity: float,
    ) -> None:
        self.word_ngrams, self.char_ngrams, self.tfidf = word_ngrams, char_ngrams, tfidf
        self.sparse_clf, self.full_clf = sparse_clf, full_clf
        # (features, in-scope examples): a message row times it is its cosine to each example.
        self.in_scope_columns = in_scope_rows.T.tocsr()
        self.near_similarity = near_similarity

    def nearest_similarity(self, indices: np.ndarray, values: np.ndarray) -> float:
        """The TF-IDF cosine of a message row to its nearest in-scope training example."""
        if not len(indices) or not self.in_scope_columns.shape[1]:
            return 0.0
        return float((self.in_scope_columns[indices].T @ values).max())

    def features(self, texts: List[str]) -> scipy.sparse.csr_matrix:
        """The TF-IDF rows as scikit-learn computes them (training; tests)."""
        counts = scipy.sparse.hstack(
            [self.word_ngrams.transform(texts), self.char_ngrams.transform(texts)]
        ).tocsr()
        return self.tfidf.transform(counts)

    def row(self, text: str) -> Tuple[np.ndarray, np.ndarray]:
        """One message's TF-IDF row as (feature indices, values) — the same numbers as
        ``features``, without scipy's per-call overhead (most of the classifier's time
        on a single message)."""
        if not hasattr(self, "_lookup"):
            self._lookup = (
                self.word_ngrams.build_analyzer(),
                self.word_ngrams.vocabulary_,
                self.char_ngrams.build_analyzer(),
                self.char_ngrams.vocabulary_,
                len(self.word_ngrams.vocabulary_),
                self.tfidf.idf_,
            )
        word_analyzer, word_vocab, char_analyzer, char_vocab, offset, idf = self._lookup
        counts: Dict[int, int] = defaultdict(int)
        for feature in word_analyzer(text):
            index = word_vocab.get(feature)
            if index is not None:
                counts[index] += 1
        for feature in char_analyzer(text):
            index = char_vocab.get(feature)
            if index is not None:
                counts[index + offset] += 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (
            1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        ) * idf[indices]
        return indices, values / np.sqrt(values @ values)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(JoblibComponent, IntentClassifier):
    MODEL_FILE = "linear_intent_classifier.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "alpha": 1e-5,  # L2 regularisation of the SGD fit
            "epochs": 30,
            "random_state": 42,
            # Threads for the fit (-1: one per core). Training only; serving never fits.
            "fit_threads": -1,
            # Weight of the unit-length e5 embedding against the sparse features; 0 = no e5.
            "e5_weight": 2.0,
            # A Banglish message's embedding is the mean of its Latin text's and of its
            # Bengali-script reading's (seba.nlu.transliterate); False: the Latin text's.
            "e5_banglish_both_scripts": False,
            # A Banglish message's n-grams are those of its Latin text and of its
            # Bengali-script reading together, so Bangla examples' words count for it.
            "ngrams_banglish_both_scripts": False,
            # The sparse-only model answers alone when its top probability reaches this and
            # the message is near an in-scope example (see near_quantile).
            "cascade_threshold": 0.8,
            # "Near": a TF-IDF cosine to the nearest in-scope example that only this share
            # of the out_of_scope examples reach (learned at training; 1.0 = never near).
            "near_quantile": 0.95,
            # The out_of_scope class's probability is scaled by this before normalising
            # (a prior correction): it has ~6x the examples of an intent, and at 1.0 it
            # took 3-4% of in-scope messages in customers' own wording. Chosen on
            # tests/nlu/dev + the held-out split (README "NLU scores").
            "out_of_scope_weight": 1.0,
            "ranking_length": 10,
        }

    def _with_e5(
        self,
        sparse: scipy.sparse.csr_matrix,
        texts: List[str],
        cache: Optional[e5.DiskCache] = None,
        readings: Optional[List[Optional[str]]] = None,
    ) -> scipy.sparse.csr_matrix:
        dense = self._embed_many(texts, cache, readings) * self._config["e5_weight"]
        return scipy.sparse.hstack([sparse, scipy.sparse.csr_matrix(dense)]).tocsr()

    def _embed_many(
        self,
        texts: List[str],
        cache: Optional[e5.DiskCache] = None,
        readings: Optional[List[Optional[str]]] = None,
    ) -> np.ndarray:
        """Unit-length e5 rows of ``texts``; with ``e5_banglish_both_scripts``, a Banglish
        text's row is the mean of its own and its Bengali-script reading's (``readings``,
        when the caller has them). Training passes the disk cache; a message at run time
        goes through ``e5.embed``'s memory cache."""
        dense = np.array(e5.embed_many(texts, cache))
        if not self._config["e5_banglish_both_scripts"]:
            return dense
        if readings is None:
            readings = [bengali_script(t) for t in texts]
        readings = [(i, r) for i, r in enumerate(readings) if r is not None]
        if readings:
            rows = [i for i, _ in readings]
            both = dense[rows] + e5.embed_many([r for _, r in readings], cache)
            dense[rows] = both / np.linalg.norm(both, axis=1, keepdims=True)
        return dense

    def _sparse_text(self, text: str, reading: Any = _UNREAD) -> str:
        """What the n-grams read of ``text``: with ``ngrams_banglish_both_scripts``, a
        Banglish text followed by its Bengali-script reading (given, or read here)."""
        if not self._config["ngrams_banglish_both_scripts"]:
            return text
        if reading is _UNREAD:
            reading = bengali_script(text)
        return text if reading is None else f"{text} {reading}"

    def _fit(self, X: scipy.sparse.csr_matrix, labels: List[str]) -> SGDClassifier:
        clf = SGDClassifier(
            loss="log_loss",
            alpha=self._config["alpha"],
            max_iter=self._config["epochs"],
            tol=None,
            random_state=self._config["random_state"],
            # One-vs-rest: each class's binary fit is seeded from random_state alone, so
            # the model is the same with any number of threads (tests/test_nlu_components.py).
            n_jobs=self._config["fit_threads"],
        ).fit(X, labels)
        # Kept in single precision: the two models' coefficients were half of a 25 MB model
        # that every retrain packs and every start unpacks; scores move by ~1e-7.
        clf.coef_ = clf.coef_.astype(np.float32)
        if len(clf.classes_) == 2:
            # Two classes: scikit-learn keeps one row (for classes_[1]); the scoring below
            # wants one per class. Its mirror image gives the same probabilities.
            clf.coef_ = np.vstack([-clf.coef_, clf.coef_])
            clf.intercept_ = np.concatenate([-clf.intercept_, clf.intercept_])
        return clf

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained.")
            return self._resource
        texts = [features_text(m.get(TEXT)) for m in examples]
        readings = None  # Banglish in Bengali script: read once, for both feature sets
        if self._config["ngrams_banglish_both_scripts"] or self._config["e5_banglish_both_scripts"]:
            readings = bengali_script_many(texts, ReadingCache())
        sparse_texts = [
            self._sparse_text(t, r)
            for t, r in zip(texts, readings or [_UNREAD] * len(texts), strict=True)
        ]
        word_ngrams = CountVectorizer(
            tokenizer=words,
            token_pattern=None,
            lowercase=False,
            ngram_range=tuple(self._config["word_ngrams"]),
        )
        char_ngrams = CountVectorizer(
            analyzer="char_wb", ngram_range=tuple(self._config["char_ngrams"])
        )
        counts = scipy.sparse.hstack(
            [word_ngrams.fit_transform(sparse_texts), char_ngrams.fit_transform(sparse_texts)]
        ).tocsr()
        tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        sparse = tfidf.transform(counts)
        full = None
        if self._config["e5_weight"] > 0:
            full = self._fit(self._with_e5(sparse, texts, e5.DiskCache(), readings), labels)
        in_scope = np.array([label != OUT_OF_SCOPE for label in labels])
        rows = sparse[np.flatnonzero(in_scope)].astype(np.float32)
        self._model = _Model(
            word_ngrams,
            char_ngrams,
            tfidf,
            self._fit(sparse, labels),
            full,
            rows,
            self._near_similarity(sparse[np.flatnonzero(~in_scope)], rows),
        )
        return self.persist()

    def _near_similarity(
        self, negatives: scipy.sparse.csr_matrix, in_scope: scipy.sparse.csr_matrix
    ) -> float:
        """The cosine to the nearest in-scope example that only ``near_quantile`` of the
        out_of_scope examples reach (without any, every message counts as near)."""
        if not negatives.shape[0] or not in_scope.shape[0]:
            return 0.0
        nearest = np.asarray((negatives @ in_scope.T).max(axis=1).todense()).ravel()
        return float(np.quantile(nearest, self._config["near_quantile"]))

    @staticmethod
    def _coef_t(clf: SGDClassifier) -> np.ndarray:
        # scikit-learn's coef_ is (classes, features); rows of its transpose are gathered.
        if not hasattr(clf, "_seba_coef_t"):
            clf._seba_coef_t = np.ascontiguousarray(clf.coef_.T)
        return clf._seba_coef_t

    @classmethod
    def _predict_proba(cls, clf: SGDClassifier, X: scipy.sparse.csr_matrix) -> np.ndarray:
        """``clf.predict_proba(X)`` for a sparse matrix (one-vs-rest: logistic per class,
        normalised), without its per-call copy of the coefficients."""
        return cls._normalised(np.asarray(X @ cls._coef_t(clf)) + clf.intercept_)

    @staticmethod
    def _normalised(scores: np.ndarray, weights: Optional[np.ndarray] = None) -> np.ndarray:
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(scores, -500, 500)))
        if weights is not None:
            probabilities = probabilities * weights
        return probabilities / probabilities.sum(axis=-1, keepdims=True)

    def _class_weights(self, clf: SGDClassifier) -> Optional[np.ndarray]:
        """Per-class factors: ``out_of_scope_weight`` for out_of_scope, 1 for the rest."""
        weight = self._config.get("out_of_scope_weight", 1.0)
        if weight == 1.0:
            return None
        return np.where(clf.classes_ == OUT_OF_SCOPE, weight, 1.0)

    def _probabilities(self, texts: List[str]) -> List[Tuple[np.ndarray, np.ndarray, bool]]:
        """(classes, probabilities, near an example) per text, from the cheapest sure model."""
        model, results = self._model, []
        for text in texts:
            indices, values = model.row(self._sparse_text(text))
            cheap = self._normalised(
                values @ self._coef_t(model.sparse_clf)[indices] + model.sparse_clf.intercept_,
                self._class_weights(model.sparse_clf),
            )
            near = model.nearest_similarity(indices, values) >= model.near_similarity
            sure = cheap.max() >= self._config["cascade_threshold"]
            if model.full_clf is None or (sure and near):
                results.append((model.sparse_clf.classes_, cheap, near))
                continue
            coef = self._coef_t(model.full_clf)
            dense = self._embed_many([text])[0] * self._config["e5_weight"]
            scores = (
                values @ coef[indices] + dense @ coef[-len(dense) :] + model.full_clf.intercept_
            )
            results.append(
                (
                    model.full_clf.classes_,
                    self._normalised(scores, self._class_weights(model.full_clf)),
                    near,
                )
            )
        return results

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None or not messages:
            return messages
        texts = [features_text(m.get(TEXT) or "") for m in messages]
        for message, (classes, row, near) in zip(messages, self._probabilities(texts), strict=True):
            message.set(NEAR_EXAMPLE, near)
            order = np.argsort(-row)[: self._config["ranking_length"]]
            message.set(KEY_RANKING, [(str(classes[i]), float(row[i])) for i in order])
            # Sum the response keys of an intent: faq/a + faq/b -> faq.
            by_intent: Dict[str, float] = defaultdict(float)
            for label, p in zip(classes, row, strict=True):
                by_intent[label.split("/", 1)[0]] += float(p)
            ranking = sorted(by_intent.items(), key=lambda kv: -kv[1])
            ranking = ranking[: self._config["ranking_length"]]
            message.set(
                INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True
            )
            message.set(
                "intent_ranking",
                [{"name": n, "confidence": c} for n, c in ranking],
                add_to_output=True,
            )
        return messages
