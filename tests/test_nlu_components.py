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


def test_out_of_scope_weight_moves_probability_to_the_in_scope_intents(storage):
    # The out_of_scope class has many more examples than an intent; its probability is
    # scaled by out_of_scope_weight before normalising (a prior correction).
    rows = EXAMPLES + [
        ("what is the weather today", "out_of_scope", None),
        ("tell me a joke", "out_of_scope", None),
        ("who won the match", "out_of_scope", None),
        ("আজ বৃষ্টি হবে?", "out_of_scope", None),
    ]
    config = {**LinearIntentClassifier.get_default_config(), "e5_weight": 0.0}
    resource = Resource("weighted")
    LinearIntentClassifier(config, storage, resource).train(
        TrainingData(training_examples=_messages(rows))
    )

    def ranking(weight, text):
        loaded = LinearIntentClassifier.load(
            {**config, "out_of_scope_weight": weight}, storage, resource, None
        )
        [message] = _messages([(text, None, None)])
        loaded.process([message])
        return {r["name"]: r["confidence"] for r in message.get("intent_ranking")}

    for text in ["weather joke order", "tell me the weather"]:
        plain, weighted = ranking(1.0, text), ranking(0.3, text)
        assert abs(sum(weighted.values()) - 1.0) < 1e-6
        assert weighted["out_of_scope"] < plain["out_of_scope"]
        odds = plain["order_status"] / plain["thank"], weighted["order_status"] / weighted["thank"]
        assert odds[0] == pytest.approx(odds[1])  # the in-scope intents keep their order
    # A clear out-of-scope message is still out of scope.
    assert max(ranking(0.3, "what is the weather today").items(), key=lambda kv: kv[1])[0] == (
        "out_of_scope"
    )


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


def test_the_number_of_fit_threads_does_not_change_the_model(storage, tmp_path):
    # The retrain fits the classes on every core; the model must be the one-thread model.
    coefficients = []
    for threads in (1, 2):
        (tmp_path / str(threads)).mkdir()
        config = {
            **LinearIntentClassifier.get_default_config(),
            "e5_weight": 0.0,
            "fit_threads": threads,
        }
        model = LinearIntentClassifier(
            config, LocalModelStorage(tmp_path / str(threads)), Resource("linear")
        )
        model.train(TrainingData(training_examples=_messages(EXAMPLES)))
        assert model._model.sparse_clf.n_jobs == threads
        coefficients.append(model._model.sparse_clf.coef_)
    assert np.array_equal(coefficients[0], coefficients[1])
    # ...and what is saved is single precision (half the model to pack and unpack).
    assert coefficients[0].dtype == np.float32
    assert model._model.in_scope_columns.dtype == np.float32


# --- Long numbers, and the out-of-scope detector -------------------------------------

from seba.nlu.linear_classifier import NEAR_EXAMPLE, features_text  # noqa: E402
from seba.nlu.out_of_scope import OutOfScopeDetector, calibrate, neighbour_scores  # noqa: E402


def test_long_digit_runs_are_one_placeholder_word_for_the_classifier():
    assert features_text("where is my order 123456789012?") == "where is my order 00000?"
    assert features_text("অর্ডার ৮৮৮৮৮৮৮৮৮৮৮৮ কোথায়") == "অর্ডার 00000 কোথায়"
    assert features_text("10456") == features_text("884512309911") == "00000"
    # Ratings, sizes and amounts keep their digits.
    assert features_text("5 star, size 42, 1250 taka") == "5 star, size 42, 1250 taka"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("where is my order 123456789012?", {("order_number", "123456789012")}),
        ("amar order ৮৮৮৮৮৮৮৮৮৮৮৮ kothay", {("order_number", "888888888888")}),
        ("order #884512309911", {("order_number", "884512309911")}),
        ("order 10456", {("order_number", "10456")}),  # this shop's own, unchanged
        ("+8801711000001", {("phone", "01711000001")}),  # a phone is not an order id
        ("01911-000003", {("phone", "01911000003")}),
        ("refund 10000000 taka", set()),  # money
        ("code abc123456789", set()),  # part of a word
        ("1234567890123456", set()),  # 16 digits: a card number, not an order
    ],
)
def test_long_numbers_that_are_not_phones_are_order_numbers(text, expected):
    message = Message(data={TEXT: text})
    BengaliDigitNormalizer().process([message])
    OrderEntityExtractor().process([message])
    found = {(e["entity"], e["value"]) for e in message.get(ENTITIES) or []}
    assert found == expected
    for e in message.get(ENTITIES) or []:
        if e["entity"] == "order_number":
            assert message.get(TEXT)[e["start"] : e["end"]] == e["value"]


def test_neighbour_scores_leave_each_example_out():
    examples = np.eye(3)
    assert np.allclose(neighbour_scores(examples, examples, 1), [1, 1, 1])
    assert np.allclose(neighbour_scores(examples, examples, 1, leave_one_out=True), [0, 0, 0])


def test_calibration_rejects_at_most_the_budget_of_a_keys_own_examples():
    positives = np.linspace(0.80, 0.99, 100)
    threshold = calibrate(positives, 0.03)
    assert (positives < threshold).sum() == 3
    assert calibrate(positives, 0.0) == positives.min()  # rejects none of them
    assert calibrate(np.array([0.9]), 0.03) == -np.inf  # one example: nothing to learn


# Fake unit "embeddings": a few topic directions, so the test needs no e5 engine.
TOPICS = {"order": 0, "parcel": 0, "delivery": 1, "charge": 1, "weather": 2, "passport": 3}


def _fake_embedding(text):
    vector = np.full(8, 0.05, dtype=np.float32)
    for word in text.lower().split():
        if word in TOPICS:
            vector[TOPICS[word]] += 1.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def fake_e5(monkeypatch):
    from seba.nlu import e5

    monkeypatch.setattr(e5, "embed", _fake_embedding)
    monkeypatch.setattr(
        e5, "embed_many", lambda texts, cache=None: np.vstack([_fake_embedding(t) for t in texts])
    )


OOS_EXAMPLES = [
    ("what is the weather today", "out_of_scope", None),
    ("weather in dhaka tomorrow please", "out_of_scope", None),
]
POSITIVES = [
    ("where is my order now", "order_status", None),
    ("order not here yet where is it", "order_status", None),
    ("my parcel order please check", "order_status", None),
    ("delivery charge koto", "faq", "faq/delivery_charge"),
    ("how much is the delivery charge", "faq", "faq/delivery_charge"),
    ("charge for delivery outside dhaka", "faq", "faq/delivery_charge"),
]


def _predicted(text, key, confidence=0.9, near=False):
    message = Message(data={TEXT: text})
    message.set("intent", {"name": key.split("/")[0], "confidence": confidence})
    message.set("intent_ranking", [{"name": key.split("/")[0], "confidence": confidence}])
    message.set("seba_key_ranking", [(key, confidence), ("greet", 0.05)])
    message.set(NEAR_EXAMPLE, near)
    return message


def test_detector_thresholds_are_trained_saved_and_loaded(storage, fake_e5):
    config = OutOfScopeDetector.get_default_config()
    resource = Resource("oos")
    trainer = OutOfScopeDetector(config, storage, resource)
    trainer.train(TrainingData(training_examples=_messages(POSITIVES + OOS_EXAMPLES)))
    thresholds = trainer._model["thresholds"]
    assert set(thresholds) == {"order_status", "faq/delivery_charge"}
    loaded = OutOfScopeDetector.load(config, storage, resource, None)
    assert loaded._model["thresholds"] == thresholds

    far = _predicted("how do i renew my passport this year", "order_status")
    close = _predicted("where is my order parcel today", "order_status")
    faq = _predicted("what is the delivery charge for dhaka", "faq/delivery_charge")
    loaded.process([far, close, faq])
    assert far.get("intent")["name"] == "out_of_scope"
    # The classifier's guesses stay for the review page.
    assert far.get("intent_ranking")[0]["name"] == "order_status"
    assert close.get("intent")["name"] == "order_status"
    assert faq.get("intent")["name"] == "faq"


@pytest.mark.parametrize("text", ["ok", "hi", "👍👍", "10456", "123456789012", "ঠিক আছে", "?"])
def test_short_non_decisive_messages_are_never_rejected(storage, fake_e5, text):
    detector = OutOfScopeDetector(OutOfScopeDetector.get_default_config(), storage, Resource("o"))
    detector.train(TrainingData(training_examples=_messages(POSITIVES + OOS_EXAMPLES)))
    message = _predicted(text, "order_status", confidence=0.4)
    detector.process([message])
    assert message.get("intent")["name"] == "order_status"


def test_a_message_near_an_example_skips_the_embedding(storage, fake_e5, monkeypatch):
    from seba.nlu import e5

    detector = OutOfScopeDetector(OutOfScopeDetector.get_default_config(), storage, Resource("o"))
    detector.train(TrainingData(training_examples=_messages(POSITIVES + OOS_EXAMPLES)))
    monkeypatch.setattr(e5, "embed", lambda text: pytest.fail("embedded"))
    message = _predicted("how do i renew my passport this year", "order_status", near=True)
    detector.process([message])
    assert message.get("intent")["name"] == "order_status"


def test_the_classifier_calibrates_near_on_out_of_scope_examples(storage):
    config = {**LinearIntentClassifier.get_default_config(), "e5_weight": 0.0}
    classifier = LinearIntentClassifier(config, storage, Resource("linear"))
    classifier.train(TrainingData(training_examples=_messages(EXAMPLES + OOS_EXAMPLES)))
    assert 0.0 < classifier._model.near_similarity < 1.0
    [same, other] = _messages([("where is my order", None, None), ("zzz qqq", None, None)])
    classifier.process([same, other])
    assert same.get(NEAR_EXAMPLE) is True and other.get(NEAR_EXAMPLE) is False


def test_a_catalogue_product_keeps_a_message_in_scope():
    # "kajal ta ache ekhono": the classifier said out_of_scope, but the message names one of
    # the shop's products: the best in-scope guess stays, its confidence taken among the
    # in-scope intents (0.3 of the 0.4 left; a weak one still ends in nlu_fallback).
    from rasa.shared.nlu.training_data.message import Message

    from seba.nlu.out_of_scope import OutOfScopeDetector, keep_in_scope

    message = Message(
        data={
            "text": "kajal ta ache ekhono",
            "intent": {"name": "out_of_scope", "confidence": 0.6},
            "intent_ranking": [
                {"name": "out_of_scope", "confidence": 0.6},
                {"name": "product_info", "confidence": 0.3},
            ],
            "entities": [{"entity": "product", "value": "kajal"}],
        }
    )
    assert OutOfScopeDetector.mentions_product(message)
    keep_in_scope(message)
    assert message.get("intent")["name"] == "product_info"
    assert message.get("intent")["confidence"] == pytest.approx(0.75)
    plain = Message(data={"text": "what is the weather", "intent": {"name": "out_of_scope"}})
    assert not OutOfScopeDetector.mentions_product(plain)
    keep_in_scope(plain)
    assert plain.get("intent") == {"name": "out_of_scope"}


def test_two_intents_are_enough_to_train_and_predict(storage):
    """With two classes scikit-learn's fit keeps one coefficient row, not one per class."""
    rows = [r for r in EXAMPLES if r[1] in ("order_status", "thank")]
    config = {**LinearIntentClassifier.get_default_config(), "e5_weight": 0.0}
    resource = Resource("two")
    LinearIntentClassifier(config, storage, resource).train(
        TrainingData(training_examples=_messages(rows))
    )
    loaded = LinearIntentClassifier.load(config, storage, resource, None)
    order, thanks = _messages([("order kothay amar", None, None), ("thank you vai", None, None)])
    loaded.process([order, thanks])
    assert order.get("intent")["name"] == "order_status"
    assert thanks.get("intent")["name"] == "thank"
    ranking = order.get("intent_ranking")
    assert len(ranking) == 2 and abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_with_a_negative_margin_what_reads_more_like_out_of_scope_is_rejected(storage, fake_e5):
    examples = _messages(POSITIVES + OOS_EXAMPLES)
    for margin, rejected in ((None, False), (0.1, True)):
        config = {**OutOfScopeDetector.get_default_config(), "negative_margin": margin}
        detector = OutOfScopeDetector(config, storage, Resource(f"o{margin}"))
        detector.train(TrainingData(training_examples=examples))
        detector._model["thresholds"]["order_status"] = -np.inf  # the first test passes all
        mostly_weather = _predicted("weather weather order today", "order_status")
        mostly_order = _predicted("order order weather today", "order_status")
        detector.process([mostly_weather, mostly_order])
        assert (mostly_weather.get("intent")["name"] == "out_of_scope") is rejected, margin
        assert mostly_order.get("intent")["name"] == "order_status"
        if rejected:
            why = mostly_weather.get("seba_out_of_scope")
            assert why["negative"] - why["score"] > margin
