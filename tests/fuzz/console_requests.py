"""Hypothesis strategies for POSTs to the agent console's forms, and what must come of them.

Every POST route ``handoff/console/app.py`` registers is fuzzed (login, logout, status,
claim-next, lock lift, and per ticket claim, reply, hand back, resolve, release): by nobody,
by an account whose role may not use the route, or by one that may; with the right CSRF
token (form field or header), a wrong one or none; with fields of any name and value, sent
as a form, JSON (values of any type), multipart, or raw bytes under any content type.

``ticket`` names which ticket a ``/tickets/<id>/…`` route is about: one in a given state
(``waiting``, ``mine``: assigned to the logged-in agent, ``other``: to another agent,
``closed``), resolved when the request is sent, or any number.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Union

from hypothesis import strategies as st

from handoff.console.app import routes
from tests.fuzz.strategies import customer_texts, json_values, raw_bodies
from tests.handoff.helpers import PASSWORD

POST_ROUTES: List[str] = sorted(r.path for r in routes() if r.method == "POST")
PUBLIC_POSTS = {r.path for r in routes() if r.method == "POST" and r.roles is None}
TICKET_PARAM = re.compile(r"\{ticket_id[^}]*\}")
FIELD_NAMES = ["text", "status", "order_number", "back", "username", "password", "csrf_token"]
TICKET_STATES = ["waiting", "mine", "other", "closed"]

field_values = st.one_of(
    customer_texts,
    st.sampled_from(
        [
            "online",
            "away",
            "busy",
            "10456",
            "10459",
            "/locks",
            "/tickets/1",
            "//evil.example/x",
            "https://evil.example",
            "/locks?x=\r\nSet-Cookie: a=b",
            "rina",
            "karim",
            PASSWORD,
            "ok",
        ]
    ),
    st.text(max_size=40),
)
form_fields = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)), field_values, max_size=4
)
json_fields = st.one_of(
    st.dictionaries(
        st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=10)),
        st.one_of(field_values, json_values),
        max_size=4,
    ),
    json_values,
)
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/json",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
    "",
]


@dataclass
class ConsoleRequest:
    route: str
    ticket: Union[str, int]  # a state from TICKET_STATES, or an id
    who: str  # "nobody" or the name of a role
    csrf: str  # "right" (field), "header", "wrong", "none"
    encoding: str  # "form", "json", "multipart", "raw"
    fields: Any  # a dict of fields (JSON: any value), or bytes (raw)
    content_type: str = ""
    accept_json: bool = False
    wrong_token: str = ""
    resolved: Dict[str, Any] = field(default_factory=dict)

    def path(self, ticket_id: int) -> str:
        return TICKET_PARAM.sub(str(ticket_id), self.route)

    @property
    def has_fields(self) -> bool:
        return self.encoding != "raw" and isinstance(self.fields, dict)

    @property
    def wants_json(self) -> bool:
        return self.accept_json or self.route.startswith("/api/")


@st.composite
def any_requests(draw, roles: List[str]) -> ConsoleRequest:
    encoding = draw(st.sampled_from(["form", "form", "json", "multipart", "raw"]))
    fields = {
        "form": form_fields,
        "multipart": form_fields,
        "json": json_fields,
        "raw": raw_bodies,
    }[encoding]
    return ConsoleRequest(
        route=draw(st.sampled_from(POST_ROUTES)),
        ticket=draw(
            st.one_of(st.sampled_from(TICKET_STATES), st.integers(min_value=0, max_value=10**30))
        ),
        who=draw(st.sampled_from(["nobody"] + roles)),
        csrf=draw(st.sampled_from(["right", "right", "header", "wrong", "none"])),
        encoding=encoding,
        fields=draw(fields),
        content_type=draw(st.sampled_from(CONTENT_TYPES)) if encoding == "raw" else "",
        accept_json=draw(st.booleans()),
        wrong_token=draw(
            st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=50)
        ),
    )


@st.composite
def agent_actions(draw) -> ConsoleRequest:
    """What an agent's browser sends: a logged-in agent, the CSRF token, a reply text."""
    fields = draw(form_fields)
    fields["text"] = draw(customer_texts)
    return ConsoleRequest(
        route=draw(st.sampled_from(POST_ROUTES)),
        ticket=draw(st.sampled_from(["mine", "mine", "waiting", "other"])),
        who="agent",
        csrf=draw(st.sampled_from(["right", "header"])),
        encoding=draw(st.sampled_from(["form", "json", "multipart"])),
        fields=fields,
        accept_json=draw(st.booleans()),
    )


def console_requests(roles: List[str]) -> st.SearchStrategy[ConsoleRequest]:
    return st.one_of(agent_actions(), any_requests(roles))
