"""Out-of-scope detection by distance to the in-scope examples in the e5 space.

The classifier has an ``out_of_scope`` class, but it only knows the topics written in
data/nlu/out_of_scope.yml; a question about a topic nobody wrote down (a visa, a new
phone's price) lands on the nearest in-scope intent, often with high confidence. This
component, after the classifier, asks a question that does not depend on the topic: is
the message as close to the examples of the intent it was given as that intent's own
examples are to each other?

Score of a message for a response key (``faq/warranty``, ``order_status`` ...): the mean
cosine of its e5 embedding to its ``neighbours`` nearest examples of that key. Each key's
threshold is learned at training, not set by hand: the leave-one-out scores of the key's own
examples (each example against the others: how close a new paraphrase of that key comes)
give the threshold that rejects ``max_false_rejection`` of them; keys whose examples are
tight get a high threshold, varied ones a low one. The thresholds are saved in the model,
with how many out_of_scope training examples each would reject (``negatives_rejected``,
logged). ``max_false_rejection`` is the one knob, tuned on tests/nlu/dev (README).

A second test, for questions in the shop's words about someone else's business (a bank's
Saturday hours, a restaurant's rider: the lookalike set): with ``negative_margin`` set, a
message is also rejected when its score against the out_of_scope examples beats its score
against its key's by more than the margin - it reads more like what the shop does not do
than like what it does. Off (None): it turned Banglish customers away (config.yml).

When it rejects, the intent becomes ``out_of_scope``; the classifier's ranking stays on the
message (the review page shows its two guesses). Never rejected: messages without letters
(digits, emoji), messages of at most ``short_words`` words ("ok", "hi", "order 10456"), and
messages whose n-grams are near an in-scope example (``NEAR_EXAMPLE``, set by the
classifier) - those also skip the embedding, so most messages cost nothing here.
"""

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from seba.nlu import e5
from seba.nlu.linear_classifier import (
    KEY_RANKING,
    NEAR_EXAMPLE,
    NUMBER_PLACEHOLDER,
    OUT_OF_SCOPE,
    features_text,
    words,
)
from seba.nlu.stored import JoblibComponent

logger = logging.getLogger(__name__)

#: On a rejected message: {"key", "score", "threshold"} (why it was rejected).
REJECTION = "seba_out_of_scope"


def neighbour_scores(
    queries: np.ndarray, examples: np.ndarray, neighbours: int, leave_one_out: bool = False
) -> np.ndarray:
    """Mean cosine of each query to its ``neighbours`` nearest rows of ``examples`` (unit
    vectors). ``leave_one_out``: the queries are the examples; each skips itself."""
    similarities = queries @ examples.T
    if leave_one_out:
        np.fill_diagonal(similarities, -np.inf)
    available = examples.shape[0] - (1 if leave_one_out else 0)
    k = max(1, min(neighbours, available))
    if available < 1:
        return np.zeros(queries.shape[0])
    top = -np.partition(-similarities, k - 1, axis=1)[:, :k]
    return top.mean(axis=1)


def calibrate(positives: np.ndarray, max_false_rejection: float) -> float:
    """The threshold (reject below it) that rejects at most ``max_false_rejection`` of the
    key's own leave-one-out ``positives`` - the most it may reject of anything else."""
    positives = np.sort(positives)
    if len(positives) < 2:
        return -np.inf  # nothing to compare with: never reject
    allowed = int(np.floor(max_false_rejection * len(positives)))
    # Rejecting below positives[allowed] rejects `allowed` positives (ties: fewer).
    return float(positives[min(allowed, len(positives) - 1)])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class OutOfScopeDetector(JoblibComponent):
    MODEL_FILE = "out_of_scope_detector.joblib"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "neighbours": 3,
            # Share of a key's own (leave-one-out) examples its threshold may reject.
            "max_false_rejection": 0.0,
            # Messages of at most this many words are never rejected.
            "short_words": 2,
            # Reject when the out_of_scope examples are nearer than the key's by more than
            # this (cosine); None: off.
            "negative_margin": None,
        }

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        keys = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        texts = [features_text(m.get(TEXT)) for m in examples]
        vectors = e5.embed_many(texts, e5.DiskCache()) if texts else np.zeros((0, e5.DIM))
        labels = np.array(keys)
        negatives = vectors[labels == OUT_OF_SCOPE]
        by_key = {k: vectors[labels == k] for k in sorted(set(keys)) if k != OUT_OF_SCOPE}
        self._model = self.fit(by_key, negatives)
        return self.persist()

    def fit(self, by_key: Dict[str, np.ndarray], negatives: np.ndarray) -> Dict[str, Any]:
        """Per-key thresholds from the examples' embeddings (see the module docstring)."""
        k = self._config["neighbours"]
        keys = list(by_key)
        # Each negative counts against the key it is nearest to (the one it would be read as).
        if len(negatives) and keys:
            scores = np.stack([neighbour_scores(negatives, by_key[key], k) for key in keys])
            nearest_key = scores.argmax(axis=0)
        thresholds, rejected = {}, {}
        for i, key in enumerate(keys):
            own = neighbour_scores(by_key[key], by_key[key], k, leave_one_out=True)
            thresholds[key] = calibrate(own, self._config["max_false_rejection"])
            if len(negatives):
                against = scores[i][nearest_key == i]
                rejected[key] = (int((against < thresholds[key]).sum()), len(against))
        logger.info("Out-of-scope thresholds: %s", {k: round(t, 3) for k, t in thresholds.items()})
        logger.info("out_of_scope examples each would reject (of those nearest it): %s", rejected)
        model = {"examples": by_key, "thresholds": thresholds, "negatives_rejected": rejected}
        if self._config.get("negative_margin") is not None:
            model["negatives"] = negatives
        return model

    @staticmethod
    def mentions_product(message: Message) -> bool:
        """ProductEntityExtractor (before this component) found a catalogue product."""
        return any(e.get("entity") == "product" for e in message.get(ENTITIES) or [])

    def never_rejected(self, message: Message) -> bool:
        """Messages that decide nothing by themselves: no letters, or very short."""
        text = message.get(TEXT) or ""
        if not any(c.isalpha() for c in text):
            return True
        return len([w for w in words(text) if w != NUMBER_PLACEHOLDER]) <= self._config[
            "short_words"
        ] or bool(message.get(NEAR_EXAMPLE))

    def score(self, text: str, key: str) -> Optional[float]:
        examples = (self._model or {}).get("examples", {}).get(key)
        if examples is None or not len(examples):
            return None
        query = e5.embed(features_text(text))[None, :]
        return float(neighbour_scores(query, examples, self._config["neighbours"])[0])

    def negative_score(self, text: str) -> Optional[float]:
        """The message's score against the out_of_scope examples (None: the test is off)."""
        negatives = (self._model or {}).get("negatives")
        if self._config.get("negative_margin") is None or negatives is None or not len(negatives):
            return None
        query = e5.embed(features_text(text))[None, :]  # cached: the same as score()'s
        return float(neighbour_scores(query, negatives, self._config["neighbours"])[0])

    def rejects(self, text: str, key: str) -> Optional[Dict[str, Any]]:
        """Why ``text`` is not ``key`` ({"key", "score", "threshold"[, "negative"]}), or None."""
        threshold = self._model["thresholds"].get(key)
        score = self.score(text, key)
        if score is None or threshold is None:
            return None
        why = {"key": key, "score": score, "threshold": threshold}
        if score < threshold:
            return why
        negative = self.negative_score(text)
        if negative is not None and negative - score > self._config["negative_margin"]:
            return {**why, "negative": negative}
        return None

    def process(self, messages: List[Message]) -> List[Message]:
        if not self._model:
            return messages
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = message.get(KEY_RANKING) or []
            if self.mentions_product(message):
                # A product of the shop's catalogue is in the message: whatever else it
                # says, it is about this shop ("kajal ta ache ekhono", "the dress is torn").
                keep_in_scope(message)
                continue
            if intent.get(INTENT_NAME_KEY) in (None, OUT_OF_SCOPE) or not ranking:
                continue
            if self.never_rejected(message):
                continue
            why = self.rejects(message.get(TEXT) or "", ranking[0][0])
            if why is None:
                continue
            # Same confidence, other intent: the ranking (the classifier's guesses) stays.
            message.set(
                INTENT,
                {INTENT_NAME_KEY: OUT_OF_SCOPE, "confidence": intent.get("confidence", 1.0)},
                add_to_output=True,
            )
            message.set(REJECTION, why)
        return messages


def keep_in_scope(message: Message) -> None:
    """The classifier's best in-scope intent instead of ``out_of_scope``, with its
    confidence among the in-scope intents (the message is known to be in scope: the
    out_of_scope share is taken out). A weak one still ends in nlu_fallback."""
    intent = message.get(INTENT) or {}
    if intent.get(INTENT_NAME_KEY) != OUT_OF_SCOPE:
        return
    in_scope_share = 1.0 - float(intent.get("confidence") or 0.0)
    for candidate in message.get(INTENT_RANKING_KEY) or []:
        if candidate.get(INTENT_NAME_KEY) not in (OUT_OF_SCOPE, "nlu_fallback"):
            confidence = float(candidate.get("confidence") or 0.0)
            if in_scope_share > 0:
                confidence = min(1.0, confidence / in_scope_share)
            message.set(
                INTENT,
                {INTENT_NAME_KEY: candidate[INTENT_NAME_KEY], "confidence": confidence},
                add_to_output=True,
            )
            return
