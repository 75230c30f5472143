"""Each courier's documented payloads and status words, read without a server (couriers/*.py)."""

import datetime as dt

import pytest

from couriers.base import courier_time
from couriers.pathao import Pathao
from couriers.redx import RedX
from couriers.steadfast import Steadfast
from seba.db.models import COURIER_STAGES

PATHAO, STEADFAST, REDX = Pathao(), Steadfast(), RedX()


@pytest.mark.parametrize(
    "courier, raw, stage",
    [
        # Pathao: every event of its panel's list (and the plugin's order_status names)
        (PATHAO, "order.created", None),
        (PATHAO, "order.updated", None),
        (PATHAO, "order.pickup-requested", None),
        (PATHAO, "order.assigned-for-pickup", None),
        (PATHAO, "order.picked", "picked_up"),
        (PATHAO, "order.pickup-failed", None),
        (PATHAO, "order.pickup-cancelled", None),
        (PATHAO, "order.at-the-sorting-hub", "in_transit"),
        (PATHAO, "order.in-transit", "in_transit"),
        (PATHAO, "order.received-at-last-mile-hub", "in_transit"),
        (PATHAO, "order.assigned-for-delivery", "out_for_delivery"),
        (PATHAO, "order.delivered", "delivered"),
        (PATHAO, "order.partial-delivery", "delivered"),
        (PATHAO, "order.delivery-failed", "failed_attempt"),
        (PATHAO, "order.on-hold", None),
        (PATHAO, "order.returned", "returned"),
        (PATHAO, "order.paid-return", None),
        (PATHAO, "order.exchanged", None),
        (PATHAO, "order.paid", None),
        (PATHAO, "Delivered", "delivered"),
        (PATHAO, "Delivery_Failed", "failed_attempt"),
        (PATHAO, "Return", "returned"),
        (PATHAO, "order.something-new", None),
        # Steadfast: delivery_status values (case as its own sample: "Delivered")
        (STEADFAST, "pending", None),
        (STEADFAST, "Delivered", "delivered"),
        (STEADFAST, "delivered_approval_pending", "delivered"),
        (STEADFAST, "partial_delivered", "delivered"),
        (STEADFAST, "partial_delivered_approval_pending", "delivered"),
        (STEADFAST, "cancelled", "returned"),
        (STEADFAST, "cancelled_approval_pending", "returned"),
        (STEADFAST, "hold", "failed_attempt"),
        (STEADFAST, "in_review", None),
        (STEADFAST, "unknown", None),
        (STEADFAST, "tracking_update", None),
        # RedX
        (REDX, "pickup-pending", None),
        (REDX, "pickup-processing", None),
        (REDX, "ready-for-delivery", "picked_up"),
        (REDX, "agent-area-change", "in_transit"),
        (REDX, "delivery-in-progress", "out_for_delivery"),
        (REDX, "delivered", "delivered"),
        (REDX, "agent-hold", "failed_attempt"),
        (REDX, "agent-returning", "returned"),
        (REDX, "returned", "returned"),
        (REDX, "cancelled", None),
    ],
)
def test_status_mapping(courier, raw, stage):
    assert courier.stage(raw) == stage


@pytest.mark.parametrize("courier", [PATHAO, STEADFAST, REDX])
def test_every_mapped_stage_is_a_courier_stage(courier):
    assert set(courier.STAGES.values()) - {None} <= set(COURIER_STAGES)


def test_pathaos_documented_sample():
    (update,) = PATHAO.parse(
        {
            "consignment_id": "DL121224VS8TTJ",
            "merchant_order_id": "TS-123",
            "updated_at": "2024-12-27 23:54:21",
            "timestamp": "2024-12-27T17:54:21+00:00",
            "store_id": 130820,
            "event": "order.delivery-failed",
            "reason": "This field might not be present in some cases.",
        }
    )
    assert update.tracking_code == "DL121224VS8TTJ"
    assert update.raw_status == "order.delivery-failed"
    assert update.occurred_at == dt.datetime(2024, 12, 27, 23, 54, 21)  # Dhaka time
    assert update.message.startswith("This field")
    again = PATHAO.parse(
        {
            "event": "order.delivery-failed",
            "consignment_id": "DL121224VS8TTJ",
            "timestamp": "2024-12-27T17:54:21+00:00",
        }  # fmt: skip
    )[0]
    assert again.event_key == update.event_key  # the same report, whatever else it carries


def test_steadfasts_documented_samples():
    (status,) = STEADFAST.parse(
        {
            "notification_type": "delivery_status",
            "consignment_id": 12345,
            "invoice": "INV-67890",
            "cod_amount": 1500.00,
            "status": "Delivered",
            "delivery_charge": 100.00,
            "tracking_message": "Your package has been delivered successfully.",
            "updated_at": "2025-03-02 12:45:30",
        }
    )
    assert (status.tracking_code, status.raw_status) == ("12345", "Delivered")
    assert status.occurred_at == dt.datetime(2025, 3, 2, 12, 45, 30)
    (tracking,) = STEADFAST.parse(
        {
            "notification_type": "tracking_update",
            "consignment_id": 12345,
            "invoice": "INV-67890",
            "tracking_message": "Package arrived at the sorting center.",
            "updated_at": "2025-03-02 13:15:00",
        }
    )
    assert tracking.raw_status == "tracking_update" and STEADFAST.stage(tracking.raw_status) is None
    assert tracking.message == "Package arrived at the sorting center."
    assert tracking.event_key != status.event_key


def test_redx_sample_keeps_the_bangla_message():
    (update,) = REDX.parse(
        {
            "tracking_number": "21A427TU4BN3R",
            "timestamp": "2021-05-18T10:37:25.787Z",
            "status": "delivered",
            "message_en": "Package is delivered",
            "message_bn": "পার্সেল ডেলিভারি করা হয়েছে",
            "invoice_number": "INV-1",
        }
    )
    assert update.tracking_code == "21A427TU4BN3R"
    assert update.occurred_at == dt.datetime(2021, 5, 18, 16, 37, 25, 787000)
    assert update.message == "পার্সেল ডেলিভারি করা হয়েছে"
    assert REDX.parse({"tracking_id": "X1", "status": "delivered"})[0].tracking_code == "X1"


@pytest.mark.parametrize(
    "courier, body",
    [
        (PATHAO, {}),
        (PATHAO, {"event": "order.delivered"}),  # no consignment
        (PATHAO, {"consignment_id": "DL1"}),  # no event
        (PATHAO, {"consignment_id": ["DL1"], "event": "order.delivered"}),
        (PATHAO, {"consignment_id": True, "event": "order.delivered"}),
        (PATHAO, {"consignment_id": "D" * 61, "event": "order.delivered"}),
        (PATHAO, {"consignment_id": "DL1", "event": "order.delivered", "timestamp": "soon"}),
        (STEADFAST, {"consignment_id": 1, "status": "delivered"}),  # no notification_type
        (STEADFAST, {"notification_type": "delivery_status", "consignment_id": 1}),  # no status
        (STEADFAST, {"notification_type": "delivery_status", "status": "delivered"}),
        (REDX, {"status": "delivered"}),
        (REDX, {"tracking_number": "X1"}),
        (REDX, {"tracking_number": "X1", "status": {"$ne": ""}}),
        (REDX, {"tracking_number": "X1", "status": "delivered", "timestamp": [1]}),
    ],
)
def test_malformed_updates_are_refused(courier, body):
    with pytest.raises(ValueError):
        courier.parse(body)


def test_courier_times_become_shop_local():
    assert courier_time("2024-12-27T17:49:43+00:00") == dt.datetime(2024, 12, 27, 23, 49, 43)
    assert courier_time("2024-12-27 23:49:43") == dt.datetime(2024, 12, 27, 23, 49, 43)
    assert courier_time(1735321783) == dt.datetime(2024, 12, 27, 23, 49, 43)
    assert courier_time(1735321783000) == dt.datetime(2024, 12, 27, 23, 49, 43)
    assert courier_time(None) is None and courier_time("") is None
    for bad in ("yesterday", True, "9" * 50, {"t": 1}, 10**30, -(10**30), float("nan")):
        with pytest.raises(ValueError):
            courier_time(bad)
