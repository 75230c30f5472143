import pytest

from seba.text import (
    find_order_numbers,
    iter_entities,
    mask_phone,
    normalize_order_number,
    normalize_phone,
    to_ascii_digits,
    to_bengali_digits,
)


def test_bengali_digits_round_trip():
    assert to_ascii_digits("অর্ডার ১০৪৫৬") == "অর্ডার 10456"
    assert to_bengali_digits("1250") == "১২৫০"


@pytest.mark.parametrize(
    "text",
    [
        "01711000001",
        "০১৭১১০০০০০১",
        "+8801711000001",
        "8801711000001",
        "+88 01711-000001",
        "01711-000001",
        "017 1100 0001",
        "amar number 01711000001 vai",
    ],
)
def test_phone_forms_normalise(text):
    assert normalize_phone(text) == "01711000001"


@pytest.mark.parametrize("text", ["0171100000", "02711000001", "011234567890", "12345"])
def test_not_phones(text):
    assert normalize_phone(text) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10456", "10456"),
        ("১০৪৫৬", "10456"),
        ("order #10457", "10457"),
        ("amar order 10458 kothay", "10458"),
        ("অর্ডার নং: ১০৪৫৯", "10459"),
    ],
)
def test_order_numbers(text, expected):
    assert normalize_order_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "1250 taka refund pai nai",
        "৳ 12500 কবে পাবো",
        "১২৫০০ টাকা",
        "01711000001",
        "1234",
    ],
)
def test_money_and_phones_are_not_order_numbers(text):
    assert find_order_numbers(text) == []


def test_entities_carry_spans_of_the_original_text():
    text = "অর্ডার ১০৪৫৬, ফোন +৮৮০১৭১১০০০০০১"
    entities = {e["entity"]: e for e in iter_entities(text)}
    assert entities["order_number"]["value"] == "10456"
    assert text[entities["order_number"]["start"] : entities["order_number"]["end"]] == "১০৪৫৬"
    assert entities["phone"]["value"] == "01711000001"


def test_mask_phone():
    assert mask_phone("01711000001") == "017•••••001"
