"""Banglish in Bengali script for the e5 embedding (seba/nlu/transliterate.py)."""

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from seba.nlu import e5
from seba.nlu.linear_classifier import LinearIntentClassifier
from seba.nlu.transliterate import bengali_script


@pytest.mark.parametrize(
    "text,expected",
    [
        ("vai amar order ta kobe pabo?", "ভাই আমার অর্ডার তা কবে পাব?"),
        ("taka ferot diben kobe", "টাকা ফেরত দিবেন কবে"),
    ],
)
def test_banglish_is_read_in_bengali_script(text, expected):
    assert bengali_script(text) == expected


@pytest.mark.parametrize(
    "text", ["where is my order", "আমার অর্ডার কোথায়", "01712345678", "ok", "", "/affirm"]
)
def test_english_bangla_and_what_decides_nothing_are_left_alone(text):
    assert bengali_script(text) is None


EXAMPLES = [
    ("amar order kothay", "order_status"),
    ("আমার অর্ডার কোথায়", "order_status"),
    ("where is my order", "order_status"),
    ("ami return korte chai", "return_request"),
    ("আমি রিটার্ন করতে চাই", "return_request"),
    ("i want to return this", "return_request"),
    ("dhonnobad vai", "thank"),
    ("ধন্যবাদ", "thank"),
    ("thank you", "thank"),
]


def test_a_huge_banglish_message_is_read_only_as_far_as_e5_reads_it():
    reading = bengali_script("amar order ta kobe pabo vai " * 400)  # 11,200 characters
    assert reading.startswith("আমার অর্ডার তা কবে পাব ভাই")
    assert len(reading) <= e5.MAX_CHARS


def _trained(tmp_path, both, ngrams_both=False, examples=EXAMPLES):
    config = {
        **LinearIntentClassifier.get_default_config(),
        "e5_banglish_both_scripts": both,
        "ngrams_banglish_both_scripts": ngrams_both,
        "cascade_threshold": 1.01,  # every message goes through the e5 model
    }
    model = LinearIntentClassifier(config, LocalModelStorage(tmp_path), Resource("linear"))
    model.train(
        TrainingData(training_examples=[Message(data={TEXT: t, "intent": i}) for t, i in examples])
    )
    return model


def _served(model, text):
    """The row a message gets at run time: alone, from e5's memory cache."""
    return model._embed_many([text])[0]


def test_a_banglish_message_is_embedded_in_both_scripts_at_training_and_at_run_time(tmp_path):
    model = _trained(tmp_path, both=True)
    banglish, english = "amar order ta kothay vai", "where is my parcel"
    # Run time (one message, memory cache) and training (many, disk cache) give the same row.
    training = model._embed_many([english, banglish], e5.DiskCache(tmp_path / "e5.sqlite"))
    assert np.allclose(_served(model, english), training[0], atol=1e-6)
    assert np.allclose(_served(model, banglish), training[1], atol=1e-6)
    mean = e5.embed(banglish) + e5.embed(bengali_script(banglish))
    assert np.allclose(_served(model, banglish), mean / np.linalg.norm(mean), atol=1e-6)
    assert not np.allclose(_served(model, banglish), e5.embed(banglish), atol=1e-3)
    assert np.array_equal(_served(model, english), e5.embed(english))
    # The probabilities served are those of the model as trained on these rows.
    X = model._model.features([banglish])
    expected = model._model.full_clf.predict_proba(model._with_e5(X, [banglish]))[0]
    [message] = model.process([Message(data={TEXT: banglish})])
    served = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    for label, p in zip(model._model.full_clf.classes_, expected, strict=True):
        assert served[label] == pytest.approx(p, abs=1e-5)


def test_without_the_option_banglish_is_embedded_as_written(tmp_path):
    model = _trained(tmp_path, both=False)
    assert np.array_equal(
        _served(model, "amar order ta kothay vai"), e5.embed("amar order ta kothay vai")
    )


def test_a_banglish_message_reads_the_bangla_examples_n_grams_too(tmp_path):
    # Only the Bangla example says "টাকা ফেরত"; the Banglish customer writes it in Latin letters.
    examples = [*EXAMPLES, ("আমার টাকা ফেরত দিবেন কবে", "refund_status")]
    model = _trained(tmp_path, both=False, ngrams_both=True, examples=examples)
    (tmp_path / "plain").mkdir()
    plain = _trained(tmp_path / "plain", both=False, examples=examples)
    text = "taka ferot diben kobe"
    assert model._sparse_text(text) == f"{text} টাকা ফেরত দিবেন কবে"
    # The served row is the trained vectorizers' row of both readings together ...
    indices, values = model._model.row(model._sparse_text(text))
    expected = model._model.features([model._sparse_text(text)])
    assert np.allclose(expected[0, indices].toarray().ravel(), values, atol=1e-6)
    assert expected.nnz == len(indices)
    # ... and holds the Bangla example's words, which without the option it cannot reach.
    words = model._model.word_ngrams.vocabulary_
    assert {words["টাকা ফেরত"], words["ফেরত"]} <= set(indices.tolist())
    assert plain._sparse_text(text) == text
    assert "টাকা" in plain._model.word_ngrams.vocabulary_  # the Bangla example was learned
    [message] = model.process([Message(data={TEXT: text})])
    assert message.get("intent")["name"] == "refund_status"
    # English and Bangla are read as written.
    assert model._sparse_text("where is my order") == "where is my order"
    assert model._sparse_text("আমার অর্ডার কোথায়") == "আমার অর্ডার কোথায়"


def test_training_reads_each_banglish_example_once_and_a_retrain_none_again(tmp_path, monkeypatch):
    """Avro's rules take ~3 ms a message: the readings are shared by the n-grams and the
    embedding, and kept beside the embeddings for the next training."""
    from seba.language import BANGLISH, detect_variety
    from seba.nlu import transliterate

    read = []
    real = transliterate._avro
    monkeypatch.setattr(transliterate, "_avro", lambda text: read.append(text) or real(text))
    monkeypatch.setenv("SEBA_E5_CACHE", str(tmp_path / "cache.sqlite"))
    transliterate.bengali_script.cache_clear()
    banglish = [t for t, _ in EXAMPLES if detect_variety(t) == BANGLISH]
    assert len(banglish) == 3

    for run in ("first", "retrain"):
        (tmp_path / run).mkdir()
        _trained(tmp_path / run, both=True, ngrams_both=True)
        assert sorted(read) == (sorted(banglish) if run == "first" else []), run
        read.clear()
        transliterate.bengali_script.cache_clear()  # a new process: only the disk remembers

    texts = [t for t, _ in EXAMPLES]
    cached = transliterate.bengali_script_many(texts, transliterate.ReadingCache())
    assert cached == [bengali_script(t) for t in texts]
    assert [r is not None for r in cached] == [t in banglish for t in texts]
