"""Who may use which console page: roles, the route table entry, the menu.

Every console account has one role (``handoff_agents.role``):

- **agent**: helps customers: the queue, conversations, verification locks;
- **content**: edits what the bot says: the content pages;
- **owner**: the shop's owner: everything.

A page module lists its routes as ``Route(method, path, handler, roles, nav=...)``;
``app.create_app`` registers each through ``auth.guarded``, which refuses (403) a logged-in
account whose role is not in ``roles`` before the handler runs. ``nav`` puts a GET page in
the top menu of the roles that may use it, so the menu and the check cannot disagree.
"""

from dataclasses import dataclass
from typing import Awaitable, Callable, FrozenSet, Iterable, List, Optional

from aiohttp import web

from handoff.models import ROLES

AGENT, CONTENT, OWNER = ROLES

ANY_ROLE: FrozenSet[str] = frozenset(ROLES)  # any logged-in account
SUPPORT: FrozenSet[str] = frozenset({AGENT, OWNER})  # queue, conversations, locks
CONTENT_STAFF: FrozenSet[str] = frozenset({CONTENT, OWNER})  # what the bot says
OWNER_ONLY: FrozenSet[str] = frozenset({OWNER})
PUBLIC = None  # no login needed (login page, health check)

ROLE_LABELS = {AGENT: "Agent", CONTENT: "Content", OWNER: "Owner"}
ROLE_PEOPLE = {AGENT: "agents", CONTENT: "content staff", OWNER: "the owner"}
ROLE_DESCRIPTIONS = {
    AGENT: "You help customers: the queue, their conversations and locked orders.",
    CONTENT: "You look after what the bot says: the content pages.",
    OWNER: "You are the shop's owner: every page of the console is yours.",
}
#: Pages a role will have that are not built yet (shown on its home page).
COMING: dict = {}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: Optional[FrozenSet[str]]  # PUBLIC (None) or the roles that may use it
    nav: Optional[str] = None  # label in the top menu (GET pages)


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: FrozenSet[str]


def nav_items(routes: Iterable[Route]) -> List[NavItem]:
    return [NavItem(r.nav, r.path, r.roles) for r in routes if r.nav and r.roles]


def nav_for(nav: Iterable[NavItem], role: str) -> List[NavItem]:
    return [item for item in nav if role in item.roles]


def home_for(nav: Iterable[NavItem], role: str) -> str:
    """Where an account lands after login: its first menu page, else its home page."""
    mine = nav_for(nav, role)
    return mine[0].path if mine else "/home"


def refusal(roles: FrozenSet[str], role: str) -> str:
    people = [ROLE_PEOPLE[r] for r in ROLES if r in roles]
    allowed = " and ".join([", ".join(people[:-1]), people[-1]] if len(people) > 2 else people)
    return (f"Not allowed: this page is for {allowed}, and your account's role is "
            f"{ROLE_LABELS.get(role, role).lower()}.")
