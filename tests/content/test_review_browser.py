"""The review page in a real browser (headless Chromium through Selenium) against the console
as its own process: content staff log in, land on the review page, label a message (it
leaves the queue, the training file gains the line, git has the commit), and undo it (the
message is back, the file has its old bytes). Screenshots: tests/artifacts/console/<test>/.
"""

import datetime as dt
import re

import pytest

from handoff import agents
from handoff.db import local_now
from tests.content.helpers import run_git
from tests.content.review_scene import BROKEN_AGAIN, CUSTOMER_PHONE, build_scene
from tests.e2e.test_console_browser import artifacts, browser  # noqa: F401 - fixtures
from tests.handoff.helpers import PASSWORD, start_console
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

By = pytest.importorskip("selenium.webdriver.common.by").By
Select = pytest.importorskip("selenium.webdriver.support.ui").Select
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
EC = pytest.importorskip("selenium.webdriver.support.expected_conditions")
StaleElementReferenceException = pytest.importorskip(
    "selenium.common.exceptions"
).StaleElementReferenceException


@pytest.fixture
def review_console(tmp_path, handoff_url, shop_settings):
    scene = build_scene(tmp_path, local_now() - dt.timedelta(hours=2), handoff_url)
    agents.create_agent("mita", "মিতা রায়", PASSWORD, role="content", url=handoff_url)
    server = start_console(
        tmp_path,
        handoff_url,
        {
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # the review page needs no Rasa
            "SEBA_SHOP_SETTINGS": str(shop_settings),
            "SEBA_CONTENT_ROOT": str(scene.root),
            "SEBA_TRACKER_URL": scene.tracker_url,
        },
    )
    try:
        yield f"http://127.0.0.1:{server.port}", scene
    finally:
        server.stop()


def test_content_staff_label_a_message_see_it_leave_and_undo(review_console, browser, artifacts):  # noqa: F811 - the imported fixtures
    url, scene = review_console
    driver = browser
    # The pages reload after each form: an element found before may be gone (stale).
    wait = WebDriverWait(
        driver, 60, poll_frequency=0.25, ignored_exceptions=[StaleElementReferenceException]
    )
    shots = {"n": 0}
    orders = scene.root / "data" / "nlu" / "orders.yml"
    original = orders.read_bytes()

    def shot(name):
        shots["n"] += 1
        driver.save_screenshot(str(artifacts / f"{shots['n']:02d}-{name}.png"))

    def notice_after(done):
        """The notice of the page the form led to (not the one of the page before)."""
        wait.until(lambda d: f"done={done}" in d.current_url)
        return wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-notice]").text)

    def queue_texts():
        return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-item-text]")]

    driver.get(url + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("mita")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-review-items]")))
    assert driver.current_url.endswith("/content/review")
    assert BROKEN_AGAIN in queue_texts()
    assert CUSTOMER_PHONE not in driver.page_source
    shot("queue")

    item = next(
        s
        for s in driver.find_elements(By.CSS_SELECTOR, "[data-item]")
        if s.find_element(By.CSS_SELECTOR, "[data-item-text]").text == BROKEN_AGAIN
    )
    item.find_element(By.TAG_NAME, "summary").click()  # the conversation around it
    assert "দুঃখিত, বুঝতে পারিনি।" in item.text
    Select(item.find_element(By.CSS_SELECTOR, "[data-label-select]")).select_by_value(
        "return_request"
    )
    shot("picked")
    item.find_element(By.CSS_SELECTOR, "[data-label-save]").click()
    assert "now an example of return request" in notice_after("labelled")
    assert BROKEN_AGAIN not in queue_texts()
    assert f"    - {BROKEN_AGAIN}\n" in orders.read_text(encoding="utf-8")
    assert run_git(scene.root, "log", "-1", "--format=%an").strip() == "মিতা রায়"
    shot("labelled")

    row = driver.find_element(By.CSS_SELECTOR, "[data-changes] tbody tr")
    assert "মিতা রায়" in row.text and BROKEN_AGAIN in row.text
    row.find_element(By.CSS_SELECTOR, "[data-undo]").click()
    assert notice_after("undone").startswith("Undone")
    assert BROKEN_AGAIN in queue_texts()
    assert orders.read_bytes() == original
    assert re.search(r"undone", driver.find_element(By.CSS_SELECTOR, "[data-changes]").text)
    shot("undone")


def test_content_staff_preview_and_save_an_answer_then_undo_it(review_console, browser, artifacts):  # noqa: F811 - the imported fixtures
    url, scene = review_console
    driver = browser
    wait = WebDriverWait(
        driver, 60, poll_frequency=0.25, ignored_exceptions=[StaleElementReferenceException]
    )
    domain = scene.root / "domain.yml"
    original = domain.read_bytes()

    driver.get(url + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("mita")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-review-items]")))
    driver.find_element(By.LINK_TEXT, "Answers").click()
    wait.until(EC.element_to_be_clickable((By.LINK_TEXT, "utter_faq/delivery_charge"))).click()
    bn = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-text=bn]")))
    bn.clear()
    bn.send_keys("ঢাকায় ডেলিভারি চার্জ {delivery_charge_inside_dhaka} মাত্র।")
    driver.find_element(By.CSS_SELECTOR, "[data-preview-button]").click()
    wait.until(lambda d: "৭০ টাকা মাত্র।" in d.find_element(By.CSS_SELECTOR, "[data-preview=bn]").text)
    driver.save_screenshot(str(artifacts / "01-preview.png"))
    assert domain.read_bytes() == original  # a preview writes nothing
    driver.find_element(By.CSS_SELECTOR, "[data-save]").click()
    wait.until(lambda d: "done=saved" in d.current_url)
    assert "Saved." in driver.find_element(By.CSS_SELECTOR, "[data-notice]").text
    assert "{delivery_charge_inside_dhaka} মাত্র।" in domain.read_text(encoding="utf-8")
    driver.save_screenshot(str(artifacts / "02-saved.png"))

    driver.get(url + "/content/review#changes")
    row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-changes] tbody tr")))
    assert "Edited the answer utter_faq/delivery_charge" in row.text
    row.find_element(By.CSS_SELECTOR, "[data-undo]").click()
    wait.until(lambda d: "done=undone" in d.current_url)
    assert domain.read_bytes() == original
