"""The owner's list of console accounts: who has which role, who is active, and how many
failed logins each account had lately (a stranger guessing shows up here).

Accounts are created and changed on the command line (``python -m handoff create-agent``,
``set-role``, ``deactivate-agent``), where the owner also sets the passwords."""

from aiohttp import web

from handoff import agents as agent_store
from handoff.console import roles
from handoff.console.helpers import THROTTLE, db, now
from handoff.console.i18n import N_, translated
from handoff.console.render import STATUS_LABELS, render
from handoff.console.roles import OWNER_ONLY, Route


async def accounts_page(request: web.Request) -> web.StreamResponse:
    accounts = await db(request, agent_store.list_agents)
    throttle = request.app[THROTTLE]
    moment, failures = now(request), {}
    for account in accounts:
        failures[account.id] = await db(
            request, throttle.failures, f"account:{account.username}", moment
        )
    return render(
        request,
        "accounts.html",
        accounts=accounts,
        failures=failures,
        role_labels=translated(request, roles.ROLE_LABELS),
        status_labels=translated(request, STATUS_LABELS),
        window_hours=int(throttle.policy.window.total_seconds() // 3600),
    )


ROUTES = [Route("GET", "/accounts", accounts_page, OWNER_ONLY, nav=N_("Accounts"))]
