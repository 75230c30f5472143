import datetime as dt

from seba import i18n
from seba.settings import load_settings

REQUIRED_VARS = {
    "shop_name",
    "shop_phone",
    "shop_email",
    "shop_address",
    "facebook_page",
    "website",
    "business_hours",
    "agent_hours",
    "return_window_days",
    "non_returnable_categories",
    "delivery_days_inside_dhaka",
    "delivery_days_outside_dhaka",
    "delivery_charge_inside_dhaka",
    "delivery_charge_outside_dhaka",
    "free_delivery_above",
    "payment_methods",
    "bkash_number",
    "nagad_number",
    "warranty",
    "exchange_days",
    "refund_days",
    "free_delivery_note",
}


def test_template_vars_complete_in_both_languages():
    settings = load_settings()
    for lang in ("bn", "en"):
        values = settings.template_vars(lang)
        assert REQUIRED_VARS <= set(values)
        assert all(isinstance(v, str) for v in values.values())


def test_bangla_values_use_bengali_digits():
    bn = load_settings().template_vars("bn")
    assert bn["delivery_charge_inside_dhaka"] == "৭০ টাকা"
    assert bn["return_window_days"] == "৭"
    assert load_settings().template_vars("en")["delivery_charge_outside_dhaka"] == "BDT 130"


def test_settings_follow_the_file(tmp_path):
    text = (
        load_settings()
        .path.read_text(encoding="utf-8")
        .replace("window_days: 7", "window_days: 10")
    )
    other = tmp_path / "shop.yml"
    other.write_text(text, encoding="utf-8")
    assert load_settings(other).return_window_days == 10


def test_agent_hours():
    hours = load_settings().agent_hours
    friday_noon = dt.datetime(2026, 11, 27, 12, 0)  # a Friday
    monday_noon = dt.datetime(2026, 11, 23, 12, 0)
    assert not hours.is_open(friday_noon)
    assert hours.is_open(monday_noon)
    assert not hours.is_open(monday_noon.replace(hour=21))


def test_i18n_formats():
    today = dt.date(2026, 11, 23)
    assert i18n.money(1250, "bn") == "১,২৫০ টাকা"
    assert i18n.money(1250, "en") == "BDT 1,250"
    assert i18n.date(dt.date(2026, 11, 25), "bn", today) == "২৫ নভেম্বর"
    assert i18n.date(dt.date(2027, 1, 2), "en", today) == "2 January 2027"
    assert i18n.status("shipped", "bn") == "কুরিয়ারে পাঠানো হয়েছে"
    assert i18n.payment("bkash", "en") == "bKash"


def test_free_delivery_note_disappears_when_delivery_is_never_free(tmp_path):
    text = (
        load_settings()
        .path.read_text(encoding="utf-8")
        .replace("free_delivery_above: 3000", "free_delivery_above: 0")
    )
    other = tmp_path / "shop.yml"
    other.write_text(text, encoding="utf-8")
    assert load_settings(other).template_vars("bn")["free_delivery_note"] == ""
    assert "৩,০০০" in load_settings().template_vars("bn")["free_delivery_note"]
