"""seba.shop against a real (SQLite) demo database."""

import datetime as dt

import pytest
from sqlalchemy import select

from seba.db import SessionLocal, session_scope
from seba.db.models import Customer, Order, OrderItem, Product, Refund
from seba.shop import (
    ReturnCheck,
    ShopUnavailable,
    can_cancel,
    cancel_order,
    create_return_request,
    find_products,
    latest_refund,
    order_items_text,
    return_eligibility,
    verify_order,
)


def get(session, number):
    return session.execute(select(Order).where(Order.number == number)).scalar_one()


def names(products):
    return [p.name_en for p in products]


# -- verify_order ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, phone",
    [
        ("10456", "01711000001"),
        ("১০৪৫৬", "০১৭১১০০০০০১"),
        ("#10456", "+880 1711-000001"),
        ("order 10456", "8801711000001"),
        (10456, "01711 000 001"),
    ],
)
def test_verify_order_normalises_input(db_session, number, phone):
    assert verify_order(db_session, number, phone).number == "10456"


@pytest.mark.parametrize(
    "number, phone",
    [
        ("10456", "01811000002"),  # another customer's phone
        ("10457", "01711000001"),  # another order of ... someone else
        ("99999", "01711000001"),  # no such order
        ("10456", "01711000009"),  # wrong phone
        ("10456", ""),
        ("", "01711000001"),
        (None, None),
        ("abc", "xyz"),
    ],
)
def test_verify_order_reveals_nothing(db_session, number, phone):
    assert verify_order(db_session, number, phone) is None


def test_verify_order_uses_the_phone_on_the_order(db_session):
    o = get(db_session, "10456")
    o.phone = "01999888777"  # delivered to another number than the customer's own
    db_session.flush()
    assert verify_order(db_session, "10456", "01999888777") is o
    assert verify_order(db_session, "10456", o.customer.phone) is None


# -- cancel ----------------------------------------------------------------------------------


def test_can_cancel(db_session, settings):
    assert can_cancel(get(db_session, "10459"), settings)
    for number in ("10456", "10457", "10458", "10460"):
        assert not can_cancel(get(db_session, number), settings)


def test_cancel_prepaid_order_creates_refund(db_url, settings):
    now = dt.datetime(2025, 3, 15, 12, 30)
    with session_scope(db_url) as session:
        o = cancel_order(session, get(session, "10459"), settings, now=now)
        assert (o.status, o.cancelled_at, o.payment_status) == ("cancelled", now, "refund_pending")
    with session_scope(db_url) as session:
        o = get(session, "10459")
        assert o.status == "cancelled"
        refund = latest_refund(session, o)
        assert (refund.amount, refund.method, refund.status) == (o.total, "bkash", "pending")
        assert refund.expected_by == now.date() + dt.timedelta(days=settings.refund_days)
        assert refund.account and "•" in refund.account
        assert not can_cancel(o, settings)


def test_cancel_cod_order_has_no_refund(db_session, settings):
    o = get(db_session, "10459")
    o.payment_method, o.payment_status = "cod", "pending"
    cancel_order(db_session, o, settings)
    assert o.status == "cancelled" and o.cancelled_at is not None
    assert o.payment_status == "pending" and latest_refund(db_session, o) is None


@pytest.mark.parametrize("number", ["10456", "10457", "10460"])
def test_cancel_refused_after_packing(db_session, settings, number):
    o = get(db_session, number)
    status, refunds = o.status, len(o.refunds)
    with pytest.raises(ValueError):
        cancel_order(db_session, o, settings)
    assert (o.status, len(o.refunds)) == (status, refunds)


# -- returns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, reason",
    [
        ("10458", "window_passed"),
        ("10459", "not_delivered"),
        ("10456", "not_delivered"),
        ("10460", "cancelled"),
    ],
)
def test_return_not_eligible(db_session, settings, demo_today, number, reason):
    check = return_eligibility(db_session, get(db_session, number), settings, today=demo_today)
    assert (check.eligible, check.reason, check.days_left) == (False, reason, None)


def test_return_eligible_10457(db_session, settings, demo_today):
    check = return_eligibility(db_session, get(db_session, "10457"), settings, today=demo_today)
    assert check == ReturnCheck(True, "ok", settings.return_window_days - 3, check.items)
    assert [i.product.category for i in check.items] == ["borka"]
    # Defaults to today (the demo data was loaded with today's date).
    assert return_eligibility(db_session, get(db_session, "10457"), settings).eligible


def test_return_window_edges(db_session, settings, demo_today):
    o = get(db_session, "10457")  # delivered 3 days before demo_today
    last_day = demo_today + dt.timedelta(days=settings.return_window_days - 3)
    check = return_eligibility(db_session, o, settings, today=last_day)
    assert (check.eligible, check.days_left) == (True, 0)
    check = return_eligibility(db_session, o, settings, today=last_day + dt.timedelta(days=1))
    assert (check.eligible, check.reason) == (False, "window_passed")


def test_return_not_returnable_category(db_session, settings, demo_today):
    lipstick = db_session.execute(select(Product).where(Product.sku == "COS-001")).scalar_one()
    customer = db_session.execute(select(Customer)).scalars().first()
    delivered = dt.datetime.combine(demo_today - dt.timedelta(days=1), dt.time(15))
    o = Order(
        number="999001",
        customer=customer,
        phone=customer.phone,
        delivery_area="inside_dhaka",
        address="x",
        status="delivered",
        payment_method="cod",
        payment_status="paid",
        subtotal=450,
        delivery_charge=70,
        total=520,
        placed_at=delivered - dt.timedelta(days=2),
        delivered_at=delivered,
        items=[OrderItem(product=lipstick, quantity=1, unit_price=450)],
    )
    db_session.add(o)
    db_session.flush()
    check = return_eligibility(db_session, o, settings, today=demo_today)
    assert (check.eligible, check.reason, check.items) == (False, "not_returnable", [])
    with pytest.raises(ValueError, match="not_returnable"):
        create_return_request(
            db_session, o, "changed_mind", "", settings=settings, today=demo_today
        )


def test_create_return_request_once(db_url, settings, demo_today):
    with session_scope(db_url) as session:
        o = get(session, "10457")
        request = create_return_request(
            session,
            o,
            "wrong_size_or_colour",
            "  সাইজ ছোট হয়েছে  ",
            sender_id="conv-1",
            channel="facebook",
            settings=settings,
            today=demo_today,
        )
        assert (request.reference, request.status, request.reason) == (
            "RT-10457-1",
            "requested",
            "wrong_size_or_colour",
        )
        assert (request.details, request.sender_id, request.channel) == (
            "সাইজ ছোট হয়েছে",
            "conv-1",
            "facebook",
        )
        assert request.id is not None and request.created_at is not None
    with session_scope(db_url) as session:
        o = get(session, "10457")
        check = return_eligibility(session, o, settings, today=demo_today)
        assert (check.eligible, check.reason) == (False, "already_requested")
        with pytest.raises(ValueError, match="already_requested"):
            create_return_request(session, o, "damaged", "", settings=settings, today=demo_today)
        assert [r.reference for r in o.return_requests] == ["RT-10457-1"]


def test_create_return_request_validation(db_session, settings, demo_today):
    with pytest.raises(ValueError, match="unknown return reason"):
        create_return_request(
            db_session,
            get(db_session, "10457"),
            "too_expensive",
            "",
            settings=settings,
            today=demo_today,
        )
    with pytest.raises(ValueError, match="window_passed"):
        create_return_request(
            db_session, get(db_session, "10458"), "damaged", "", settings=settings, today=demo_today
        )
    with pytest.raises(ValueError, match="cancelled"):
        create_return_request(
            db_session, get(db_session, "10460"), "damaged", "", settings=settings, today=demo_today
        )


def test_create_return_request_default_settings(shop_db):
    with session_scope() as session:  # DATABASE_URL from the shop_db fixture
        request = create_return_request(session, get(session, "10457"), "damaged", "ছেঁড়া")
        assert request.reference == "RT-10457-1"


# -- refunds and helpers ---------------------------------------------------------------------


def test_latest_refund(db_session):
    refund = latest_refund(db_session, get(db_session, "10460"))
    assert (refund.amount, refund.method, refund.status) == (1250, "bkash", "pending")
    assert refund.expected_by is not None
    assert latest_refund(db_session, get(db_session, "10457")) is None


def test_latest_refund_is_most_recent(db_session):
    o = get(db_session, "10460")
    later = o.refunds[0].created_at + dt.timedelta(hours=1)
    o.refunds.append(Refund(amount=100, method="bank", status="processing", created_at=later))
    db_session.flush()
    assert latest_refund(db_session, o).amount == 100


def test_order_items_text(db_session):
    o = get(db_session, "10458")
    assert order_items_text(o, "en") == "Check Casual Shirt (size L), Slim Fit Jeans Pant (size 32)"
    assert order_items_text(o, "bn") == "চেক ক্যাজুয়াল শার্ট (সাইজ L), জিন্স প্যান্ট (সাইজ ৩২)"
    assert order_items_text(get(db_session, "10460"), "en") == "Printed Chiffon Hijab × 2"
    assert order_items_text(get(db_session, "10460"), "bn") == "প্রিন্টেড শিফন হিজাব × ২"


# -- product search --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "black borka",
        "কালো বোরকা",
        "Black Borka",
        "kalo borka",
        "amar kalo borkata ferot dite chai",
        "আমার কালো বোরকাটা ফেরত দিতে চাই",
        "কালো বোরখা",
    ],
)
def test_find_black_borka(db_session, text):
    found = find_products(db_session, text)
    assert found and found[0].category == "borka" and found[0].colour_en == "Black"
    assert found[0].in_stock


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Black Georgette Borka", ["Black Georgette Borka"]),
        ("কালো জর্জেট বোরকা", ["Black Georgette Borka"]),
        ("jamdani shari ache?", ["Jamdani Saree"]),
        ("জামদানি শাড়ি", ["Jamdani Saree"]),
        ("জামদানী শাড়ী", ["Jamdani Saree"]),  # ী spelling variant
        ("লেডিস ব্যাগ", ["Ladies Hand Bag"]),
        ("kaner dul", ["Gold Plated Earrings"]),
        ("lipstick er dam koto", ["Matte Lipstick"]),
        ("smart watch", ["Smart Watch"]),
        ("leather sandal", ["Leather Sandal"]),
    ],
)
def test_find_specific_product(db_session, text, expected):
    assert names(find_products(db_session, text)) == expected


@pytest.mark.parametrize(
    "text, category",
    [
        ("borka", "borka"),
        ("বোরকা", "borka"),
        ("burka", "borka"),
        ("panjabi", "panjabi"),
        ("পাঞ্জাবী", "panjabi"),
        ("punjabi er dam", "panjabi"),
        ("panjabee", "panjabi"),
        ("saree", "saree"),
        ("শাড়িটা", "saree"),
        ("sharee", "saree"),
        ("three piece", "three_piece"),
        ("থ্রি পিস", "three_piece"),
        ("টি-শার্ট", "tshirt"),
        ("t-shirt", "tshirt"),
        ("tshirt", "tshirt"),
        ("shirt", "shirt"),
        ("হাতঘড়ি", "watches"),
        ("ghori", "watches"),
        ("jins pant", "jeans"),
        ("হিজাব", "hijab"),
        ("কুর্তি", "kurti"),
        ("ব্যাগের দাম কত", "bags"),
    ],
)
def test_find_by_generic_word(db_session, text, category):
    found = find_products(db_session, text)
    assert found and all(p.category == category for p in found), names(found)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "my order is late",
        "অর্ডার কবে পাবো?",
        "10456",
        "amar order cancel korte chai",
        "refund kobe pabo",
        "match",
        "black",
        "ডেলিভারি চার্জ কত",
        "bkash number din",
    ],
)
def test_find_nothing(db_session, text):
    assert find_products(db_session, text) == []


def test_find_ranking_in_stock_first_and_limit(db_session):
    found = find_products(db_session, "borka", limit=10)
    assert len(found) == 4
    assert [p.in_stock for p in found] == [True, True, True, False]
    assert len(find_products(db_session, "borka")) == 3
    assert find_products(db_session, "borka", limit=1)[0].name_en == "Black Georgette Borka"


def test_find_more_specific_wins(db_session):
    assert names(find_products(db_session, "dubai borka"))[0] == "Navy Blue Dubai Cherry Borka"
    assert names(find_products(db_session, "red saree"))[0] == "Jamdani Saree"
    # "টি-শার্ট" contains "শার্ট": no shirts for a t-shirt question.
    assert {p.category for p in find_products(db_session, "টি-শার্ট", limit=10)} == {"tshirt"}


def test_find_rebuilds_when_catalogue_changes(db_url):
    with session_scope(db_url) as session:
        assert find_products(session, "kashmiri shawl") == []
        session.add(
            Product(
                sku="SHW-001",
                name_bn="কাশ্মীরি শাল",
                name_en="Kashmiri Shawl",
                keywords="shawl,শাল,chador",
                category="hijab",
                price=2200,
                stock=3,
            )
        )
    with session_scope(db_url) as session:
        assert names(find_products(session, "kashmiri shawl")) == ["Kashmiri Shawl"]
        assert names(find_products(session, "কাশ্মীরি শাল")) == ["Kashmiri Shawl"]
        product = session.execute(select(Product).where(Product.sku == "SHW-001")).scalar_one()
        product.name_en = "Pashmina Wrap"
    with session_scope(db_url) as session:
        assert names(find_products(session, "pashmina wrap")) == ["Pashmina Wrap"]


def test_find_handles_decomposed_bangla(db_session):
    decomposed = "শা\u09a1\u09bcি"  # ড় typed as ড + nukta
    assert find_products(db_session, decomposed)[0].category == "saree"


# -- database down ---------------------------------------------------------------------------


def test_shop_unavailable(tmp_path, settings):
    session = SessionLocal(f"sqlite:///{tmp_path / 'gone' / 'shop.db'}")
    try:
        with pytest.raises(ShopUnavailable):
            verify_order(session, "10456", "01711000001")
        with pytest.raises(ShopUnavailable):
            find_products(session, "borka")
    finally:
        session.close()
