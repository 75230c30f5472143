"""The owner's report in a real browser (headless Debian Chromium through Selenium): the
console as a real process over the scripted conversations (tests/handoff/test_report_figures.py,
written by Rasa's SQLTrackerStore), Chart.js served by the console from the npm install.

The owner logs in, opens 6 – 8 January 2025: every chart is drawn with the report's figures,
under the console's CSP (no inline script, nothing from another origin); picks one day with
the date fields; then a preset. Screenshots: tests/artifacts/report/<test>/.
"""

import os
from contextlib import ExitStack

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from handoff import agents, migrate
from handoff.console.report_pages import NODE_MODULES_ENV, chart_js_file
from handoff.db import dispose
from tests.e2e.test_console_browser import artifacts, browser  # noqa: F401 - fixtures
from tests.handoff.helpers import PASSWORD, start_console
from tests.handoff.test_report_figures import scripted
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
By = pytest.importorskip("selenium.webdriver.common.by").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
EC = pytest.importorskip("selenium.webdriver.support.expected_conditions")

CHARTS = ["days", "outcomes", "reasons", "channels", "languages", "ratings", "questions"]

# How much of each chart's canvas is painted (not transparent), read in the page.
PAINTED = """
var c = document.querySelector("canvas[data-chart='" + arguments[0] + "']");
var pixels = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) n++; }
return n / (c.width * c.height);
"""
CHART_DATA = """
var chart = Chart.getChart(document.querySelector("canvas[data-chart='" + arguments[0] + "']"));
return chart ? {type: chart.config.type, labels: chart.data.labels,
                data: chart.data.datasets.map(function (d) { return d.data; })} : null;
"""


@pytest.fixture(scope="module")
def report_console(tmp_path_factory):
    if not chart_js_file().is_file():
        pytest.fail(
            f"Chart.js is not installed at {chart_js_file()}: run `make web` "
            f"(npm ci --prefix web), or point {NODE_MODULES_ENV} at an install."
        )
    workdir = tmp_path_factory.mktemp("report-browser")
    db_url = f"sqlite:///{workdir / 'handoff.db'}"
    migrate.upgrade(db_url)
    agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=db_url)
    tracker = workdir / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker))
    scripted().save(store, db_url)
    store.engine.dispose()
    # The console's abandon sweep runs on today's clock: it would close the ticket scripted
    # as still waiting in 2025 while the test looks at it.
    env = {
        "SEBA_TRACKER_URL": f"sqlite:///{tracker}",
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "HANDOFF_ABANDON_AFTER_MINUTES": str(10**8),
    }
    if os.environ.get(NODE_MODULES_ENV):
        env[NODE_MODULES_ENV] = os.environ[NODE_MODULES_ENV]
    with ExitStack() as stack:
        stack.callback(dispose, db_url)
        server = start_console(workdir, db_url, env)
        stack.callback(server.stop)
        yield f"http://127.0.0.1:{server.port}"


def test_the_owner_sees_the_charts_and_moves_the_date_range(
    report_console,
    browser,  # noqa: F811 - the imported fixture
    artifacts,  # noqa: F811 - the imported fixture
):
    driver, wait = browser, WebDriverWait(browser, 60, poll_frequency=0.25)
    problems = []

    def shot(name: str) -> None:
        """The whole page: the window made as tall as the page for the picture."""
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1366, min(height, 8000))
        driver.save_screenshot(str(artifacts / f"{name}.png"))
        driver.set_window_size(1366, 900)

    def drawn() -> None:
        """Every chart drawn by Chart.js, and the browser reported nothing wrong."""
        wait.until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, "canvas[data-drawn='1']")) == len(CHARTS)
        )
        log = driver.get_log("browser")
        (artifacts / "browser.log").open("a").writelines(f"{e['message']}\n" for e in log)
        problems.extend(
            e["message"] for e in log if e["level"] == "SEVERE" and "favicon" not in e["message"]
        )

    def stat(name: str) -> str:
        return driver.find_element(By.CSS_SELECTOR, f"[data-stat='{name}']").text

    driver.get(report_console + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("boss")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    # The login form's button (the page's first form is the language switch).
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.LINK_TEXT, "Report"))).click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-range-form]")))

    # --- three days: every chart drawn with the report's figures --------------------------------
    driver.get(report_console + "/report?from=2025-01-06&to=2025-01-08")
    drawn()
    shot("01-three-days")
    assert stat("conversations") == "18" and stat("solved") == "44.4%"
    for name in CHARTS:
        assert driver.execute_script(PAINTED, name) > 0.02, f"the {name} chart is blank"
    days = driver.execute_script(CHART_DATA, "days")
    assert days == {
        "type": "bar",
        "labels": ["2025-01-06", "2025-01-07", "2025-01-08"],
        "data": [[4, 3, 1], [1, 3, 4], [1, 0, 1]],
    }
    outcomes = driver.execute_script(CHART_DATA, "outcomes")
    assert outcomes["type"] == "doughnut" and outcomes["data"] == [[8, 8, 2]]
    assert driver.execute_script(CHART_DATA, "languages")["labels"] == ["বাংলা", "English"]
    assert driver.execute_script(CHART_DATA, "ratings")["data"] == [
        [0, 1, 0, 1, 2],
        [0, 0, 0, 1, 1],
    ]
    times = driver.find_element(By.CSS_SELECTOR, "[data-table='times'] tbody").text
    assert times.splitlines()[-1].endswith("1 30 min 30 min"), times
    # Chart.js came from this console, not from a CDN.
    sources = driver.execute_script(
        "return Array.from(document.scripts).map(function (s) { return s.src; });"
    )
    assert all(s.startswith(report_console + "/static/") for s in sources if s), sources
    assert any("/static/vendor/chart.umd.js" in s for s in sources)

    # --- one day, picked in the date fields -------------------------------------------------------
    driver.execute_script(
        "var f = document.querySelector('[data-range-form]');"
        "f.elements.from.value = '2025-01-06'; f.elements.to.value = '2025-01-06';"
    )
    driver.find_element(By.CSS_SELECTOR, "[data-range-form] button[type=submit]").click()
    wait.until(EC.url_contains("from=2025-01-06&to=2025-01-06"))
    drawn()
    shot("02-one-day")
    assert stat("conversations") == "6"
    assert driver.find_element(By.CSS_SELECTOR, "[data-range-label]").text == "06 Jan 2025"
    assert driver.execute_script(CHART_DATA, "days")["data"] == [[4], [1], [1]]

    # --- a preset: the last 7 days (nothing scripted there) --------------------------------
    driver.find_element(By.LINK_TEXT, "Last 7 days").click()
    wait.until(lambda d: "2025-01-06" not in d.current_url)
    drawn()
    shot("03-last-7-days")
    assert stat("conversations") == "0" and stat("solved") == "—"
    assert len(driver.execute_script(CHART_DATA, "days")["labels"]) == 7
    assert (
        "Nothing on these days."
        in driver.find_element(By.CSS_SELECTOR, "[data-table='questions']").text
    )

    # --- in Bangla (the top bar's switch): the charts draw the translated labels ------------
    driver.get(report_console + "/report?from=2025-01-06&to=2025-01-08")
    driver.find_element(By.CSS_SELECTOR, "[data-lang-form] button[value='bn']").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "html[lang='bn']")))
    drawn()
    shot("04-bangla")
    assert driver.find_element(By.CSS_SELECTOR, "[data-range-label]").text == (
        "06 জানু 2025 – 08 জানু 2025"
    )
    assert driver.execute_script(CHART_DATA, "outcomes")["labels"] == [
        "বট নিজেই সমাধান করেছে",
        "এজেন্টের কাছে পাঠানো",
        "সাহায্য না পেয়ে চলে গেছেন",
    ]
    assert driver.execute_script(CHART_DATA, "outcomes")["data"] == [[8, 8, 2]]
    for name in CHARTS:
        assert driver.execute_script(PAINTED, name) > 0.02, f"the {name} chart is blank in bn"

    assert problems == []  # no CSP violation, no script error
