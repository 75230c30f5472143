"""``python -m handoff COMMAND``: the handoff queue's command line.

  upgrade                         create/upgrade the handoff tables (Alembic, own version table)
  create-agent USERNAME --name "Display Name" [--role agent|content|owner] [--password-stdin]
  set-role USERNAME ROLE          agent (queue, conversations, order locks), content (the
                                  content pages) or owner (everything)
  set-password USERNAME [--password-stdin]
  deactivate-agent USERNAME       / activate-agent USERNAME
  list-agents
  serve [--host 127.0.0.1] [--port 5070]   the agent console (upgrades the tables first)
  sweep                           abandon quiet waiting tickets once (DB only; the console
                                  also resumes their Rasa conversations, this does not)

The database: HANDOFF_DATABASE_URL, else DATABASE_URL, else sqlite:///<repo>/var/shop.db.
"""

import argparse
import getpass
import logging
import os
import sys
from typing import List, Optional


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("No terminal to ask for the password: use --password-stdin.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise SystemExit("The passwords differ.")
    return first


def _cmd_upgrade(args: argparse.Namespace) -> int:
    from handoff import migrate
    from handoff.config import database_url

    revision = migrate.upgrade(args.url)
    print(f"handoff tables at revision {revision} ({_safe_url(args.url or database_url())})")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"


def _cmd_create_agent(args: argparse.Namespace) -> int:
    from handoff.agents import AgentError, create_agent

    password = _password(args)
    try:
        agent = create_agent(
            args.username, args.name or args.username, password, url=args.url, role=args.role
        )
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created {agent.role} {agent.username} ({agent.display_name})")
    return 0


def _cmd_set_role(args: argparse.Namespace) -> int:
    from handoff.agents import AgentError, set_role

    try:
        changed = set_role(args.username, args.role, url=args.url)
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not changed:
        print(f"error: no account named {args.username}", file=sys.stderr)
        return 1
    print(f"{args.username} is now {args.role} (from their next page on)")
    return 0


def _cmd_set_password(args: argparse.Namespace) -> int:
    from handoff.agents import AgentError, set_password

    password = _password(args)
    try:
        changed = set_password(args.username, password, url=args.url)
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not changed:
        print(f"error: no agent named {args.username}", file=sys.stderr)
        return 1
    print(f"password changed for {args.username} (their sessions were ended)")
    return 0


def _cmd_active(args: argparse.Namespace, active: bool) -> int:
    from handoff.agents import set_active

    if not set_active(args.username, active, url=args.url):
        print(f"error: no agent named {args.username}", file=sys.stderr)
        return 1
    print(f"{args.username} {'activated' if active else 'deactivated'}")
    return 0


def _cmd_list_agents(args: argparse.Namespace) -> int:
    from handoff.agents import list_agents

    agents = list_agents(url=args.url)
    if not agents:
        print("no agents yet: python -m handoff create-agent USERNAME --name 'Display Name'")
    for agent in agents:
        seen = agent.last_seen.isoformat(sep=" ", timespec="minutes") if agent.last_seen else "-"
        state = agent.status if agent.is_active else "inactive"
        print(
            f"{agent.username:20} {agent.display_name:30} {agent.role:8} {state:8} last seen {seen}"
        )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from handoff import migrate
    from handoff.console.app import serve
    from seba import logmask

    logmask.install()  # phone numbers masked in every log line

    migrate.upgrade(args.url)
    serve(host=args.host, port=args.port, url=args.url)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from handoff.queue import sweep_abandoned

    abandoned = sweep_abandoned(url=args.url)
    print(f"abandoned {len(abandoned)} waiting conversation(s)")
    for ticket in abandoned:
        print(f"  #{ticket.id} {ticket.conversation_id} (Rasa conversation still paused)")
    return 0


def parser() -> argparse.ArgumentParser:
    from handoff.models import ROLES

    p = argparse.ArgumentParser(prog="python -m handoff", description=__doc__.split("\n")[0])
    p.add_argument("--url", help="database URL (default: HANDOFF_DATABASE_URL / DATABASE_URL)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="create or upgrade the handoff tables")
    create = sub.add_parser("create-agent", help="add an agent account")
    create.add_argument("username")
    create.add_argument("--name", help="display name shown to customers (e.g. 'Rina')")
    create.add_argument(
        "--role", choices=ROLES, default="agent", help="agent (default), content or owner"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    role = sub.add_parser("set-role", help="change what an account may do")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    password = sub.add_parser("set-password", help="change an agent's password")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    for name in ("activate-agent", "deactivate-agent"):
        sub.add_parser(name).add_argument("username")
    sub.add_parser("list-agents", help="list agent accounts")
    serve = sub.add_parser("serve", help="run the agent console")
    serve.add_argument("--host", default=os.environ.get("HANDOFF_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("HANDOFF_PORT", "5070")))
    sub.add_parser("sweep", help="abandon quiet waiting tickets once")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    commands = {
        "upgrade": _cmd_upgrade,
        "create-agent": _cmd_create_agent,
        "set-role": _cmd_set_role,
        "set-password": _cmd_set_password,
        "activate-agent": lambda a: _cmd_active(a, True),
        "deactivate-agent": lambda a: _cmd_active(a, False),
        "list-agents": _cmd_list_agents,
        "serve": _cmd_serve,
        "sweep": _cmd_sweep,
    }
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
