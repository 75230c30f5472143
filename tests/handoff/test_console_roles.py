"""Roles in the console: every route is checked server-side, the menu follows the role.

The console app runs in this process (``make_console``) on a real SQLite database and is
used over real HTTP; the attempts of an account on pages its role does not have come first.
"""

import pytest

from handoff import agents, queue
from handoff.console.app import create_app
from handoff.console.roles import ANY_ROLE, OWNER_ONLY, SUPPORT
from seba import verification
from tests.handoff.helpers import PASSWORD, make_lock

JSON = {"Accept": "application/json"}


@pytest.fixture
def people(handoff_url, two_agents):
    rina, karim = two_agents
    mita = agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=handoff_url)
    boss = agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=handoff_url)
    return {"rina": rina, "karim": karim, "mita": mita, "boss": boss}


def test_every_route_says_who_may_use_it(handoff_url, db_url):
    app = create_app(url=handoff_url, shop_url=db_url, background=False)
    public, guarded = set(), {}
    for route in app.router.routes():
        path = route.resource.canonical
        if path.startswith("/static"):
            continue
        assert hasattr(route.handler, "allowed_roles"), f"{route.method} {path} has no roles"
        if route.handler.allowed_roles is None:
            public.add((route.method, path))
        else:
            guarded[(route.method, path)] = route.handler.allowed_roles
    # The language switch of the login page (login form's double-submit token).
    assert public == {
        ("GET", "/login"),
        ("HEAD", "/login"),
        ("POST", "/login"),
        ("POST", "/login/language"),
        ("GET", "/healthz"),
        ("HEAD", "/healthz"),
    }
    assert guarded[("POST", "/language")] == ANY_ROLE
    assert guarded[("GET", "/")] == SUPPORT
    assert guarded[("POST", "/tickets/{ticket_id}/reply")] == SUPPORT
    assert guarded[("POST", "/locks/lift")] == SUPPORT
    assert guarded[("GET", "/accounts")] == OWNER_ONLY
    assert guarded[("POST", "/logout")] == ANY_ROLE


def test_a_content_account_is_refused_queue_ticket_and_lock_routes(make_console, people, db_url):
    ticket_id = queue.enqueue("c-1", "telegram", "bn", "customer_request", "হ্যালো").ticket_id
    make_lock(db_url, "tg:locked")
    console = make_console()
    mita = console.login("mita")
    assert mita.csrf  # a real session with a real CSRF token: only the role is wrong

    for path, people_allowed in (
        ("/", "agents and the owner"),
        (f"/tickets/{ticket_id}", "agents and the owner"),
        ("/locks", "agents and the owner"),
        ("/accounts", "the owner"),
    ):
        page = mita.get(path)
        assert page.status_code == 403, path
        assert (
            f"Not allowed: this page is for {people_allowed}, and your account&#39;s role "
            "is content."
        ) in page.text, path
    for path in ("/api/queue", f"/api/tickets/{ticket_id}", "/events"):
        answer = mita.get(path, headers=JSON)
        assert answer.status_code == 403, path
        assert answer.json()["ok"] is False and "role is content" in answer.json()["message"]
    posts = [
        f"/tickets/{ticket_id}/{action}"
        for action in ("claim", "reply", "handback", "resolve", "release")
    ]
    for path in posts + ["/claim-next", "/status", "/locks/lift"]:
        response = mita.post(
            path, {"text": "hi", "status": "online", "order_number": "10456"}, json_api=True
        )
        assert response.status_code == 403, path
        assert "role is content" in response.json()["message"], path
    # Nothing happened.
    assert queue.get_ticket(ticket_id).state == "waiting"
    assert [lock.order_number for lock in verification.active_locks(url=db_url)] == ["10456"]
    assert [a.status for a in agents.list_agents() if a.username == "mita"] == ["away"]


def test_an_agent_is_refused_owner_pages_and_the_owner_may_do_everything(make_console, people):
    ticket_id = queue.enqueue("c-2", "facebook", "en", "complaint", "hello?").ticket_id
    console = make_console()
    rina = console.login("rina")
    refused = rina.get("/accounts")
    assert refused.status_code == 403
    assert (
        "Not allowed: this page is for the owner, and your account&#39;s role is agent."
        in refused.text
    )
    assert rina.get("/accounts", headers=JSON).status_code == 403

    boss = console.login("boss")
    accounts = boss.get("/accounts")
    assert accounts.status_code == 200
    for username, role in (("rina", "Agent"), ("mita", "Content"), ("boss", "Owner")):
        assert f'data-username="{username}"' in accounts.text and role in accounts.text
    assert boss.get("/").status_code == 200 and boss.get("/locks").status_code == 200
    assert boss.post(f"/tickets/{ticket_id}/claim").status_code == 303
    assert queue.get_ticket(ticket_id).agent_name == "Shop owner"


def test_each_role_lands_on_its_pages_and_sees_only_its_menu(make_console, people):
    console = make_console()
    landing = {}
    menus = {}
    for username in ("rina", "mita", "boss"):
        client = console.client()
        response = client.login(username, PASSWORD)
        landing[username] = response.headers["Location"]
        home = client.get("/home").text
        menus[username] = [
            label for label in ("Queue", "Order locks", "Accounts") if f">{label}</a>" in home
        ]
        assert f'data-role="{people[username].role}"' in home
    assert landing == {"rina": "/", "mita": "/content/review", "boss": "/"}
    assert menus == {
        "rina": ["Queue", "Order locks"],
        "mita": [],
        "boss": ["Queue", "Order locks", "Accounts"],
    }
    mita_home = console.login("mita").get("/home").text
    assert "Your role: <strong data-role>Content</strong>" in mita_home
    assert "Review" in mita_home and "data-status-form" not in mita_home  # no online toggle


def test_content_staff_never_count_as_an_online_agent(make_console, people):
    console = make_console()
    console.login("mita")
    snapshot = queue.queue_snapshot()
    assert [a.username for a in snapshot.online_agents()] == []
    assert not queue.agents_available()
    rina = console.login("rina")
    data = rina.get("/api/queue", headers=JSON).json()
    assert sorted(a["username"] for a in data["agents"]) == ["boss", "karim", "rina"]
    assert data["me"]["role"] == "agent"


def test_a_new_role_applies_on_the_next_request(make_console, people):
    console = make_console()
    rina = console.login("rina")
    assert rina.get("/").status_code == 200
    assert agents.set_role("rina", "content")
    assert rina.get("/").status_code == 403
    assert [a.status for a in agents.list_agents() if a.username == "rina"] == ["away"]
    assert agents.set_role("rina", "agent")
    assert rina.get("/").status_code == 200
    with pytest.raises(agents.AgentError):
        agents.set_role("rina", "boss")
