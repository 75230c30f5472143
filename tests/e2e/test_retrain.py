"""Retraining from the console, for real: two Rasa workers that follow the live model
(``seba.model_server`` + ``seba.model_pull``), the console, a real retrain job (content
checks, ``rasa train``, conversation tests, held-out gate) and headless Chromium.

1. Broken training data (a YAML mistake) is refused with the reason on the page, and the old
   model keeps answering on both workers.
2. Content staff add one example ("how much is porterage", which the live model takes for
   out of scope; it read "how much is postage" right once the data grew) and click "Retrain
   now" in the browser; the progress bar moves through the steps to "Live", and then both
   workers answer that message with the delivery charge, without a restart (same worker
   processes).

The project is a copy in a temporary folder (``SEBA_CONTENT_ROOT``), so the repository's data
and models/seba.tar.gz are never touched. To keep one retrain to a few minutes on two busy
cores, the copy's held-out split keeps the first ``HELDOUT_PER_INTENT`` messages of each
intent (out-of-scope: all) and its conversation tests are tests/conversations/basics.yml;
the job runs on them exactly as it runs on the full ones.
"""

import os
import re
import shutil
import signal
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, List

import pytest
import requests

from handoff import agents, migrate
from handoff.db import dispose
from seba.content.jobs import Jobs
from seba.content.locations import Paths
from seba.content.tryit import TryIt
from seba.model_server import file_fingerprint
from tests.e2e.handoff_stack import wait_for
from tests.e2e.test_console_browser import artifacts, browser  # noqa: F401 - fixtures
from tests.handoff.helpers import PASSWORD, Console, start_console
from tests.servers import MODEL, REST_HEADERS, ROOT, Server, free_port, start_rasa_stack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

NEW_EXAMPLE = "how much is porterage"
DELIVERY_CHARGE_EN = "Delivery costs"
JOB_MINUTES = 25  # a retrain on a busy two-core machine; it normally takes two or three
HELDOUT_PER_INTENT = 3


def shorter_split(source: Path, target: Path) -> None:
    """The held-out file with the first few examples of each intent block."""
    out, kept, keep_all = [], 0, False
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("- intent:"):
            kept, keep_all = 0, "out_of_scope" in line
        elif line.startswith("    - "):
            kept += 1
            if kept > HELDOUT_PER_INTENT and not keep_all:
                continue
        out.append(line)
    target.write_text("\n".join(out) + "\n", encoding="utf-8")


def copy_project(root: Path) -> Paths:
    root.mkdir(parents=True)
    for name in ("config.yml", "domain.yml", "shop.yml"):
        shutil.copy2(ROOT / name, root / name)
    shutil.copytree(ROOT / "data", root / "data")
    (root / "tests" / "conversations").mkdir(parents=True)
    shutil.copy2(
        ROOT / "tests" / "conversations" / "basics.yml",
        root / "tests" / "conversations" / "basics.yml",
    )
    for source in (ROOT / "tests" / "nlu" / "heldout").glob("*/*.yml"):
        target = root / "tests" / "nlu" / "heldout" / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shorter_split(source, target)
    (root / "models").mkdir()
    shutil.copy2(MODEL, root / "models" / "seba.tar.gz")
    return Paths(
        root=root,
        live_model=root / "models" / "seba.tar.gz",
        models_dir=root / "var" / "models",
        retrain_dir=root / "var" / "retrain",
    )


@pytest.fixture(scope="module")
def site(shop_db_module, redis, tmp_path_factory):
    work = tmp_path_factory.mktemp("retrain")
    paths = copy_project(work / "project")
    saved = {k: os.environ.get(k) for k in paths.env()}
    os.environ.update(paths.env())  # for Jobs() here and every process started below
    with ExitStack() as stack:
        port = free_port()
        model_server = Server(
            "model server",
            [
                sys.executable,
                "-m",
                "seba.model_server",
                "serve",
                "--port",
                str(port),
                "--model",
                str(paths.live_model),
            ],
            work / "model-server.log",
        )
        stack.callback(model_server.stop)
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/model"), 60, "model server")
        rasa = start_rasa_stack(
            stack,
            work / "rasa",
            env={"DATABASE_URL": shop_db_module},
            workers=2,
            redis_url=f"redis://127.0.0.1:{redis.port}",
            model=paths.live_model,
            model_server=f"http://127.0.0.1:{port}/model",
        )
        rasa.workers = rasa.servers[-1].children()  # type: ignore[attr-defined]
        assert len(rasa.workers) == 2, rasa.workers
        db_url = f"sqlite:///{work / 'handoff.db'}"
        migrate.upgrade(db_url)
        agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=db_url)
        stack.callback(dispose, db_url)
        console = start_console(
            work, db_url, {"DATABASE_URL": shop_db_module, "RASA_URL": rasa.url}
        )
        stack.callback(console.stop)
        stack.callback(TryIt(paths).stop)  # the try-it servers, if a test started them
        yield {
            "paths": paths,
            "rasa": rasa,
            "console": Console(f"http://127.0.0.1:{console.port}", db_url, console),
        }
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 401  # up; the secret is Rasa's
    except requests.RequestException:
        return False


@contextmanager
def only(rasa, worker: int) -> Iterator[None]:
    """While inside, only ``rasa.workers[worker]`` can accept new connections."""
    other = rasa.workers[1 - worker]
    os.kill(other, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(other, signal.SIGCONT)


def say_to(rasa, worker: int, sender: str, text: str) -> str:
    with only(rasa, worker):
        r = requests.post(
            f"{rasa.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={**REST_HEADERS, "Connection": "close"},
            timeout=90,
        )
    r.raise_for_status()
    return " ".join(m.get("text") or "" for m in r.json())


def both_workers(rasa, text: str, tag: str) -> List[str]:
    return [say_to(rasa, w, f"{tag}-{w}-{os.urandom(3).hex()}", text) for w in (0, 1)]


def finished(job_id: str):
    status = Jobs().read(job_id)
    return status if status and status["state"] != "running" else None


def test_broken_data_is_refused_and_the_old_model_keeps_answering(site):
    paths, rasa = site["paths"], site["rasa"]
    live_sha = file_fingerprint(paths.live_model)
    faq = paths.root / "data" / "nlu" / "faq.yml"
    original = faq.read_text(encoding="utf-8")
    faq.write_text(
        original + "\n- intent: faq/delivery_charge\n  examples: [unclosed\n", encoding="utf-8"
    )
    try:
        mita = site["console"].login("mita")
        answer = mita.post("/content/retrain/start", {"go_live": "1"}, json_api=True)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job"]["id"]
        status = wait_for(lambda: finished(job_id), JOB_MINUTES * 60, "the refused job", interval=2)
    finally:
        faq.write_text(original, encoding="utf-8")
    assert status["state"] == "refused", status
    assert (
        status["step"] == "checks" and not (Jobs().job_dir(job_id) / "candidate.tar.gz").exists()
    )  # nothing was trained
    page = mita.get("/content/retrain").text
    assert "The content checks found mistakes" in page
    assert "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে" in page
    assert file_fingerprint(paths.live_model) == live_sha
    for reply in both_workers(rasa, "what is the delivery charge?", "broken"):
        assert DELIVERY_CHARGE_EN in reply, reply


def test_a_new_example_goes_live_on_both_workers_without_a_restart(
    site,
    browser,  # noqa: F811
    artifacts,  # noqa: F811
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    paths, rasa, console = site["paths"], site["rasa"], site["console"]
    workers = list(rasa.workers)
    before = both_workers(rasa, NEW_EXAMPLE, "before")
    assert not any(DELIVERY_CHARGE_EN in r for r in before), before  # the live model misreads it

    faq = paths.root / "data" / "nlu" / "faq.yml"
    text = faq.read_text(encoding="utf-8")
    anchor = "- intent: faq/delivery_charge\n  examples: |\n"
    assert anchor in text
    faq.write_text(text.replace(anchor, anchor + f"    - {NEW_EXAMPLE}\n", 1), encoding="utf-8")

    driver = browser
    wait = WebDriverWait(driver, 60, poll_frequency=0.25)
    driver.get(console.url + "/login")
    wait.until(EC.element_to_be_clickable((By.NAME, "username"))).send_keys("mita")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a[href='/content/retrain']")))
    driver.get(console.url + "/content/retrain")
    box = driver.find_element(By.NAME, "go_live")
    assert box.is_selected()
    driver.save_screenshot(str(artifacts / "01-before.png"))
    driver.find_element(By.CSS_SELECTOR, "[data-start]").click()
    wait.until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-job][data-state='running']"))
    )
    assert "Retraining started" in driver.page_source

    # The bar follows the job without a reload of the page (the same document throughout).
    marker = driver.execute_script("window.__same = 'yes'; return window.__same;")
    seen, steps = set(), set()

    def progress():
        state = driver.execute_script(
            "var b = document.querySelector('[data-job]'); return b ? [b.getAttribute("
            "'data-state'), document.querySelector('[data-bar]').value, document."
            "querySelector('[data-step]').textContent, window.__same || ''] : null;"
        )
        if not state:
            return None
        if state[0] == "running" and state[3] == "yes":
            seen.add(int(state[1]))
            steps.add(state[2].split("·")[1].strip())
            if len(seen) == 3:
                driver.save_screenshot(str(artifacts / "02-running.png"))
        return state[0] if state[0] != "running" else None

    long_wait = WebDriverWait(driver, JOB_MINUTES * 60, poll_frequency=1)
    final = long_wait.until(lambda d: progress())
    driver.save_screenshot(str(artifacts / "03-finished.png"))
    job = Jobs().recent(1)[0]
    shutil.copy2(Jobs().job_dir(job["id"]) / "status.json", artifacts / "status.json")
    assert final == "promoted", (job["step"], job["message"], job["problems"])
    assert marker == "yes" and len(seen) >= 3 and max(seen) > min(seen), seen
    assert {"Training the new model", "Running the conversation tests"} <= steps, steps
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-job-state]"), "Live"))
    assert "passed every check and is live" in driver.page_source
    live_id = driver.find_element(By.CSS_SELECTOR, "[data-live-model]").text
    assert live_id == job["model_id"]
    assert driver.find_elements(By.CSS_SELECTOR, "[data-rollback]")  # one click back

    # Both workers load it within seconds, and they are the same processes as before.
    wait_for(
        lambda: all(DELIVERY_CHARGE_EN in r for r in both_workers(rasa, NEW_EXAMPLE, "after")),
        180,
        "both workers answering with the new model",
        interval=2,
    )
    assert rasa.servers[-1].children() == workers
    assert "Loaded the new model" in rasa.servers[-1].log_tail(400)
    driver.get(console.url + "/content/retrain")  # Rasa's /status names the live model
    assert 'data-rasa-model="same"' in driver.page_source
    for reply in both_workers(rasa, "ডেলিভারি চার্জ কত?", "still"):
        assert re.search("ডেলিভারি চার্জ ঢাকার ভেতরে", reply), reply


def order_status(db_file: Path, number: str) -> str:
    import sqlite3

    with sqlite3.connect(db_file) as db:
        return db.execute("SELECT status FROM orders WHERE number = ?", (number,)).fetchone()[0]


def test_try_it_talks_to_the_candidate_on_a_throwaway_shop(site, shop_db_module):
    """After the retrain above: the newest candidate answers in "try it", and an order
    cancelled there is cancelled in the throwaway copy only, never in the shop's database."""
    paths = site["paths"]
    real_db = Path(shop_db_module.replace("sqlite:///", ""))
    assert order_status(real_db, "10459") == "confirmed"
    mita = site["console"].login("mita")

    def tryit(text: str, **extra: str) -> str:
        answer = mita.post("/content/retrain/try", {"text": text, **extra}, json_api=True)
        assert answer.status_code == 200, answer.text
        return " ".join(r["text"] for r in answer.json()["replies"])

    assert DELIVERY_CHARGE_EN in tryit(NEW_EXAMPLE, fresh="1")  # the candidate's answer
    tryit("আমার অর্ডারটা বাতিল করতে চাই", fresh="1")
    tryit("১০৪৫৯")
    tryit("০১৬১১০০০০০৪")
    done = tryit("হ্যাঁ, বাতিল করে দিন")
    assert "বাতিল" in done, done
    runs = sorted((paths.retrain_dir / "tryit").glob("run-*/shop.db"))
    assert runs and order_status(runs[-1], "10459") == "cancelled"
    assert order_status(real_db, "10459") == "confirmed"  # the real shop: untouched


def test_going_back_to_the_previous_model_reaches_both_workers(site):
    from seba.content.model_store import ModelStore

    paths, rasa = site["paths"], site["rasa"]
    store = ModelStore(paths)
    previous, workers = store.previous(), list(rasa.workers)
    assert previous and previous["source"] == "make train"
    mita = site["console"].login("mita")
    assert (
        "Use the previous model?" in mita.get(f"/content/retrain/use?model={previous['id']}").text
    )
    done = mita.post("/content/retrain/use", {"model_id": previous["id"], "confirmed": "yes"})
    assert done.status_code == 303
    assert store.live_entry()["id"] == previous["id"]
    wait_for(
        lambda: not any(
            DELIVERY_CHARGE_EN in r for r in both_workers(rasa, NEW_EXAMPLE, "rollback")
        ),
        180,
        "both workers answering with the previous model again",
        interval=2,
    )
    assert rasa.servers[-1].children() == workers
    assert 'data-rasa-model="same"' in mita.get("/content/retrain").text
