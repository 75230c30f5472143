"""Returning customers over Telegram (fake Bot API) against the real stack — action server,
Rasa server with the trained model, the console — and the customer panel in a real browser.

Over Telegram: a stranger gets no order list; a customer who checked 10456 (number + phone)
is linked, and in a later session "amar order kothay?" answers at once (one order on its
way), then — with a second order — offers the recent orders as buttons; another customer's
order still needs its phone; "forget me" (confirmed) removes the link, and the number is
asked again. In Chromium: the agent's conversation page shows the panel (masked phone,
orders), a note is added, and it reaches neither Telegram nor the Rasa tracker.
Screenshots: tests/artifacts/console/<test>/.
"""

import datetime as dt
import json
import time
import uuid
from contextlib import ExitStack

import pytest
from sqlalchemy import select

from channels.telegram import SECRET_HEADER
from handoff import queue
from seba.db import local_now, session_scope
from seba.db.models import ChannelIdentity, Order
from tests.channels.helpers import tg_callback, tg_message, tg_update
from tests.e2e.handoff_stack import PASSWORD, TELEGRAM_SECRET, http, start_handoff_stack
from tests.e2e.test_console_browser import artifacts, browser  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
By = pytest.importorskip("selenium.webdriver.common.by").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
EC = pytest.importorskip("selenium.webdriver.support.expected_conditions")

ASK_NUMBER = "অর্ডার নম্বরটি দিন"  # utter_ask_order_number
ASK_PHONE = ("মোবাইল নম্বর দিয়ে করেছিলেন", "mobile number you placed")  # utter_ask_phone
FROM_LIST = "সাম্প্রতিক অর্ডারগুলো"  # utter_ask_order_from_list
SHIPPED = "PTH123456"  # 10456's tracking code, in its status reply


@pytest.fixture(scope="module")
def stack(shop_db_module, fake_telegram, tmp_path_factory):
    with ExitStack() as exits:
        yield start_handoff_stack(
            exits, tmp_path_factory.mktemp("returning"), shop_db_module, fake_telegram
        )


def post_update(stack, update) -> None:
    status, body = http(
        "POST",
        f"{stack.rasa.url}/webhooks/telegram/webhook",
        update,
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, body


def turn(stack, api, chat_id: int, text: str = None, press: str = None) -> list:
    """One customer turn (typed text or a pressed button's callback data): what came back
    (every bubble: until nothing more arrives for 2 seconds)."""
    before = len(api.sent(chat_id))
    if press is not None:
        post_update(stack, tg_callback(chat_id, press))
    else:
        post_update(stack, tg_update(message=tg_message(chat_id, text)))
    api.wait_for(lambda a: a.sent(chat_id)[before:] or None, timeout=90)
    count, settled = len(api.sent(chat_id)), time.monotonic()
    while time.monotonic() - settled < 2:
        time.sleep(0.1)
        if len(api.sent(chat_id)) != count:
            count, settled = len(api.sent(chat_id)), time.monotonic()
    return api.sent(chat_id)[before:]


def asks_phone(reply: str) -> bool:
    return any(words in reply for words in ASK_PHONE)


def texts(sent) -> str:
    return "\n".join(m.get("text", "") for m in sent)


def buttons(sent) -> list:
    return [
        button
        for m in sent
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]


def new_session(stack, conversation_id: str) -> None:
    """What Rasa does when a session expires (an hour of silence): slots are reset."""
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    status, body = http(
        "POST",
        stack.rasa.api(f"/conversations/{conversation_id}/tracker/events"),
        events,
        stack.rasa.auth,
    )
    assert status == 200, body


def linked_customer(db_url: str, conversation_id: str):
    with session_scope(db_url) as session:
        return session.execute(
            select(ChannelIdentity.customer_id).where(
                ChannelIdentity.conversation_id == conversation_id
            )
        ).scalar_one_or_none()


def add_order(db_url: str, like: str, number: str, status: str) -> None:
    with session_scope(db_url) as session:
        model = session.execute(select(Order).where(Order.number == like)).scalar_one()
        session.add(
            Order(
                number=number,
                customer_id=model.customer_id,
                phone=model.phone,
                delivery_area=model.delivery_area,
                address=model.address,
                status=status,
                subtotal=930,
                delivery_charge=70,
                total=1000,
                placed_at=local_now() - dt.timedelta(hours=2),
            )
        )


def test_a_stranger_on_telegram_gets_no_order_list(stack, fake_telegram):
    sent = turn(stack, fake_telegram, 91001, "amar order kothay?")
    assert ASK_NUMBER in texts(sent) and FROM_LIST not in texts(sent)
    assert not buttons(sent)


def test_a_linked_telegram_customer_is_recognised_and_can_be_forgotten(
    stack, fake_telegram, shop_db_module
):
    chat, conversation = 91002, "tg:91002"
    api = fake_telegram
    # First visit: the ordinary check links the chat.
    assert ASK_NUMBER in texts(turn(stack, api, chat, "amar order kothay?"))
    assert asks_phone(texts(turn(stack, api, chat, "10456")))
    assert SHIPPED in texts(turn(stack, api, chat, "01711000001"))
    assert linked_customer(shop_db_module, conversation) is not None

    # A later session: one order on its way, answered at once (no number, no phone).
    new_session(stack, conversation)
    reply = texts(turn(stack, api, chat, "amar order kothay?"))
    assert SHIPPED in reply and ASK_NUMBER not in reply and not asks_phone(reply)

    # Two orders on their way: the recent orders as buttons.
    add_order(shop_db_module, "10456", "30001", "confirmed")
    new_session(stack, conversation)
    sent = turn(stack, api, chat, "where is my order?")
    offered = buttons(sent)
    assert FROM_LIST in texts(sent) or "recent orders" in texts(sent)
    assert [b["text"].split(" · ")[0] for b in offered][:2] == ["#30001", "#10456"]
    # A forged button for another customer's order (callback data the bot never offered):
    # the ordinary check asks for that order's phone; nothing about it is shown.
    reply = texts(turn(stack, api, chat, press='/inform{"order_number": "10457"}'))
    assert asks_phone(reply) and "10457" not in reply
    # A real button: answered at once.
    new_session(stack, conversation)
    offered = buttons(turn(stack, api, chat, "amar order kothay?"))
    pressed = next(b for b in offered if b["text"].startswith("#10456"))
    assert SHIPPED in texts(turn(stack, api, chat, press=pressed["callback_data"]))

    # Forget me: confirmed with the button; the link is gone, the number is asked again.
    new_session(stack, conversation)
    sent = turn(stack, api, chat, "amake bhule jan")
    yes = [b for b in buttons(sent) if b["callback_data"] == "/affirm"]
    assert yes, texts(sent)
    assert "মুছে দিয়েছি" in texts(turn(stack, api, chat, press="/affirm"))
    assert linked_customer(shop_db_module, conversation) is None
    new_session(stack, conversation)
    reply = turn(stack, api, chat, "amar order kothay?")
    assert ASK_NUMBER in texts(reply) and not buttons(reply)


def test_the_customer_panel_in_a_browser(
    stack,
    fake_telegram,
    browser,  # noqa: F811 - the imported fixture
    artifacts,  # noqa: F811 - the imported fixture
):
    chat, conversation = 91003, "tg:91003"
    api, driver = fake_telegram, browser
    wait = WebDriverWait(driver, 60, poll_frequency=0.25)
    turn(stack, api, chat, "amar order kothay?")
    turn(stack, api, chat, "10459")
    turn(stack, api, chat, "01611000004")
    turn(stack, api, chat, "ami manusher sathe kotha bolte chai")
    ticket = queue.open_ticket(conversation, url=stack.db_url)
    assert ticket is not None

    driver.get(stack.console.url + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("rina")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-rows='waiting']")))
    driver.get(f"{stack.console.url}/tickets/{ticket.id}")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-customer-phone]")))
    panel = driver.find_element(By.CSS_SELECTOR, "[data-customer-panel]")
    assert panel.find_element(By.CSS_SELECTOR, "[data-customer-phone]").text == "016•••••004"
    assert "01611000004" not in panel.get_attribute("innerHTML")
    assert panel.find_elements(By.CSS_SELECTOR, "[data-order='10459']")
    driver.save_screenshot(str(artifacts / "01-panel.png"))

    marker = f"private-{uuid.uuid4().hex[:6]}"
    note = f"ফোনে কথা হয়েছে, {marker}"
    panel.find_element(By.CSS_SELECTOR, "[data-note-text]").send_keys(note)
    panel.find_element(By.CSS_SELECTOR, "[data-note-form] button[type=submit]").click()
    wait.until(
        lambda d: any(
            marker in n.text for n in d.find_elements(By.CSS_SELECTOR, "[data-note] .text")
        )
    )
    driver.save_screenshot(str(artifacts / "02-note-added.png"))
    assert "রিনা" in driver.find_element(By.CSS_SELECTOR, "[data-note] .who").text
    # No error of the panel's script and no CSP refusal in the browser's console.
    severe = [
        e
        for e in driver.get_log("browser")
        if e.get("level") == "SEVERE"
        and (
            "customer" in e.get("message", "") or "Content Security Policy" in e.get("message", "")
        )
    ]
    assert not severe, severe
    # The customer never sees it: not on Telegram, not in the tracker.
    assert all(marker not in t for t in api.texts(chat))
    assert marker not in json.dumps(stack.rasa.tracker(conversation), ensure_ascii=False)
