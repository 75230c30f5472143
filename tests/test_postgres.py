"""The same database code on PostgreSQL (skipped when no PostgreSQL binaries are installed)."""

import itertools
import uuid

import psycopg2
import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from seba.db import ShopUnavailable, dispose_engines, get_engine, session_scope
from seba.db.__main__ import main
from seba.db.demo_data import load_demo_data
from seba.db.migrate import current_revision, downgrade, head_revision, upgrade
from seba.db.models import Order
from seba.shop import (
    cancel_order,
    create_return_request,
    find_products,
    latest_refund,
    return_eligibility,
    verify_order,
)
from tests.test_db import SHOP_TABLES, schema_drift, snapshot

_counter = itertools.count(1)


def create_database(server_url: str, name: str, template: str = "template0") -> str:
    """CREATE DATABASE on the test server; returns its URL."""
    url = make_url(server_url)
    conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    url = make_url(server_url)
    conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


@pytest.fixture(scope="module")
def pg_template(postgres_url, demo_today):
    # Module-scoped on a server shared by the session: another module (the couriers' tests
    # import this fixture) may have made it already, from the same migrations and data.
    drop_database(postgres_url, "seba_demo_template")
    url = create_database(postgres_url, "seba_demo_template")
    upgrade(url)
    with session_scope(url) as session:
        load_demo_data(session, today=demo_today)
    dispose_engines(url)  # a template database must have no connections
    return "seba_demo_template"


@pytest.fixture
def pg_url(postgres_url, pg_template):
    # A unique name: pytest may import this module twice (as a test module and by the
    # couriers' tests importing its fixtures), each copy with its own counter.
    url = create_database(
        postgres_url, f"seba_test_{next(_counter)}_{uuid.uuid4().hex[:8]}", template=pg_template
    )
    yield url
    dispose_engines(url)


def get(session, number):
    return session.execute(select(Order).where(Order.number == number)).scalar_one()


def test_migrations_from_empty(postgres_url):
    url = create_database(postgres_url, "seba_migrations")
    assert current_revision(url) is None
    assert upgrade(url) == head_revision()
    assert SHOP_TABLES | {"alembic_version"} <= set(inspect(get_engine(url)).get_table_names())
    assert schema_drift(url) == []
    assert upgrade(url) == head_revision()
    assert downgrade(url) is None
    assert set(inspect(get_engine(url)).get_table_names()) == {"alembic_version"}
    dispose_engines(url)


def test_cli_reset(postgres_url):
    url = create_database(postgres_url, "seba_cli")
    assert main(["init", "--url", url]) == 0
    assert main(["reset", "--url", url]) == 0
    with session_scope(url) as session:
        assert session.query(Order).count() == 405
    dispose_engines(url)


def test_demo_data_same_as_sqlite(pg_url, db_session):
    with session_scope(pg_url) as session:
        assert snapshot(session) == snapshot(db_session)


def test_shop_functions(pg_url, settings, demo_today):
    with session_scope(pg_url) as session:
        assert verify_order(session, "১০৪৫৬", "+৮৮০১৭১১-০০০০০১").number == "10456"
        assert verify_order(session, "10456", "01811000002") is None

        o = cancel_order(session, verify_order(session, "10459", "01611000004"), settings)
        assert o.status == "cancelled" and o.payment_status == "refund_pending"

        check = return_eligibility(session, get(session, "10458"), settings, today=demo_today)
        assert check.reason == "window_passed"
        request = create_return_request(
            session, get(session, "10457"), "damaged", "ছেঁড়া", settings=settings, today=demo_today
        )
        assert request.reference == "RT-10457-1"
        with pytest.raises(ValueError, match="already_requested"):
            create_return_request(
                session, get(session, "10457"), "damaged", "", settings=settings, today=demo_today
            )

        refund = latest_refund(session, get(session, "10460"))
        assert (refund.amount, refund.method, refund.status) == (1250, "bkash", "pending")
        assert find_products(session, "কালো বোরকা")[0].name_en == "Black Georgette Borka"
        assert find_products(session, "panjabi")[0].category == "panjabi"
    with session_scope(pg_url) as session:
        o = get(session, "10459")
        assert o.status == "cancelled"
        assert latest_refund(session, o).amount == o.total
        assert [r.status for r in get(session, "10457").return_requests] == ["requested"]


def test_check_constraints(pg_url):
    with pytest.raises(ShopUnavailable):
        with session_scope(pg_url) as session:
            get(session, "10456").status = "lost"


def test_server_down_is_shop_unavailable(postgres_url):
    url = make_url(postgres_url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(ShopUnavailable):
        with session_scope(url) as session:
            verify_order(session, "10456", "01711000001")
    dispose_engines(url)
