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
import scipy.sparse  # noqa: E402
from rasa.engine.storage.local_model_storage import LocalModelStorage  # noqa: E402
from rasa.engine.storage.resource import Resource  # noqa: E402
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE  # noqa: E402
from rasa.shared.nlu.training_data.features import Features  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402

from seba.nlu.linear_classifier import LinearIntentClassifier  # noqa: E402
from seba.nlu.products import ProductEntityExtractor  # noqa: E402

EXAMPLES = [
    ("আমার অর্ডার কোথায়", "order_status", None), ("amar order kothay", "order_status", None),
    ("where is my order", "order_status", None),
    ("ডেলিভারি চার্জ কত", "faq", "faq/delivery_charge"),
    ("delivery charge koto", "faq", "faq/delivery_charge"),
    ("how much is delivery", "faq", "faq/delivery_charge"),
    ("কখন খোলা থাকে", "faq", "faq/business_hours"), ("what are your hours", "faq", "faq/business_hours"),
    ("ধন্যবাদ", "thank", None), ("thanks vai", "thank", None), ("thank you", "thank", None),
]


def _messages(vectorizer, rows):
    messages = []
    for text, intent, key in rows:
        data = {TEXT: text, "intent": intent}
        if key:
            data["intent_response_key"] = key
        message = Message(data=data)
        counts = scipy.sparse.coo_matrix(vectorizer.transform([text]))
        message.add_features(Features(counts, FEATURE_TYPE_SENTENCE, TEXT, "counts"))
        messages.append(message)
    return messages


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


@pytest.mark.parametrize("e5_weight,threshold", [(0.0, 0.8), (2.0, 0.0), (2.0, 1.01)])
def test_linear_classifier_trains_saves_loads_and_predicts(storage, e5_weight, threshold):
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(
        [t for t, _, _ in EXAMPLES])
    config = {**LinearIntentClassifier.get_default_config(), "e5_weight": e5_weight,
              "cascade_threshold": threshold}
    resource = Resource("linear")
    trainer = LinearIntentClassifier(config, storage, resource)
    trainer.train(TrainingData(training_examples=_messages(vectorizer, EXAMPLES)))

    loaded = LinearIntentClassifier.load(config, storage, resource, None)
    [ask, hours] = _messages(vectorizer, [("delivery charge koto vai", None, None),
                                          ("what are your opening hours", None, None)])
    loaded.process([ask, hours])
    assert ask.get("intent")["name"] == "faq"  # FAQ keys add up to the base intent
    names = [r["name"] for r in ask.get("intent_ranking")]
    assert len(names) == len(set(names)) and "faq/delivery_charge" not in names
    assert abs(sum(r["confidence"] for r in ask.get("intent_ranking")) - 1.0) < 1e-6
    assert hours.get("intent")["name"] == "faq"
    # The fast probability path agrees with scikit-learn's own.
    X = loaded._tfidf.transform(loaded._sparse([ask, hours]))
    assert np.allclose(loaded._predict_proba(loaded._sparse_clf, X),
                       loaded._sparse_clf.predict_proba(X))


def test_product_extractor_handles_bangla_endings(storage):
    resource = Resource("products")
    extractor = ProductEntityExtractor(ProductEntityExtractor.get_default_config(), storage, resource)
    data = TrainingData(lookup_tables=[{"name": "product", "elements": ["বোরকা", "panjabi", "jamdani saree", "jamdani"]}])
    extractor.train(data)
    loaded = ProductEntityExtractor.load(ProductEntityExtractor.get_default_config(), storage, resource, None)
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
        assert (entity["value"], text[entity["start"]:entity["end"]]) == (value, surface)
    message = Message(data={TEXT: "panjabiwala dokan"})
    loaded.process([message])
    assert not message.get(ENTITIES)
