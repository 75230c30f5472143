"""The benchmark runs what a shop runs: its shop database has the handoff tables, and the
scale-out phase uses the PostgreSQL deployment's stores (deploy/endpoints.postgres.yml)."""

import sqlalchemy as sa

from bench.scale import deployed_stores
from bench.stacks import make_shop_db, shop_env


def test_the_bench_shop_database_has_orders_and_the_handoff_queue(tmp_path):
    url, orders, how = make_shop_db(tmp_path / "shop.db", tmp_path / "shop-db.log")
    assert "handoff upgrade" in how, (tmp_path / "shop-db.log").read_text()
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {"orders", "order_notices", "handoff_tickets"} <= tables
    assert orders
    # Rasa (order notices) and the action server are pointed at that one database.
    assert shop_env(url) == {"DATABASE_URL": url, "HANDOFF_DATABASE_URL": url}


def test_scale_out_uses_the_stores_of_the_postgres_deployment():
    stores = deployed_stores()
    assert stores["tracker_store"] == "seba.tracker_store.CachingSQLTrackerStore"
    assert stores["lock_store"] == "seba.lock_store.AtomicRedisLockStore"
