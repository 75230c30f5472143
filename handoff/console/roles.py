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

from handoff.console.i18n import N_
from handoff.models import ROLES

AGENT, CONTENT, OWNER = ROLES

ANY_ROLE: FrozenSet[str] = frozenset(ROLES)  # any logged-in account
SUPPORT: FrozenSet[str] = frozenset({AGENT, OWNER})  # queue, conversations, locks
CONTENT_STAFF: FrozenSet[str] = frozenset({CONTENT, OWNER})  # what the bot says
OWNER_ONLY: FrozenSet[str] = frozenset({OWNER})
PUBLIC = None  # no login needed (login page, health check)

# Strings marked N_() are translated where they are shown (i18n.translate).
ROLE_LABELS = {AGENT: N_("Agent"), CONTENT: N_("Content"), OWNER: N_("Owner")}
ROLE_PEOPLE = {AGENT: N_("agents"), CONTENT: N_("content staff"), OWNER: N_("the owner")}
ROLE_DESCRIPTIONS = {
    AGENT: N_("You help customers: the queue, their conversations and locked orders."),
    CONTENT: N_("You look after what the bot says: the content pages."),
    OWNER: N_("You are the shop's owner: every page of the console is yours."),
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


def refusal(
    roles: FrozenSet[str], role: str, gettext: Callable[[str], str] = lambda message: message
) -> str:
    """Why ``role`` may not use a page for ``roles``, through ``gettext`` (the language)."""
    people = [gettext(ROLE_PEOPLE[r]) for r in ROLES if r in roles]
    if len(people) > 1:
        allowed = gettext(N_("%(some)s and %(last)s")) % {
            "some": ", ".join(people[:-1]),
            "last": people[-1],
        }
    else:
        allowed = people[0] if people else ""
    return gettext(
        N_("Not allowed: this page is for %(allowed)s, and your account's role is %(role)s.")
    ) % {"allowed": allowed, "role": gettext(ROLE_LABELS.get(role, role)).lower()}
