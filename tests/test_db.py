"""seba.db: engine and sessions, migrations, demo data contract, CLI."""

import datetime as dt
import re
import subprocess
import sys

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

import seba.db
from seba import PROJECT_ROOT
from seba.db import ShopUnavailable, database_url, get_engine, session_scope
from seba.db.__main__ import LOOKUP_PATH, catalogue_names, lookup_examples, main, render_lookup
from seba.db.demo_data import CONTRACT_NUMBERS, CONTRACT_PHONES, RANDOM_NUMBERS, load_demo_data
from seba.db.migrate import current_revision, downgrade, drop_all, head_revision, upgrade
from seba.db.models import (
    ORDER_STATUSES,
    Base,
    Customer,
    Order,
    OrderItem,
    Product,
    Refund,
    ReturnRequest,
)

SHOP_TABLES = {
    "customers",
    "products",
    "orders",
    "order_items",
    "return_requests",
    "refunds",
    "verification_guards",
    "verification_attempts",
    "verification_locks",
    "channel_updates",
    "courier_events",
    "order_notices",
    "channel_identities",
}
TRACKING = {
    "Pathao": r"PTH\d{6}",
    "Steadfast": r"SF\d{8}",
    "RedX": r"RDX\d{8}",
    "Paperfly": r"PF\d{8}",
    "Sundarban": r"SCS\d{7}",
}


def schema_drift(url):
    """Differences between the models and the migrated database (empty = none)."""
    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def snapshot(session, numbers=None):
    """Comparable plain data for the catalogue and the orders (all, or ``numbers``)."""
    products = [
        (
            p.sku,
            p.name_bn,
            p.name_en,
            p.keywords,
            p.category,
            p.colour_bn,
            p.colour_en,
            p.price,
            p.stock,
            p.returnable,
            p.sizes,
        )
        for p in session.execute(select(Product).order_by(Product.sku)).scalars()
    ]
    query = select(Order).order_by(Order.number)
    if numbers:
        query = query.where(Order.number.in_(numbers))
    orders = [
        (
            o.number,
            o.phone,
            o.customer.name,
            o.delivery_area,
            o.address,
            o.status,
            o.courier,
            o.tracking_code,
            o.payment_method,
            o.payment_status,
            o.subtotal,
            o.delivery_charge,
            o.total,
            o.placed_at,
            o.confirmed_at,
            o.packed_at,
            o.shipped_at,
            o.delivered_at,
            o.cancelled_at,
            o.expected_delivery,
            [(i.product.sku, i.quantity, i.unit_price, i.size, i.colour) for i in o.items],
            [(r.reference, r.reason, r.status, r.created_at) for r in o.return_requests],
            [(r.amount, r.method, r.status, r.account, r.expected_by) for r in o.refunds],
        )
        for o in session.execute(query).scalars()
    ]
    return products, orders


# -- engine and sessions ---------------------------------------------------------------------


def test_database_url_default_creates_var(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(seba.db, "PROJECT_ROOT", tmp_path)
    assert database_url() == f"sqlite:///{tmp_path / 'var' / 'shop.db'}"
    assert (tmp_path / "var").is_dir()


def test_database_url_from_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/shop")
    assert database_url() == "postgresql://u:p@db:5432/shop"
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/x.db")
    assert database_url() == "sqlite:////tmp/x.db"


def test_engine_cached_and_sqlite_pragmas(db_url):
    engine = get_engine(db_url)
    assert get_engine(db_url) is engine
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("foreign_keys") == 1
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == seba.db.SQLITE_BUSY_TIMEOUT_MS


def test_session_scope_commits_and_rolls_back(db_url):
    with session_scope(db_url) as session:
        session.get(Product, 1).stock = 77
    with pytest.raises(RuntimeError):
        with session_scope(db_url) as session:
            session.get(Product, 1).stock = 0
            session.flush()
            raise RuntimeError("boom")
    with session_scope(db_url) as session:
        assert session.get(Product, 1).stock == 77


def test_foreign_keys_enforced(db_url):
    with pytest.raises(ShopUnavailable):
        with session_scope(db_url) as session:
            session.add(OrderItem(order_id=999999, product_id=1, quantity=1, unit_price=100))


def test_unreachable_database_is_shop_unavailable(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'shop.db'}"
    with pytest.raises(ShopUnavailable):
        with session_scope(url) as session:
            session.execute(select(Order)).all()


# -- migrations ------------------------------------------------------------------------------


def test_migrations_from_empty(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert current_revision(url) is None
    assert upgrade(url) == head_revision() == "0004"
    assert SHOP_TABLES | {"alembic_version"} <= set(inspect(get_engine(url)).get_table_names())
    assert schema_drift(url) == []
    assert upgrade(url) == "0004"  # idempotent
    assert downgrade(url) is None
    assert set(inspect(get_engine(url)).get_table_names()) == {"alembic_version"}
    assert upgrade(url) == "0004"
    drop_all(url)
    assert inspect(get_engine(url)).get_table_names() == []


def test_reset_keeps_unrelated_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    with get_engine(url).begin() as connection:
        connection.exec_driver_sql("CREATE TABLE events (id INTEGER PRIMARY KEY)")
    assert main(["init", "--url", url]) == 0
    assert main(["reset", "--url", url]) == 0
    assert "events" in inspect(get_engine(url)).get_table_names()
    with session_scope(url) as session:
        assert session.execute(select(Order).where(Order.number == "10456")).scalar_one()


# -- demo data -------------------------------------------------------------------------------


def test_demo_data_deterministic(tmp_path, demo_today):
    snapshots = []
    for name in ("a.db", "b.db"):
        url = f"sqlite:///{tmp_path / name}"
        upgrade(url)
        with session_scope(url) as session:
            counts = load_demo_data(session, today=demo_today)
            snapshots.append((counts, snapshot(session)))
    assert snapshots[0] == snapshots[1]
    counts = snapshots[0][0]
    assert counts["products"] >= 45 and counts["customers"] == 150 and counts["orders"] >= 400


def test_demo_data_loads_only_into_empty_catalogue(db_session):
    counts = load_demo_data(db_session)
    assert set(counts.values()) == {0}
    assert db_session.query(Order).count() == 405


def test_demo_dates_follow_today(tmp_path):
    """Another ``today``: same orders, dates shifted by the same number of days."""
    results = []
    for name, today in (("a.db", dt.date(2025, 3, 15)), ("b.db", dt.date(2025, 6, 1))):
        url = f"sqlite:///{tmp_path / name}"
        upgrade(url)
        with session_scope(url) as session:
            load_demo_data(session, today=today)
            results.append(
                {
                    o.number: (o.status, o.total, o.placed_at)
                    for o in session.execute(select(Order)).scalars()
                }
            )
    shift = dt.date(2025, 6, 1) - dt.date(2025, 3, 15)
    assert results[0].keys() == results[1].keys()
    for number, (status, total, placed_at) in results[0].items():
        assert results[1][number] == (status, total, placed_at + shift)


def order(session, number):
    return session.execute(select(Order).where(Order.number == number)).scalar_one()


def test_contract_orders(db_session, demo_today):
    days = lambda n: demo_today + dt.timedelta(days=n)  # noqa: E731
    o = order(db_session, "10456")
    assert (o.phone, o.status, o.courier, o.tracking_code) == (
        "01711000001",
        "shipped",
        "Pathao",
        "PTH123456",
    )
    assert o.shipped_at.date() == days(-2) and o.expected_delivery == days(2)
    assert (o.delivery_area, o.payment_method, o.delivered_at) == ("inside_dhaka", "cod", None)

    o = order(db_session, "10457")
    assert (o.phone, o.status, o.payment_method, o.payment_status) == (
        "01811000002",
        "delivered",
        "cod",
        "paid",
    )
    assert o.delivered_at.date() == days(-3)
    assert len(o.items) == 1 and o.items[0].quantity == 1
    borka = o.items[0].product
    assert (borka.category, borka.returnable, borka.colour_en) == ("borka", True, "Black")
    assert "বোরকা" in borka.name_bn and "borka" in borka.name_en.lower()
    assert not o.return_requests and not o.refunds

    o = order(db_session, "10458")
    assert (o.phone, o.status) == ("01911000003", "delivered")
    assert o.delivered_at.date() == days(-40)
    assert any(i.product.returnable for i in o.items)

    o = order(db_session, "10459")
    assert (o.phone, o.status, o.payment_method, o.payment_status) == (
        "01611000004",
        "confirmed",
        "bkash",
        "paid",
    )
    assert o.confirmed_at and o.packed_at is None and o.shipped_at is None

    o = order(db_session, "10460")
    assert (o.phone, o.status, o.payment_method) == ("01511000005", "cancelled", "bkash")
    assert o.cancelled_at is not None
    assert [(r.amount, r.method, r.status) for r in o.refunds] == [(1250, "bkash", "pending")]


def test_no_collisions_with_contract(db_session):
    orders = db_session.execute(select(Order)).scalars().all()
    numbers = [o.number for o in orders]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == set(CONTRACT_NUMBERS) | set(RANDOM_NUMBERS)
    assert all(re.fullmatch(r"\d{5,7}", n) for n in numbers)
    assert sorted(o.number for o in orders if o.phone in CONTRACT_PHONES) == list(CONTRACT_NUMBERS)
    contract_customers = (
        db_session.execute(select(Customer).where(Customer.phone.in_(CONTRACT_PHONES)))
        .scalars()
        .all()
    )
    assert len(contract_customers) == 5
    assert all(
        c.orders and {o.number for o in c.orders} <= set(CONTRACT_NUMBERS)
        for c in contract_customers
    )
    codes = [o.tracking_code for o in orders if o.tracking_code]
    assert len(codes) == len(set(codes))


def test_demo_orders_consistent(db_session, demo_today, settings):
    orders = db_session.execute(select(Order)).scalars().all()
    assert {o.status for o in orders} == set(ORDER_STATUSES)
    earliest = dt.datetime.combine(demo_today - dt.timedelta(days=91), dt.time())
    for o in orders:
        assert re.fullmatch(r"01[3-9]\d{8}", o.phone)
        assert o.items and o.subtotal == sum(i.quantity * i.unit_price for i in o.items)
        assert o.total == o.subtotal + o.delivery_charge
        assert o.delivery_charge in (0, settings.delivery_charge(o.delivery_area))
        assert o.placed_at >= earliest
        steps = [
            t for t in (o.placed_at, o.confirmed_at, o.packed_at, o.shipped_at, o.delivered_at) if t
        ]
        assert steps == sorted(steps)
        if o.courier:
            assert re.fullmatch(TRACKING[o.courier], o.tracking_code)
        if o.status in ("shipped", "out_for_delivery", "delivered", "returned"):
            assert o.courier and o.shipped_at
        if o.status in ("delivered", "returned"):
            assert o.delivered_at and o.payment_status in ("paid", "refunded", "refund_pending")
        if o.status == "cancelled":
            assert o.cancelled_at and o.delivered_at is None
        if o.payment_status in ("refunded", "refund_pending"):
            assert o.refunds
    requests = db_session.execute(select(ReturnRequest)).scalars().all()
    assert requests and all(
        re.fullmatch(rf"RT-{r.order.number}-\d+", r.reference) for r in requests
    )
    assert db_session.execute(select(Refund)).scalars().first() is not None


def test_demo_catalogue(db_session, settings):
    products = db_session.execute(select(Product)).scalars().all()
    assert 45 <= len(products) <= 60
    assert all(150 <= p.price <= 8500 for p in products)
    assert any(p.stock == 0 for p in products) and sum(p.stock > 0 for p in products) > 30
    for p in products:
        assert p.returnable == (p.category not in settings.non_returnable_categories)
        assert re.search("[\u0980-\u09ff]", p.name_bn) and p.name_en.isascii()
    keywords = {k for p in products for k in p.keyword_list}
    assert {"borka", "borkha", "burka", "panjabi", "shari", "juta", "ghori"} <= keywords
    assert {
        "borka",
        "hijab",
        "saree",
        "three_piece",
        "kurti",
        "panjabi",
        "tshirt",
        "shirt",
        "jeans",
        "footwear",
        "bags",
        "watches",
        "cosmetics",
        "jewellery",
        "undergarments",
        "kids",
    } == {p.category for p in products}


# -- CLI and lookup table --------------------------------------------------------------------


def test_cli_init_and_reset(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "seba.db", *args, "--url", url],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    first = run("init")
    assert first.returncode == 0, first.stderr
    assert "at revision 0004" in first.stdout and "405 orders" in first.stdout
    again = run("init")
    assert "not loaded" in again.stdout
    with session_scope(url) as session:
        order(session, "10457").status = "returned"
    reset = run("reset")
    assert reset.returncode == 0 and "dropped" in reset.stdout and "405 orders" in reset.stdout
    with session_scope(url) as session:
        assert order(session, "10457").status == "delivered"
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "seba.db",
            "upgrade",
            "--url",
            f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "database error" in bad.stderr


def test_export_lookup(db_url, tmp_path):
    out = tmp_path / "lookup.yml"
    assert main(["export-lookup", "--url", db_url, "--out", str(out)]) == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    [table] = data["nlu"]
    assert table["lookup"] == "product"
    examples = [line[2:] for line in table["examples"].splitlines()]
    assert len(examples) == len(set(e.casefold() for e in examples))
    for word in (
        "কালো জর্জেট বোরকা",
        "Black Georgette Borka",
        "বোরকা",
        "borka",
        "পাঞ্জাবি",
        "panjabi",
        "শাড়ি",
        "saree",
        "Jamdani Saree",
        "জামদানি শাড়ি",
        "borkha",
    ):
        assert word in examples
    assert examples.index("Jamdani Saree") < examples.index("Jamdani".lower())


def test_committed_lookup_is_up_to_date():
    """data/nlu/lookup_products.yml matches the demo catalogue: regenerate it when it changes."""
    expected = render_lookup(lookup_examples(catalogue_names(None)))
    assert LOOKUP_PATH.read_text(encoding="utf-8") == expected, (
        "run: python -m seba.db export-lookup"
    )
