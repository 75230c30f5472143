"""Order updates for customers (issue 13, the delivery part): the outbox ``order_notices``.

``couriers/`` writes a ``pending`` notice in the same transaction as the courier's event;
``seba.notices.deliverer`` (a task inside every Rasa worker) leases it, finds the
conversation that proved the order theirs and sends it through Rasa
(``EXTERNAL_order_update`` / ``EXTERNAL_delivery_failed``), so it is in the transcript.
``seba.notices.outbox`` holds the database side, ``seba.notices.config`` the shop's
settings (shop.yml ``order_updates``). docs/customer-updates.md describes the whole.
"""
