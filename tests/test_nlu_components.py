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
