from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from seba.nlu.components import BengaliDigitNormalizer, OrderEntityExtractor


def test_normalizer_rewrites_bengali_digits_in_place():
    message = Message(data={TEXT: "অর্ডার ১০৪৫৬ কোথায়"})
    BengaliDigitNormalizer().process([message])
    assert message.get(TEXT) == "অর্ডার 10456 কোথায়"


def test_extractor_returns_normalised_values():
    message = Message(data={TEXT: "order 10456, phone +880 1711-000001"})
    OrderEntityExtractor().process([message])
    values = {(e["entity"], e["value"], e["extractor"]) for e in message.get(ENTITIES)}
    assert values == {
        ("order_number", "10456", "OrderEntityExtractor"),
        ("phone", "01711000001", "OrderEntityExtractor"),
    }


def test_extractor_leaves_money_alone():
    message = Message(data={TEXT: "refund 1250 taka kobe pabo"})
    OrderEntityExtractor().process([message])
    assert not message.get(ENTITIES)


# --- LinearIntentClassifier and ProductEntityExtractor, trained on tiny data ----------

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402

from seba.nlu.linear_classifier import LinearIntentClassifier  # noqa: E402
from seba.nlu.products import ProductEntityExtractor  # noqa: E402

EXAMPLES = [
    ("আমার অর্ডার কোথায়", "order_status", None),
    ("amar order kothay", "order_status", None),
    ("where is my order", "order_status", None),
    ("ডেলিভারি চার্জ কত", "faq", "faq/delivery_charge"),
    ("delivery charge koto", "faq", "faq/delivery_charge"),
    ("how much is delivery", "faq", "faq/delivery_charge"),
    ("কখন খোলা থাকে", "faq", "faq/business_hours"),
    ("what are your hours", "faq", "faq/business_hours"),
    ("ধন্যবাদ", "thank", None),
    ("thanks vai", "thank", None),
    ("thank you", "thank", None),
]


def _messages(rows):
    messages = []
    for text, intent, key in rows:
        data = {TEXT: text, "intent": intent}
        if key:
            data["intent_response_key"] = key
        messages.append(Message(data=data))
    return messages


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


@pytest.mark.parametrize("e5_weight,threshold", [(0.0, 0.8), (2.0, 0.0), (2.0, 1.01)])
def test_linear_classifier_trains_saves_loads_and_predicts(storage, e5_weight, threshold):
    config = {
        **LinearIntentClassifier.get_default_config(),
        "e5_weight": e5_weight,
        "cascade_threshold": threshold,
    }
    resource = Resource("linear")
    trainer = LinearIntentClassifier(config, storage, resource)
    trainer.train(TrainingData(training_examples=_messages(EXAMPLES)))

    loaded = LinearIntentClassifier.load(config, storage, resource, None)
    [ask, hours] = _messages(
        [("delivery charge koto vai", None, None), ("what are your opening hours", None, None)]
    )
    loaded.process([ask, hours])
    assert ask.get("intent")["name"] == "faq"  # FAQ keys add up to the base intent
    names = [r["name"] for r in ask.get("intent_ranking")]
    assert len(names) == len(set(names)) and "faq/delivery_charge" not in names
    assert abs(sum(r["confidence"] for r in ask.get("intent_ranking")) - 1.0) < 1e-6
    assert hours.get("intent")["name"] == "faq"
    # The fast paths agree with scikit-learn's own.
    texts = ["delivery charge koto vai", "what are your opening hours", "zzz", ""]
    X = loaded._model.features(texts)
    assert np.allclose(
        loaded._predict_proba(loaded._model.sparse_clf, X),
        loaded._model.sparse_clf.predict_proba(X),
    )
    for i, text in enumerate(texts):
        indices, values = loaded._model.row(text)
        assert np.allclose(X[i].toarray()[0][indices], values)
        assert np.isclose(X[i].sum(), values.sum())
    if e5_weight:
        from seba.nlu import e5

        full = loaded._with_e5(X, texts)
        expected = loaded._model.full_clf.predict_proba(full)
        coef = loaded._coef_t(loaded._model.full_clf)
        for i, text in enumerate(texts):
            indices, values = loaded._model.row(text)
            dense = e5.embed(text) * e5_weight
            scores = (
                values @ coef[indices]
                + dense @ coef[-len(dense) :]
                + loaded._model.full_clf.intercept_
            )
            assert np.allclose(loaded._normalised(scores), expected[i])


def test_words_keep_bangla_vowel_signs_and_split_at_punctuation():
    from seba.nlu.linear_classifier import words

    assert words("আমার অর্ডারটা কোথায়? Order#10456, ok!") == [
        "আমার",
        "অর্ডারটা",
        "কোথায়",
        "order",
        "10456",
        "ok",
    ]


def test_product_extractor_handles_bangla_endings(storage):
    resource = Resource("products")
    extractor = ProductEntityExtractor(
        ProductEntityExtractor.get_default_config(), storage, resource
    )
    data = TrainingData(
        lookup_tables=[
            {"name": "product", "elements": ["বোরকা", "panjabi", "jamdani saree", "jamdani"]}
        ]
    )
    extractor.train(data)
    loaded = ProductEntityExtractor.load(
        ProductEntityExtractor.get_default_config(), storage, resource, None
    )
    cases = {
        "কালো বোরকা কবে পাবো": ("বোরকা", "বোরকা"),
        "আমার বোরকাটার দাম কত": ("বোরকা", "বোরকাটার"),
        "panjabir dam koto": ("panjabi", "panjabir"),
        "Jamdani Saree ache?": ("jamdani saree", "Jamdani Saree"),
    }
    for text, (value, surface) in cases.items():
        message = Message(data={TEXT: text})
        loaded.process([message])
        [entity] = message.get(ENTITIES)
        assert (entity["value"], text[entity["start"] : entity["end"]]) == (value, surface)
    message = Message(data={TEXT: "panjabiwala dokan"})
    loaded.process([message])
    assert not message.get(ENTITIES)


def test_the_faq_answer_is_the_classifiers_best_faq_key():
    from seba.nlu.components import FaqKeySelector
    from seba.nlu.linear_classifier import KEY_RANKING

    faq = Message(data={TEXT: "delivery charge koto", "intent": {"name": "faq", "confidence": 0.9}})
    faq.set(
        KEY_RANKING, [("faq/delivery_charge", 0.6), ("order_status", 0.2), ("faq/warranty", 0.2)]
    )
    other = Message(data={TEXT: "amar order", "intent": {"name": "order_status"}})
    other.set(KEY_RANKING, [("order_status", 0.9), ("faq/warranty", 0.1)])
    FaqKeySelector().process([faq, other])
    selected = faq.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/delivery_charge"
    assert selected["response"]["utter_action"] == "utter_faq/delivery_charge"
    assert abs(selected["response"]["confidence"] - 0.75) < 1e-9  # among the FAQ keys
    assert [r["intent_response_key"] for r in selected["ranking"]] == [
        "faq/delivery_charge",
        "faq/warranty",
    ]
    assert other.get("response_selector") is None  # not an FAQ: nothing to select


def test_training_embeddings_are_computed_once_across_trainings(tmp_path, monkeypatch):
    from seba.nlu import e5

    computed = []
    monkeypatch.setattr(
        e5,
        "_compute",
        lambda text: computed.append(text) or np.full(e5.DIM, len(text), dtype=np.float32),
    )
    cache = e5.DiskCache(tmp_path / "cache.sqlite")
    first = e5.embed_many(["ক", "ab", "ক"], cache)
    assert computed == ["ক", "ab"] and first.shape == (3, e5.DIM)
    again = e5.embed_many(["ab", "new one", "ক"], e5.DiskCache(tmp_path / "cache.sqlite"))
    assert computed == ["ক", "ab", "new one"]  # only the new text
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])


def test_the_same_data_trains_the_same_model(storage, tmp_path):
    config = {**LinearIntentClassifier.get_default_config(), "e5_weight": 0.0}
    probabilities = []
    for n in range(2):
        (tmp_path / str(n)).mkdir()
        model = LinearIntentClassifier(
            config, LocalModelStorage(tmp_path / str(n)), Resource("linear")
        )
        model.train(TrainingData(training_examples=_messages(EXAMPLES)))
        X = model._model.features([t for t, _, _ in EXAMPLES])
        probabilities.append(model._predict_proba(model._model.sparse_clf, X))
    assert np.array_equal(probabilities[0], probabilities[1])
