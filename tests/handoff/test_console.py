"""The agent console as a real process over real HTTP.

The fast tests use the database only (Rasa is deliberately unreachable); the slow ones start
the real Rasa server with the trained model and talk to the customer's conversation.
"""

import json
import subprocess
import sys
import time
import uuid

import pytest
import requests

from handoff import agents, queue
from handoff.rasa_client import HANDBACK_INTENT
from tests.handoff.helpers import PASSWORD, AgentClient


def enqueue(conversation_id="c-1", message="আমার পার্সেল এখনো আসেনি", **kwargs):
    kwargs.setdefault("channel", "telegram")
    kwargs.setdefault("language", "bn")
    kwargs.setdefault("reason", "customer_request")
    return queue.enqueue(
        conversation_id, kwargs["channel"], kwargs["language"], kwargs["reason"], message
    )


# --- login, sessions, CSRF -------------------------------------------------------------------


def test_login_sets_a_safe_session_cookie(console):
    client = AgentClient(console.url)
    page = client.get("/login")
    assert page.status_code == 200 and "Agent login" in page.text
    response = client.login("rina", PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "seba_console=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "রিনা" in home.text
    # Logging in made her online.
    assert [a.status for a in agents.list_agents() if a.username == "rina"] == ["online"]


def test_wrong_password_and_missing_login_csrf_are_refused(console):
    client = AgentClient(console.url)
    assert client.login("rina", "wrong password").status_code == 401
    assert client.get("/").status_code == 303  # still not logged in
    # A login POST without the form's token (e.g. from another site) is refused.
    fresh = requests.post(
        console.url + "/login",
        data={"username": "rina", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert fresh.status_code == 403 and "seba_console" not in fresh.headers.get("Set-Cookie", "")


def test_failed_logins_are_slowed_down(console):
    """The real process: free mistakes, then growing delays (exact delays, with an injected
    clock: test_console_login.py)."""
    client = AgentClient(console.url)
    for _ in range(3):  # the first three mistakes cost nothing
        assert client.login("karim", "guess guess").status_code == 401
    wait = 0
    for _ in range(8):  # 1 s, 2 s, 4 s …: keep guessing until the wait is long
        response = client.login("karim", "guess guess")
        if response.status_code == 429:
            wait = int(response.headers["Retry-After"])
            if wait >= 3:
                break
            time.sleep(wait)
        else:
            assert response.status_code == 401
    assert wait >= 3
    blocked = client.login("karim", PASSWORD)  # even the right password, for a while
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in blocked.text
    # Another agent is not slowed down by Karim's attacker.
    assert AgentClient(console.url).login("rina", PASSWORD).status_code == 303


def test_pages_need_a_login(console):
    anonymous = AgentClient(console.url)
    assert anonymous.get("/").headers["Location"] == "/login"
    assert anonymous.get("/tickets/1").status_code == 303
    assert anonymous.get("/api/queue", headers={"Accept": "application/json"}).status_code == 401
    assert anonymous.get("/events").status_code == 401
    assert anonymous.post("/tickets/1/claim", {"csrf_token": "x"}).status_code in (303, 401)


def test_every_post_needs_the_csrf_token(console):
    ticket_id = enqueue().ticket_id
    rina = console.login("rina")
    for path in (f"/tickets/{ticket_id}/claim", "/status", "/claim-next", "/logout"):
        assert rina.post(path, {"status": "away"}, csrf=False).status_code == 403, path
        assert rina.post(path, {"status": "away", "csrf_token": "forged"}).status_code == 403, path
    assert queue.get_ticket(ticket_id).state == "waiting"
    # The header works too (that is what the page's script sends).
    response = rina.http.post(
        console.url + "/status",
        data={"status": "away"},
        headers={"X-CSRF-Token": rina.csrf, "Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200 and response.json() == {"ok": True, "status": "away"}


def test_logout_ends_the_session(console):
    rina = console.login("rina")
    cookie = rina.http.cookies.get("seba_console")
    assert rina.post("/logout").status_code == 303
    stale = requests.get(
        console.url + "/", cookies={"seba_console": cookie}, allow_redirects=False, timeout=30
    )
    assert stale.status_code == 303 and stale.headers["Location"] == "/login"
    assert [a.status for a in agents.list_agents() if a.username == "rina"] == ["away"]


def test_security_headers(console):
    rina = console.login("rina")
    response = rina.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "https://" not in response.text  # nothing from a CDN
    css = rina.get("/static/console.css")
    assert css.status_code == 200 and "Noto Sans Bengali" in css.text
    assert rina.get("/static/console.js").status_code == 200


# --- queue -------------------------------------------------------------------------------------


def test_queue_page_and_api_show_waiting_customers(console):
    enqueue("c-bn", "আমার অর্ডার কবে আসবে?")
    enqueue(
        "c-en", "I want to talk to a person", channel="facebook", language="en", reason="complaint"
    )
    rina = console.login("rina")
    page = rina.get("/")
    assert "আমার অর্ডার কবে আসবে?" in page.text and "Messenger" in page.text
    assert "Complaint" in page.text and "বাংলা" in page.text
    data = rina.get("/api/queue", headers={"Accept": "application/json"}).json()
    assert [t["conversation_id"] for t in data["waiting"]] == ["c-bn", "c-en"]
    assert [t["position"] for t in data["waiting"]] == [1, 2]
    assert data["me"]["display_name"] == "রিনা"
    assert any(a["display_name"] == "রিনা" and a["online"] for a in data["agents"])


def test_queue_streams_as_server_sent_events(console):
    rina = console.login("rina")
    with rina.http.get(console.url + "/events", stream=True, timeout=30) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)

        def next_event():
            event, data = None, None
            for line in lines:
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: "):
                    data = json.loads(line[len("data: ") :])
                elif line == "" and event:
                    return event, data
            raise AssertionError("stream ended")

        event, data = next_event()
        assert event == "queue" and data["waiting"] == []
        enqueue("live", "হ্যালো, কেউ আছেন?")  # a customer arrives while the page is open
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event, data = next_event()
            if data["waiting"]:
                break
        assert data["waiting"][0]["last_message"] == "হ্যালো, কেউ আছেন?"


def test_online_away_toggle(console):
    rina = console.login("rina")
    assert rina.post("/status", {"status": "away"}).status_code == 303
    assert queue.queue_snapshot().online_agents() == []
    assert rina.post("/status", {"status": "online"}).status_code == 303
    assert [a.display_name for a in queue.queue_snapshot().online_agents()] == ["রিনা"]
    assert rina.post("/status", {"status": "asleep"}).status_code == 400


# --- a conversation ------------------------------------------------------------------------------


def test_claim_and_a_second_agents_claim_is_refused(console):
    ticket_id = enqueue("c-claim", "রিটার্ন করতে চাই").ticket_id
    rina, karim = console.login("rina"), console.login("karim")
    page = rina.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200 and "Claim this conversation" in page.text
    assert "রিটার্ন" in page.text or "Rasa is not reachable" in page.text
    claimed = rina.post(f"/tickets/{ticket_id}/claim")
    assert claimed.status_code == 303
    assert claimed.headers["Location"] == f"/tickets/{ticket_id}?done=claimed"
    assert "You have this conversation now" in rina.get(claimed.headers["Location"]).text

    refused = karim.post(f"/tickets/{ticket_id}/claim")
    assert refused.status_code == 409
    assert "Already taken: রিনা is handling this conversation." in refused.text
    as_json = karim.post(f"/tickets/{ticket_id}/claim", json_api=True)
    assert as_json.status_code == 409
    assert as_json.json() == {
        "ok": False,
        "message": "Already taken: রিনা is handling this conversation.",
    }
    assert queue.get_ticket(ticket_id).agent_name == "রিনা"
    # Karim cannot reply, hand back, resolve or release it either.
    for action in ("reply", "handback", "resolve", "release"):
        response = karim.post(f"/tickets/{ticket_id}/{action}", {"text": "hi"}, json_api=True)
        assert response.status_code == 409 and "Already taken" in response.json()["message"]
    api = karim.get(f"/api/tickets/{ticket_id}", headers={"Accept": "application/json"}).json()
    assert api["can"] == {
        "claim": False,
        "reply": False,
        "hand_back": False,
        "resolve": False,
        "release": False,
    }
    assert api["refusal"].startswith("Already taken")


def test_claim_next_takes_the_longest_waiting(console):
    first = enqueue("first").ticket_id
    enqueue("second")
    karim = console.login("karim")
    response = karim.post("/claim-next")
    assert response.status_code == 303 and response.headers["Location"].startswith(
        f"/tickets/{first}"
    )
    assert queue.get_ticket(first).agent_name == "Karim"


def test_release_puts_it_back(console):
    ticket_id = enqueue().ticket_id
    rina = console.login("rina")
    rina.post(f"/tickets/{ticket_id}/claim")
    assert rina.post(f"/tickets/{ticket_id}/release").status_code == 303
    assert queue.get_ticket(ticket_id).state == "waiting"


def test_reply_needs_the_claim_and_a_reachable_rasa(console):
    ticket_id = enqueue().ticket_id
    rina = console.login("rina")
    before = rina.post(f"/tickets/{ticket_id}/reply", {"text": "আমি দেখছি"}, json_api=True)
    assert before.status_code == 409 and before.json()["message"] == "Claim the conversation first."
    rina.post(f"/tickets/{ticket_id}/claim")
    empty = rina.post(f"/tickets/{ticket_id}/reply", {"text": "  "}, json_api=True)
    assert empty.status_code == 400
    down = rina.post(f"/tickets/{ticket_id}/reply", {"text": "আমি দেখছি"}, json_api=True)
    assert down.status_code == 502 and "Rasa is not reachable" in down.json()["message"]
    # Hand back with Rasa down: refused, the ticket stays with her (the bot is still paused).
    back = rina.post(f"/tickets/{ticket_id}/handback", json_api=True)
    assert back.status_code == 502
    assert queue.get_ticket(ticket_id).state == "assigned"


def test_ticket_page_shows_canned_replies_in_the_customers_language(console):
    bn = enqueue("c-bn").ticket_id
    en = enqueue("c-en", "hello", language="en").ticket_id
    rina = console.login("rina")
    bangla = rina.get(f"/tickets/{bn}").text
    assert "আমি রিনা, সেবা ফ্যাশন হাউস থেকে বলছি" in bangla
    english = rina.get(f"/tickets/{en}").text
    assert "This is রিনা from Seba Fashion House" in english
    assert rina.get("/tickets/999").status_code == 404


# --- the command line -----------------------------------------------------------------------------


def test_create_agent_command(handoff_url):
    def run(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "handoff", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = run(
        "create-agent", "Sumi", "--name", "সুমি আক্তার", "--password-stdin", stdin="a long secret\n"
    )
    assert done.returncode == 0, done.stderr
    assert "created agent sumi (সুমি আক্তার)" in done.stdout
    assert agents.authenticate("sumi", "a long secret").display_name == "সুমি আক্তার"
    twice = run("create-agent", "sumi", "--name", "Sumi", "--password-stdin", stdin="another one\n")
    assert twice.returncode == 1 and "exists already" in twice.stderr
    short = run("create-agent", "tuhin", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    assert "sumi" in run("list-agents").stdout
    changed = run("set-password", "sumi", "--password-stdin", stdin="brand new secret\n")
    assert changed.returncode == 0
    assert agents.authenticate("sumi", "brand new secret") is not None
    assert agents.authenticate("sumi", "a long secret") is None


def test_roles_on_the_command_line(handoff_url):
    def run(*args, stdin=""):
        return subprocess.run(
            [sys.executable, "-m", "handoff", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    made = run(
        "create-agent",
        "mita",
        "--name",
        "মিতা",
        "--role",
        "content",
        "--password-stdin",
        stdin="a long secret\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created content mita (মিতা)" in made.stdout
    assert run("create-agent", "rina", "--password-stdin", stdin="a long secret\n").returncode == 0
    wrong = run("create-agent", "x", "--role", "boss", "--password-stdin", stdin="a long secret\n")
    assert wrong.returncode == 2 and "invalid choice: 'boss'" in wrong.stderr
    listed = {line.split()[0]: line.split()[2] for line in run("list-agents").stdout.splitlines()}
    assert listed == {"mita": "content", "rina": "agent"}
    promoted = run("set-role", "mita", "owner")
    assert promoted.returncode == 0 and "mita is now owner" in promoted.stdout
    assert [a.role for a in agents.list_agents() if a.username == "mita"] == ["owner"]
    assert run("set-role", "nobody", "agent").returncode == 1


# --- with the real Rasa server (slow) -----------------------------------------------------------


def say(stack, sender, text):
    """``sender`` is the conversation id ``rest:<the app's user>``."""
    return stack.rasa.say(sender.split(":", 1)[1], text)


def tracker(stack, sender):
    return stack.rasa.tracker(sender)


def hand_to_queue(stack, sender):
    """The customer asks for a person. When the bot's action_handoff is wired it queues and
    pauses the conversation itself; until then the test does what it will do."""
    say(stack, sender, "আমি একজন মানুষের সাথে কথা বলতে চাই")
    ticket = queue.open_ticket(sender, url=stack.db_url)
    if ticket is None:
        queue.enqueue(
            sender,
            "rest",
            "bn",
            "customer_request",
            "আমি একজন মানুষের সাথে কথা বলতে চাই",
            url=stack.db_url,
        )
        requests.post(
            stack.rasa.api(f"/conversations/{sender}/tracker/events"),
            json=[{"event": "pause"}],
            headers=stack.rasa.auth,
            timeout=30,
        ).raise_for_status()
        ticket = queue.open_ticket(sender, url=stack.db_url)
    assert tracker(stack, sender)["paused"]
    return ticket


@pytest.mark.slow
def test_agent_reply_reaches_the_customers_conversation(rasa_console):
    stack = rasa_console
    sender = f"rest:handoff-{uuid.uuid4().hex[:8]}"
    ticket = hand_to_queue(stack, sender)

    # While waiting, the customer writes again: logged, no bot answer.
    assert say(stack, sender, "হ্যালো? কেউ আছেন?") == []
    # The console's tracker sync shows the new message in the queue.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if queue.get_ticket(ticket.id, url=stack.db_url).last_message == "হ্যালো? কেউ আছেন?":
            break
        time.sleep(0.5)
    assert queue.get_ticket(ticket.id, url=stack.db_url).last_message == "হ্যালো? কেউ আছেন?"

    rina = stack.console.login("rina")
    assert rina.post(f"/tickets/{ticket.id}/claim").status_code == 303
    page = rina.get(f"/tickets/{ticket.id}")
    assert "হ্যালো? কেউ আছেন?" in page.text and "while waiting" in page.text
    sent = rina.post(
        f"/tickets/{ticket.id}/reply", {"text": "আমি রিনা, আপনার অর্ডার দেখছি।"}, json_api=True
    )
    assert sent.status_code == 200 and sent.json()["ok"], sent.text

    events = tracker(stack, sender)["events"]
    agent_says = [
        e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")
    ]
    assert agent_says[-1]["text"] == "আমি রিনা, আপনার অর্ডার দেখছি।"
    assert agent_says[-1]["metadata"]["agent"] == "রিনা"
    assert tracker(stack, sender)["paused"]  # still the agent's conversation

    api = rina.get(f"/api/tickets/{ticket.id}", headers={"Accept": "application/json"}).json()
    kinds = [(item["kind"], item.get("agent")) for item in api["transcript"]]
    assert ("agent", "রিনা") in kinds and ("customer", None) in kinds
    waiting = [i for i in api["transcript"] if i["kind"] == "customer" and i["while_waiting"]]
    assert [i["text"] for i in waiting] == ["হ্যালো? কেউ আছেন?"]
    assert api["paused"] is True


@pytest.mark.slow
def test_hand_back_resumes_the_bot(rasa_console):
    stack = rasa_console
    sender = f"rest:handback-{uuid.uuid4().hex[:8]}"
    ticket = hand_to_queue(stack, sender)
    karim = stack.console.login("karim")
    assert karim.post(f"/tickets/{ticket.id}/claim").status_code == 303
    back = karim.post(f"/tickets/{ticket.id}/handback", json_api=True)
    assert back.status_code == 200 and back.json()["ok"], back.text

    state = tracker(stack, sender)
    assert not state["paused"]
    names = [e["event"] for e in state["events"]]
    assert "resume" in names[names.index("pause") :]
    closed = queue.get_ticket(ticket.id, url=stack.db_url)
    assert (closed.state, closed.resolution) == ("resolved", "handed_back")

    domain = requests.get(
        stack.rasa.api("/domain"),
        headers={"Accept": "application/json", **stack.rasa.auth},
        timeout=30,
    ).json()
    if HANDBACK_INTENT in domain.get("intents", []):
        # The bot's welcome-back ran after the resume.
        after = state["events"][len(names) - names[::-1].index("resume") :]
        assert back.json()["welcomed_back"] is True
        assert any(e["event"] == "bot" for e in after)
    else:
        assert back.json()["welcomed_back"] is False
    # The bot answers the customer again.
    assert say(stack, sender, "hello") != []
