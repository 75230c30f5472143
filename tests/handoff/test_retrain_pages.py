"""The Retrain page (/content/retrain) in the console app, over real HTTP, on fabricated
jobs and kept models (small byte files stand in for models; nothing is trained here — the
real retrain is tests/e2e/test_retrain.py). The strangers' attempts come first."""

import subprocess
import sys
import time

import pytest

from handoff import agents
from seba.content.jobs import Jobs
from seba.content.locations import Paths
from seba.content.model_store import write_json
from tests.content.helpers import promoted_b
from tests.handoff.helpers import PASSWORD

JSON = {"Accept": "application/json"}
PAGE = "/content/retrain"


@pytest.fixture
def paths(tmp_path, monkeypatch):
    paths = Paths(
        root=tmp_path / "project",
        live_model=tmp_path / "models" / "seba.tar.gz",
        models_dir=tmp_path / "var" / "models",
        retrain_dir=tmp_path / "var" / "retrain",
    )
    paths.root.mkdir()
    paths.live_model.parent.mkdir()
    paths.live_model.write_bytes(b"model A")
    for name, value in paths.env().items():
        monkeypatch.setenv(name, value)
    return paths


@pytest.fixture
def people(handoff_url, two_agents):
    agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=handoff_url)
    agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=handoff_url)


@pytest.fixture
def site(make_console, people, paths):
    return make_console()


def fake_job(paths, state="refused", pid=None, **extra):
    job_id = time.strftime("%Y%m%d-%H%M%S-") + "ab12"
    status = {
        "id": job_id,
        "state": state,
        "step": "checks",
        "step_label": "Checking the content",
        "percent": 8,
        "started_by": "mita",
        "started_at": "2025-01-06T12:00:00",
        "finished_at": None,
        "go_live": True,
        "message": "The content checks found mistakes.",
        "problems": [],
        "scores": None,
        "pid": pid,
        **extra,
    }
    Jobs(paths).job_dir(job_id).mkdir(parents=True)
    Jobs(paths).write(status)
    write_json(paths.retrain_dir / "current.json", {"id": job_id})
    return job_id


def test_agents_and_strangers_cannot_retrain_roll_back_or_try(site, paths, tmp_path):
    store, a, b = promoted_b(paths, tmp_path)
    rina = site.login("rina")
    assert rina.get(PAGE).status_code == 403
    assert rina.get(PAGE + "/status", headers=JSON).status_code == 403
    assert rina.get(f"{PAGE}/use?model={a['id']}").status_code == 403
    for path, fields in (
        (PAGE + "/start", {"go_live": "1"}),
        (PAGE + "/use", {"model_id": a["id"], "confirmed": "yes"}),
        (PAGE + "/put-live", {"job_id": "20250101-000000-abcd"}),
        (PAGE + "/try", {"text": "হ্যালো"}),
    ):
        answer = rina.post(path, fields, json_api=True)
        assert answer.status_code == 403, path
        assert "role is agent" in answer.json()["message"]
    stranger = site.client()
    assert stranger.get(PAGE).status_code == 303  # to the login page
    assert stranger.get(PAGE).headers["Location"] == "/login"
    assert (
        stranger.post(
            PAGE + "/use", {"model_id": a["id"], "confirmed": "yes"}, json_api=True
        ).status_code
        == 401
    )
    assert stranger.post(PAGE + "/start", json_api=True).status_code == 401
    # Nothing happened: no job, B still live.
    assert Jobs(paths).recent() == []
    assert store.live_entry()["id"] == b["id"]


def test_every_post_needs_the_csrf_token(site, paths, tmp_path):
    store, a, b = promoted_b(paths, tmp_path)
    mita = site.login("mita")
    for path, fields in (
        (PAGE + "/start", {"go_live": "1"}),
        (PAGE + "/use", {"model_id": a["id"], "confirmed": "yes"}),
        (PAGE + "/try", {"text": "hello"}),
    ):
        assert mita.post(path, fields, csrf=False).status_code == 403, path
        assert mita.post(path, {**fields, "csrf_token": "forged"}, csrf=False).status_code == 403, (
            path
        )
    assert Jobs(paths).recent() == []
    assert store.live_entry()["id"] == b["id"]


def test_the_previous_model_is_one_confirmed_click_away(site, paths, tmp_path):
    store, a, b = promoted_b(paths, tmp_path)
    mita = site.login("mita")
    page = mita.get(PAGE)
    assert page.status_code == 200
    assert f"data-live-model>{b['id']}<" in page.text
    assert f'href="/content/retrain/use?model={a["id"]}" data-rollback' in page.text
    assert "Bangla: 90.0% · 50.0% · 12.5%" in page.text  # B's scores in the history

    confirm = mita.get(f"{PAGE}/use?model={a['id']}")
    assert confirm.status_code == 200 and "Use the previous model?" in confirm.text
    assert store.live_entry()["id"] == b["id"]  # asking changes nothing
    # Without the confirmation field (a forged form that skips the page): refused.
    assert mita.post(PAGE + "/use", {"model_id": a["id"]}).status_code == 400
    done = mita.post(PAGE + "/use", {"model_id": a["id"], "confirmed": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == PAGE + "?done=live"
    assert paths.live_model.read_bytes() == b"model A"
    assert store.activations()[-1] == {
        **store.activations()[-1],
        "model_id": a["id"],
        "by": "mita",
        "kind": "rollback",
    }
    assert f"Model {a['id']} is live" in mita.get(done.headers["Location"]).text


@pytest.mark.parametrize(
    "model_id", ["../../var/secrets.env", "20250101-000000-deadbeef", "<script>alert(1)</script>"]
)
def test_unknown_models_are_refused_politely(site, paths, tmp_path, model_id):
    store, a, b = promoted_b(paths, tmp_path)
    mita = site.login("mita")
    answer = mita.post(PAGE + "/use", {"model_id": model_id, "confirmed": "yes"})
    assert answer.status_code == 409 and "not one of the kept models" in answer.text
    assert "<script>alert" not in answer.text
    assert mita.get(f"{PAGE}/use", params={"model": model_id}).status_code == 404
    assert store.live_entry()["id"] == b["id"]


def test_a_forged_kept_file_is_not_put_live(site, paths, tmp_path):
    store, a, b = promoted_b(paths, tmp_path)
    with open(store.file_of(a), "wb") as f:
        f.write(b"forged")
    answer = site.login("boss").post(PAGE + "/use", {"model_id": a["id"], "confirmed": "yes"})
    assert answer.status_code == 409 and "was changed on the server" in answer.text
    assert paths.live_model.read_bytes() == b"model B"


def test_a_second_click_while_training_is_told_politely(site, paths):
    # A process that looks like a running job (its command line names the job module).
    job = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "seba.content.retrain"]
    )
    try:
        job_id = fake_job(
            paths,
            state="running",
            pid=job.pid,
            percent=37,
            step="train",
            step_label="Training the new model",
            message="Training…",
        )
        mita = site.login("mita")
        answer = mita.post(PAGE + "/start", {"go_live": "1"}, json_api=True)
        assert answer.status_code == 409
        assert answer.json()["message"] == (
            "A retrain is already running (started by mita). Wait for it to finish."
        )
        form_answer = mita.post(PAGE + "/start", {"go_live": "1"})
        assert form_answer.headers["Location"] == PAGE + "?done=already"
        status = mita.get(PAGE + "/status", headers=JSON).json()["job"]
        assert status["id"] == job_id and status["percent"] == 37
        assert status["state"] == "running"
        page = mita.get(PAGE).text
        assert (
            'data-running="yes"' in page
            and '<progress class="progress state-running" max="100" value="37"' in page
            and " disabled data-start>" in page
        )
        assert [j["id"] for j in Jobs(paths).recent()] == [job_id]  # still one job
    finally:
        job.kill()
        job.wait()
    # Its process is gone: the job reads as interrupted, and a new one may start.
    status = site.login("boss").get(PAGE + "/status", headers=JSON).json()["job"]
    assert status["state"] == "interrupted" and "Nothing went live" in status["message"]


def test_a_refused_job_says_why_in_plain_words_and_escapes_them(site, paths):
    from seba.content.retrain import CHECKS_MISSING

    fake_job(
        paths,
        message_bn="কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে, তাই কিছু ট্রেইন করা হয়নি।",
        notes=[CHECKS_MISSING],
        step_label_bn="কনটেন্ট যাচাই করা হচ্ছে",
        problems=[
            {
                "title": "Check “rasa data validate” failed in data/rules.yml, line 4",
                "detail": "The rule uses <script>utter_nothing</script>, which does not exist.",
                "fix": "Add the response to domain.yml or correct its name.",
                "detail_bn": "নিয়মটি এমন একটি উত্তর ব্যবহার করেছে যা নেই।",
            }
        ],
    )
    page = site.login("mita").get(PAGE).text
    assert "Check “rasa data validate” failed in data/rules.yml, line 4" in page
    assert "What to do: Add the response to domain.yml or correct its name." in page
    assert "&lt;script&gt;utter_nothing&lt;/script&gt;" in page and "<script>utter" not in page
    assert "নিয়মটি এমন একটি উত্তর ব্যবহার করেছে যা নেই।" in page
    assert 'data-state="refused"' in page
    assert "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে, তাই কিছু ট্রেইন করা হয়নি।" in page
    assert "Stopped at: Checking the content" in page
    assert "যে ধাপে থেমেছে: কনটেন্ট যাচাই করা হচ্ছে" in page
    # Without seba.content.check only rasa data validate ran, and the page says so.
    assert (
        "Only Rasa&#39;s own data validation ran: The content checks (make check-content) "
        "are not installed" in page
    )
    assert "শুধু Rasa-র নিজের ডেটা যাচাই চলেছে" in page


def test_try_it_asks_for_text_and_a_candidate(site, paths):
    mita = site.login("mita")
    empty = mita.post(PAGE + "/try", {"text": "   "}, json_api=True)
    assert empty.status_code == 400 and empty.json()["message"] == "Write a message first."
    long = mita.post(PAGE + "/try", {"text": "ক" * 1001}, json_api=True)
    assert long.status_code == 400
    none = mita.post(PAGE + "/try", {"text": "হ্যালো"}, json_api=True)
    assert none.status_code == 503 and "Retrain first" in none.json()["message"]
    assert "there is no new model to try yet" in mita.get(PAGE).text
    assert not (paths.retrain_dir / "tryit").exists()  # nothing was started


def test_the_menu_shows_retrain_to_content_staff_only(site):
    assert '<a href="/content/retrain"' in site.login("mita").get("/home").text
    assert '<a href="/content/retrain"' in site.login("boss").get(PAGE).text
    assert '<a href="/content/retrain"' not in site.login("rina").get("/").text


class FakeRasa:
    """Rasa's ``GET /status`` as the page reads it: the model_id it is answering with."""

    base_url = "http://127.0.0.1:9"

    def __init__(self) -> None:
        self.model_id = None

    async def status(self):
        if self.model_id is None:
            raise ConnectionError("Rasa is down")
        return {"model_file": "seba.tar.gz", "model_id": self.model_id}

    async def close(self) -> None:
        pass


def test_the_page_says_whether_rasa_answers_with_the_live_model(make_console, people, paths):
    import io
    import json
    import tarfile

    with tarfile.open(paths.live_model, "w:gz") as archive:  # a model's metadata, nothing else
        body = json.dumps({"model_id": "91d55dbf", "trained_at": "2025-01-06"}).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    rasa = FakeRasa()
    mita = make_console(rasa=rasa).login("mita")
    assert 'data-rasa-model="unknown"' in mita.get(PAGE).text  # Rasa down: the page opens
    rasa.model_id = "91d55dbf"
    page = mita.get(PAGE).text
    assert 'data-rasa-model="same"' in page and "Rasa is answering with this model." in page
    rasa.model_id = "0ld"
    page = mita.get(PAGE).text
    assert 'data-rasa-model="other"' in page and "still answering with another model" in page
