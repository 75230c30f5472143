"""The ticket page shows what the customer answered after a failed delivery attempt
(phones masked), only for that conversation."""

from handoff import queue
from handoff.db import session_scope
from handoff.models import CustomerNote
from tests.handoff.conftest import console, handoff_url, shop_settings, two_agents  # noqa: F401


def note(conversation: str, body: str, kind: str = "delivery_time") -> None:
    with session_scope() as session:
        session.add(
            CustomerNote(
                conversation_id=conversation,
                kind=kind,
                body=body,
                author="Seba",
                order_number="10456",
            )
        )


def test_the_ticket_page_shows_the_delivery_time_for_the_courier(console):  # noqa: F811
    ticket = queue.enqueue("tg:42", "telegram", "bn", "customer_request", "parcel kothay").ticket_id
    other = queue.enqueue("tg:43", "telegram", "bn", "customer_request", "hello").ticket_id
    note("tg:42", "kal bikel 5tar por, ei number e call diben 01711000001")
    note("tg:42", "an agent's private note", kind="agent")
    note("tg:43x", "not this conversation")
    rina = console.login("rina")
    page = rina.get(f"/tickets/{ticket}").text
    assert "For the courier" in page and "kal bikel 5tar por" in page
    assert "01711000001" not in page  # masked where staff see customer text
    assert "an agent&#39;s private note" not in page and "an agent's private note" not in page
    assert "not this conversation" not in page
    assert "For the courier" not in rina.get(f"/tickets/{other}").text
