"""Sending fuzzed console requests and checking what the console must answer.

``ConsoleWorld`` knows the console (its URL and databases), one logged-in browser per role,
and how tickets come to be (``new_ticket``: a database insert with a stub Rasa, a customer
asking for a person on the real stack). Before each request it makes sure there is a ticket
in every state, resolves the request's ticket, sends it like a browser would, and checks:

- never a 5xx, and a redirect never leaves the console (``Location`` is a local path);
- nobody logged in: the login page (303 to /login, 401 for JSON), nothing changed;
- a role the route is not for: 403, nothing changed;
- no or a wrong CSRF token: 403 (400 for a body that cannot be read), nothing changed;
- the login form without its own CSRF token (or posted while logged in, when there is no
  form): 403; with it: 303, 401 or 429;
- a valid reply (text, 1-4000 characters) to one's own conversation: accepted, and it
  reaches the customer (``delivered``);
- afterwards the console answers its health check and every account still works.
"""

import datetime as dt
from typing import Any, Callable, Dict, List, Optional

import requests

from handoff import agents, queue
from handoff.console.app import routes
from handoff.console.ticket_pages import MAX_REPLY_CHARS
from seba import verification
from tests.fuzz.console_requests import ConsoleRequest
from tests.handoff.helpers import PASSWORD, AgentClient

ROUTE_ROLES = {r.path: r.roles for r in routes() if r.method == "POST"}
TIMEOUT = 15  # seconds for any console request: it answers in well under one


class ConsoleWorld:
    def __init__(
        self,
        base: str,
        db_url: str,
        shop_url: str,
        accounts: Dict[str, str],
        new_ticket: Callable[[], int],
        delivered: Callable[[str, str], bool],
        now: Callable[[], dt.datetime],
    ) -> None:
        self.base, self.db_url, self.shop_url = base, db_url, shop_url
        self.accounts = accounts  # role -> username (password: PASSWORD)
        self.new_ticket, self.delivered, self.now = new_ticket, delivered, now
        self.clients: Dict[str, AgentClient] = {}
        self.tickets: List[int] = []
        self.ids = {a.username: a.id for a in agents.list_agents(url=db_url)}

    # -- accounts and tickets ------------------------------------------------------------

    def client(self, role: str) -> AgentClient:
        """The role's browser, logged in (again, if a fuzzed logout ended its session)."""
        client = self.clients.get(role)
        if client is not None and client.get("/home", timeout=TIMEOUT).status_code == 200:
            return client
        client = client or AgentClient(self.base)  # keeps its device cookie: never throttled
        answer = client.login(self.accounts[role], PASSWORD)
        assert answer.status_code == 303, f"{role} cannot log in: {answer.status_code}"
        client.csrf = client.csrf_in(client.get("/home").text)
        assert client.csrf, f"no CSRF token for {role}"
        self.clients[role] = client
        return client

    def ticket_in(self, state: str) -> int:
        me, other = self.ids[self.accounts["agent"]], self.ids[self.accounts["other"]]
        for ticket_id in self.tickets:
            ticket = queue.get_ticket(ticket_id, url=self.db_url)
            if (
                state == "waiting"
                and ticket.state == "waiting"
                or state == "mine"
                and ticket.state == "assigned"
                and ticket.agent_id == me
                or state == "other"
                and ticket.state == "assigned"
                and ticket.agent_id == other
                or state == "closed"
                and ticket.state not in ("waiting", "assigned")
            ):
                return ticket_id
        if state == "closed":
            return 0
        ticket_id = self.new_ticket()
        self.tickets.append(ticket_id)
        if state in ("mine", "other"):
            role = "agent" if state == "mine" else "other"
            answer = self.client(role).post(f"/tickets/{ticket_id}/claim", json_api=True)
            assert answer.status_code == 200, answer.text
        return ticket_id

    def snapshot(self) -> Any:
        tickets = [
            (t.id, t.state, t.agent_id)
            for t in (queue.get_ticket(i, url=self.db_url) for i in self.tickets)
            if t
        ]
        statuses = sorted((a.username, a.status) for a in agents.list_agents(url=self.db_url))
        locks = [
            lock.order_number
            for lock in verification.active_locks(now=self.now(), url=self.shop_url)
        ]
        return tickets, statuses, locks

    # -- one request ------------------------------------------------------------------

    def prepare(self, request: ConsoleRequest) -> None:
        """Resolve the request's ticket, CSRF token and fields (before the snapshot)."""
        ticket_id = (
            self.ticket_in(request.ticket) if isinstance(request.ticket, str) else request.ticket
        )
        session = (
            AgentClient(self.base).http
            if request.who == "nobody"
            else self.client(request.who).http
        )
        token: Optional[str] = None
        if request.route == "/login":  # its own CSRF token, from the form (not when logged in)
            if request.csrf in ("right", "header"):
                form = session.get(self.base + "/login", timeout=TIMEOUT, allow_redirects=False)
                token = AgentClient.csrf_in(form.text)
                request.resolved["login_form"] = token is not None
        elif request.who != "nobody":
            token = self.clients[request.who].csrf
        if request.csrf == "wrong":
            token = request.wrong_token
        headers = {"Accept": "application/json"} if request.accept_json else {}
        fields = request.fields
        if request.csrf == "header" and token is not None:
            headers["X-CSRF-Token"] = token
        elif request.csrf in ("right", "wrong") and isinstance(fields, dict):
            fields = {**fields, "csrf_token": token or ""}
        request.resolved.update(
            ticket_id=ticket_id, session=session, headers=headers, fields=fields
        )

    def post(self, request: ConsoleRequest) -> requests.Response:
        """Send it like a browser (or a script) would."""
        session, fields = request.resolved["session"], request.resolved["fields"]
        headers = dict(request.resolved["headers"])
        url = self.base + request.path(request.resolved["ticket_id"])
        options: Dict[str, Any] = {"timeout": TIMEOUT, "allow_redirects": False}
        if request.encoding == "form":
            return session.post(url, data=fields, headers=headers, **options)
        if request.encoding == "json":
            return session.post(url, json=fields, headers=headers, **options)
        if request.encoding == "multipart":
            parts = {str(k): (None, str(v)) for k, v in fields.items()} or {"x": (None, "")}
            return session.post(url, files=parts, headers=headers, **options)
        headers["Content-Type"] = request.content_type
        return session.post(url, data=fields, headers=headers, **options)

    # -- what must come of it -----------------------------------------------------------

    def submitted(self, request: ConsoleRequest) -> Dict[str, str]:
        fields = request.resolved.get("fields")
        if not request.has_fields or not isinstance(fields, dict):
            return {}
        return {str(k): str(v) for k, v in fields.items()}

    def check(self, request: ConsoleRequest) -> str:
        """Send the request and check the answer; returns a label for the counts."""
        self.prepare(request)
        before = self.snapshot()
        answer = self.post(request)
        status = answer.status_code
        location = answer.headers.get("Location", "")
        assert status < 500, f"{status}: {answer.text[:300]}"
        if 300 <= status < 400:
            assert location.startswith("/") and not location.startswith(("//", "/\\")), location
        roles = ROUTE_ROLES[request.route]
        fields = self.submitted(request)
        csrf_sent = request.csrf == "header" or (request.csrf == "right" and "csrf_token" in fields)
        if request.route == "/login":
            if request.encoding != "raw":
                if (
                    request.csrf == "right"
                    and "csrf_token" in fields
                    and request.resolved.get("login_form")
                ):
                    assert status in (303, 401, 429), status
                else:
                    assert status == 403, status
            return f"login {status}"
        if roles is None:  # other public forms (the login page's language switch)
            assert status in (303, 400, 403), status
            assert self.snapshot() == before, "a public form changed something"
            return f"public {status}"
        if request.who == "nobody":
            if request.wants_json:
                assert status == 401, status
            else:
                assert status == 303 and location == "/login", (status, location)
            assert self.snapshot() == before, "a request without a login changed something"
            return f"nobody {status}"
        if request.who not in roles:
            assert status == 403, status
            assert self.snapshot() == before, "a refused role changed something"
            return f"wrong role {status}"
        if not csrf_sent:
            assert status in (400, 403), status
            assert self.snapshot() == before, "a request without its CSRF token changed something"
            return f"no csrf {status}"
        text = fields.get("text", "").strip()
        replying = (
            request.who == "agent" and request.ticket == "mine" and request.route.endswith("/reply")
        )
        if replying and 0 < len(text) <= MAX_REPLY_CHARS:
            assert status in (200, 303), f"a valid reply was refused: {status} {answer.text[:200]}"
            conversation = queue.get_ticket(request.resolved["ticket_id"], url=self.db_url)
            assert self.delivered(conversation.conversation_id, text), (
                "the agent's reply did not reach the customer"
            )
            return f"reply {status}"
        return f"accepted {status}"

    def check_still_working(self) -> None:
        health = requests.get(self.base + "/healthz", timeout=TIMEOUT)
        assert health.status_code == 200, health.status_code
        for role in self.accounts:
            self.client(role)
