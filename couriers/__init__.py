"""Courier webhooks (issue 13, intake): Pathao, Steadfast and RedX tell the shop where a parcel
is; Seba stores each call before answering, links it to the order by tracking code, moves
the order and writes the customer's notice (``order_notices``) in one transaction.

One module per courier behind one small contract (``couriers/base.py``), served as Rasa input
channels on Rasa's port (``couriers/webhook.py``), one intake for all (``couriers/intake.py``).
Setting each courier up: docs/couriers.md.
"""
