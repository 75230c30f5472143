"""The website chat bubble in a real browser: demo shop page -> rasa-webchat ->
Rasa's socket.io channel -> actions -> shop database, and back.

Needs the trained model, Chromium + ChromeDriver and ``npm ci --prefix web``.
Screenshots of every step land in tests/artifacts/web/<test>/.
"""

import time
from typing import List

import pytest
import requests

pytestmark = pytest.mark.slow

by = pytest.importorskip("selenium.webdriver.common.by", reason="selenium is not installed")
support_ui = pytest.importorskip("selenium.webdriver.support.ui")
EC = pytest.importorskip("selenium.webdriver.support.expected_conditions")
By, WebDriverWait = by.By, support_ui.WebDriverWait

QUESTION = "আমার অর্ডার ১০৪৫৬ কোথায়?"
PHONE = "০১৭১১০০০০০১"
TRACKING = "PTH123456"
PHONE_WORDS = ("ফোন", "মোবাইল", "নম্বর", "phone", "mobile", "number")
BENGALI = range(0x0980, 0x0A00)

BUBBLE = "#seba-bubble"
LAUNCHER = f"{BUBBLE} .rw-launcher"
INPUT = f"{BUBBLE} .rw-new-message"
SEND = f"{BUBBLE} .rw-send"
MESSAGES = f"{BUBBLE} .rw-messages-container"
BOT_MESSAGE = f"{BUBBLE} .rw-response"
BUTTON = f"{BUBBLE} .rw-reply"
TYPING = f"{BUBBLE} .rw-typing-indication"


def has_bengali(text: str) -> bool:
    return any(ord(ch) in BENGALI for ch in text)


class Bubble:
    """The chat bubble as a customer sees it (rasa-webchat's DOM)."""

    def __init__(self, driver, timeout: float = 90) -> None:
        self.driver, self.timeout = driver, timeout

    def wait(self, condition, timeout: float = None, message: str = ""):
        return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.25).until(
            condition, message
        )

    def wait_connected(self) -> None:
        # hideWhenNotConnected: the launcher appears once the socket is connected.
        self.wait(
            EC.element_to_be_clickable((By.CSS_SELECTOR, LAUNCHER)),
            message="the bubble never connected to Rasa's socket.io channel",
        )
        self.wait(
            lambda d: d.execute_script("return !!(window.SebaBubble && SebaBubble.isConnected())"),
            message="SebaBubble did not report a connection",
        )

    def is_open(self) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, INPUT))

    def open(self) -> None:
        if not self.is_open():
            self.driver.find_element(By.CSS_SELECTOR, LAUNCHER).click()
        self.wait(
            EC.visibility_of_element_located((By.CSS_SELECTOR, INPUT)),
            message="the chat window did not open",
        )
        # rasa-webchat enables its input at session_confirm (its CONNECT), not at connect.
        self.wait(
            EC.element_to_be_clickable((By.CSS_SELECTOR, INPUT)),
            message="the chat window opened but its input stayed disabled "
            "(the server never confirmed the session)",
        )

    # DOM reads go through one script call each: React re-renders the widget
    # while messages arrive, which makes element handles go stale.
    def texts(self, selector: str, visible_only: bool = False) -> List[str]:
        return self.driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]))"
            ".filter(e => !arguments[1] || e.offsetParent !== null)"
            ".map(e => e.innerText.trim());",
            selector,
            visible_only,
        )

    def bot_messages(self) -> List[str]:
        return self.texts(BOT_MESSAGE)

    def buttons(self) -> List[str]:
        return self.texts(BUTTON, visible_only=True)

    def transcript(self) -> str:
        return "\n".join(self.texts(MESSAGES))

    def wait_bot_reply(self, before: int, quiet: float = 2.5) -> List[str]:
        """Wait for bot messages after the first ``before``, until no more arrive."""
        self.wait(
            lambda d: len(self.bot_messages()) > before,
            message=f"no bot reply (transcript so far:\n{self.transcript()})",
        )
        seen, since = len(self.bot_messages()), time.monotonic()
        while time.monotonic() - since < quiet:
            time.sleep(0.25)
            now = len(self.bot_messages())
            if now != seen or self.texts(TYPING):
                seen, since = now, time.monotonic()
        return self.bot_messages()[before:]

    def send(self, text: str) -> List[str]:
        before = len(self.bot_messages())
        box = self.driver.find_element(By.CSS_SELECTOR, INPUT)
        box.send_keys(text)
        self.driver.find_element(By.CSS_SELECTOR, SEND).click()
        self.wait(lambda d: text in self.transcript(), 10, "the customer's message was not shown")
        return self.wait_bot_reply(before)

    def session_id(self) -> str:
        """The session token the server issued (kept by the page)."""
        return self.driver.execute_script("return localStorage.getItem('seba.sessionId')")

    def conversation_id(self) -> str:
        """Rasa's sender id for this visitor: ``web:`` + the token's random half."""
        token = self.session_id()
        assert token and len(token) == 64, f"no server-issued token on the page: {token!r}"
        return f"web:{token[:32]}"


def tracker(stack, sender: str) -> dict:
    r = requests.get(stack.api(f"/conversations/{sender}/tracker"), headers=stack.auth, timeout=30)
    r.raise_for_status()
    return r.json()


def user_events(stack, sender: str) -> List[dict]:
    return [e for e in tracker(stack, sender)["events"] if e["event"] == "user"]


def ask_order_status(bubble: Bubble, shot) -> str:
    """Bangla order question; the phone number when asked; returns the answer."""
    replies = bubble.send(QUESTION)
    shot("asked-order-status")
    answer = " ".join(replies)
    if TRACKING not in answer:
        assert any(w in answer.lower() for w in PHONE_WORDS), (
            f"expected the bot to ask for the phone number, got: {replies}"
        )
        replies = bubble.send(PHONE)
        shot("gave-phone")
        answer = " ".join(replies)
    return answer


def test_order_status_in_bangla_survives_a_reload(web_stack, browser, shot):
    bubble = Bubble(browser)
    browser.get(web_stack.page_url)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    assert "সেবা ফ্যাশন হাউস" in browser.title
    bubble.wait_connected()
    shot("page")

    # Opening the bubble greets the customer (initPayload: a hello) with buttons.
    bubble.open()
    greeting = bubble.wait_bot_reply(0)
    buttons = bubble.buttons()
    shot("greeting")
    assert greeting, "no greeting"
    assert len(buttons) >= 2 and all(buttons), (
        f"the greeting's quick replies are not shown as buttons: {buttons}"
    )

    answer = ask_order_status(bubble, shot)
    assert TRACKING in answer, f"no tracking code in the answer: {answer}"
    assert has_bengali(answer), f"a Bangla question got a non-Bangla answer: {answer}"

    # Rasa saw one conversation under the id the server issued, with the page language.
    token, sender = bubble.session_id(), bubble.conversation_id()
    events = user_events(web_stack, sender)
    texts = [e.get("text") for e in events]
    assert QUESTION in texts, texts
    assert all(e.get("input_channel") == "socketio" for e in events)
    assert all((e.get("metadata") or {}).get("language") == "bn" for e in events), (
        "the page language did not reach Rasa as message metadata "
        "(credentials.yml socketio needs `metadata_key: customData`): "
        f"{[e.get('metadata') for e in events]}"
    )

    # A reload keeps the conversation: same id, transcript back, and the bot
    # still answers in the same conversation.
    browser.refresh()
    bubble.wait_connected()
    bubble.wait(
        lambda d: TRACKING in bubble.transcript() and QUESTION in bubble.transcript(),
        message="the conversation was not restored after a reload",
    )
    assert bubble.session_id() == token
    shot("after-reload")
    bubble.open()
    replies = bubble.send("ধন্যবাদ")
    shot("after-reload-reply")
    assert replies, "no reply after the reload"
    assert "ধন্যবাদ" in [e.get("text") for e in user_events(web_stack, sender)]


def test_dropped_connection_resumes_the_same_conversation(web_stack, browser, shot):
    """rasa-webchat#166: a dropped socket must not start a new conversation.

    The network drops mid-form AND the widget's own storage is gone (what a
    widget upgrade does to it): the page's own id still brings the customer
    back to the same conversation, so the phone number completes the order
    lookup that was asked before the drop.
    """
    bubble = Bubble(browser)
    browser.get(web_stack.page_url)
    bubble.wait_connected()
    bubble.open()
    bubble.wait_bot_reply(0)
    token, sender = bubble.session_id(), bubble.conversation_id()

    replies = bubble.send(QUESTION)
    shot("asked")
    if any(TRACKING in r for r in replies):
        pytest.fail(f"the bot answered before the phone was checked: {replies}")
    assert any(w in " ".join(replies).lower() for w in PHONE_WORDS), replies

    browser.execute_script("localStorage.removeItem('chat_session')")
    web_stack.proxy.drop()
    bubble.wait(
        lambda d: not d.execute_script("return SebaBubble.isConnected()"),
        30,
        "the socket did not notice the dropped connection",
    )
    shot("dropped")
    bubble.wait_connected()
    assert bubble.session_id() == token

    replies = bubble.send(PHONE)
    shot("answer-after-reconnect")
    assert any(TRACKING in r for r in replies), (
        f"after reconnecting the conversation was not the same one: {replies}"
    )
    texts = [e.get("text") for e in user_events(web_stack, sender)]
    assert QUESTION in texts and PHONE in texts, texts


def test_english_switch_changes_page_and_metadata(web_stack, browser, shot):
    bubble = Bubble(browser)
    browser.get(web_stack.page_url)
    bubble.wait_connected()
    browser.find_element(By.ID, "lang-switch").click()
    bubble.wait(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", 10)
    assert "Seba Fashion House" in browser.title
    assert "BDT" in browser.find_element(By.ID, "product-grid").text
    bubble.wait(lambda d: d.execute_script("return SebaBubble.language()") == "en", 10)

    bubble.open()
    bubble.wait_bot_reply(0)
    assert browser.find_element(By.CSS_SELECTOR, f"{BUBBLE} .rw-title").text.strip() == "Seba"
    shot("english-greeting")
    question = "What is the delivery charge inside Dhaka?"
    replies = bubble.send(question)
    shot("english-answer")
    assert replies and not has_bengali(" ".join(replies)), replies

    sender = bubble.conversation_id()
    events = user_events(web_stack, sender)
    mine = [e for e in events if e.get("text") == question]
    assert mine and (mine[0].get("metadata") or {}).get("language") == "en", [
        e.get("metadata") for e in events
    ]

    # The page remembers the choice.
    browser.refresh()
    bubble.wait_connected()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
