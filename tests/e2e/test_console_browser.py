"""The agent console in a real browser (headless Debian Chromium through Selenium), with the
real Rasa server, action server and console behind it.

An agent logs in; a customer asks the bot for a person; the waiting conversation appears in the
open queue page without a reload; the agent claims it, replies (the customer's conversation
gets the reply with the agent's name) and hands it back (the bot answers again).
Screenshots of every step: tests/artifacts/console/<test>/.
"""

import os
import re
import shutil
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest

from handoff import queue
from tests.e2e.handoff_stack import PASSWORD, start_handoff_stack, tracker, wait_for
from tests.servers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
By = pytest.importorskip("selenium.webdriver.common.by").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
EC = pytest.importorskip("selenium.webdriver.support.expected_conditions")

ARTIFACTS = ROOT / "tests" / "artifacts" / "console"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--window-size=1366,900",
]


@pytest.fixture(scope="module")
def handoff_stack(shop_db_module, tmp_path_factory):
    with ExitStack() as stack:
        yield start_handoff_stack(stack, tmp_path_factory.mktemp("console-browser"), shop_db_module)


@pytest.fixture
def artifacts(request) -> Path:
    path = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(tmp_path, artifacts):
    for program in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            pytest.skip(f"{program} not found (Debian packages chromium and chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(artifacts / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        try:
            lines = [f"{e.get('level')} {e.get('message')}" for e in driver.get_log("browser")]
            (artifacts / "console.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        finally:
            driver.quit()


def test_agent_sees_the_customer_arrive_claims_replies_and_hands_back(
    handoff_stack, browser, artifacts
):
    stack, driver = handoff_stack, browser
    wait = WebDriverWait(driver, 60, poll_frequency=0.25)
    shots = {"n": 0}

    def shot(name: str) -> None:
        shots["n"] += 1
        driver.save_screenshot(str(artifacts / f"{shots['n']:02d}-{name}.png"))

    def rows(name: str) -> str:
        return driver.execute_script(
            'var b = document.querySelector("[data-rows=\'" + arguments[0] + "\']");'
            "return b ? b.innerText : '';",
            name,
        )

    # --- log in ------------------------------------------------------------------------------
    driver.get(stack.console.url + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("rina")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    shot("login")
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-rows='waiting']")))
    assert "রিনা" in driver.page_source
    assert "Nobody is waiting" in rows("waiting")
    shot("queue-empty")

    # --- a customer asks the bot for a person: the row appears without a reload -------------------
    app_user = f"browser-{uuid.uuid4().hex[:8]}"
    sender = f"rest:{app_user}"
    complaint = "এটা কেমন সার্ভিস? ১০ দিনেও পার্সেল আসেনি, কেউ ফোনও ধরে না!"

    def say(text):
        return [r.get("text", "") for r in stack.rasa.say(app_user, text)]

    marker = driver.execute_script("window.__sameDocument = true; return 1;")
    assert say(complaint)  # apology + offer of a person
    told = say("হ্যাঁ, কারো সাথে কথা বলব")
    assert any("পরের জন" in t for t in told), told  # rina is online: first in line
    wait.until(lambda d: complaint in rows("waiting"))
    assert driver.execute_script("return window.__sameDocument === true;") == marker == 1
    assert "Complaint" in rows("waiting") and "বাংলা" in rows("waiting")
    shot("customer-waiting")
    ticket = queue.open_ticket(sender, url=stack.db_url)
    assert ticket.reason == "complaint"

    # --- open it and claim it ---------------------------------------------------------------------
    driver.find_element(By.CSS_SELECTOR, f"a[href='/tickets/{ticket.id}']").click()
    wait.until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "form[data-action='claim'] button"))
    ).click()
    wait.until(
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "[data-alerts]"), "You have this conversation now"
        )
    )
    assert complaint in driver.find_element(By.CSS_SELECTOR, "[data-transcript]").text
    shot("claimed")

    # --- reply ------------------------------------------------------------------------------------
    reply = "আমি রিনা, আপনার পার্সেলটা এখনই খোঁজ নিচ্ছি।"
    box = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-reply-text]")))
    box.send_keys(reply)
    driver.find_element(By.CSS_SELECTOR, "[data-reply-send]").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-transcript]"), reply))
    agent_bubbles = driver.find_elements(By.CSS_SELECTOR, ".msg-agent")
    assert any("রিনা" in b.text and reply in b.text for b in agent_bubbles)
    shot("replied")
    agent_events = [
        e
        for e in tracker(stack.rasa, sender)["events"]
        if e["event"] == "bot" and (e.get("metadata") or {}).get("agent") == "রিনা"
    ]
    assert [e["text"] for e in agent_events] == [reply]
    assert tracker(stack.rasa, sender)["paused"]

    # --- hand back (the page asks for confirmation) -----------------------------------------------
    driver.find_element(By.CSS_SELECTOR, "form[data-action='hand_back'] button").click()
    wait.until(EC.alert_is_present()).accept()
    wait.until(
        EC.text_to_be_present_in_element(
            (By.CSS_SELECTOR, "[data-alerts]"), "Handed back to the bot"
        )
    )
    shot("handed-back")
    closed = queue.get_ticket(ticket.id, url=stack.db_url)
    assert (closed.state, closed.resolution) == ("resolved", "handed_back")
    state = wait_for(
        lambda: (lambda t: t if not t["paused"] else None)(tracker(stack.rasa, sender)),
        30,
        "the bot was not resumed",
    )
    welcome = [
        e
        for e in state["events"]
        if e["event"] == "bot"
        and (e.get("metadata") or {}).get("utter_action") == "utter_handback_welcome"
    ]
    assert welcome, "the bot did not say it is back"
    # The bot answers the customer again.
    assert any("৭০ টাকা" in t for t in say("ডেলিভারি চার্জ কত?"))

    # The queue page shows nobody waiting or with an agent any more.
    driver.get(stack.console.url + "/")
    wait.until(lambda d: "Nobody is waiting" in rows("waiting"))
    shot("queue-after")


def test_the_console_in_bangla_pages_and_their_scripts(handoff_stack, browser, artifacts):
    """The switch on the login page, then the queue in Bangla; the waiting time is written by
    console.js (the server writes minutes, the script seconds), so its Bangla comes from T()."""
    stack, driver = handoff_stack, browser
    wait = WebDriverWait(driver, 60, poll_frequency=0.25)
    driver.get(stack.console.url + "/login")
    wait.until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-lang-form] button[value='bn']"))
    ).click()
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "এজেন্ট লগ ইন"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    driver.find_element(By.NAME, "username").send_keys("rina")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-rows='waiting']")))

    ticket = queue.enqueue(
        f"rest:lang-{uuid.uuid4().hex[:8]}",
        "rest",
        "en",
        "complaint",
        "where is my parcel?",
        url=stack.db_url,
    )
    wait_cell = (By.CSS_SELECTOR, "[data-rows='waiting'] td.wait")
    wait.until(lambda d: re.fullmatch(r"\d+ সে\.", d.find_element(*wait_cell).text.strip()))
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "পরের কাস্টমারকে নিন" in page and "অভিযোগ" in page and "নিন" in page
    assert "Take the next customer" not in page and "Complaint" not in page
    driver.save_screenshot(str(artifacts / "queue-bn.png"))
    rina = next(a for a in queue.queue_snapshot(url=stack.db_url).agents if a.username == "rina")
    assert queue.claim(ticket.ticket_id, rina.id, url=stack.db_url)
    assert queue.resolve(ticket.ticket_id, rina.id, url=stack.db_url)
