"""Console accounts (agents, content staff, the owner; online/away) and their sessions.

A session ends at the first of: logout, ``SESSION_HOURS`` after login (one shift), or
``SESSION_IDLE_MINUTES`` without a request. Expired sessions are refused and deleted."""

import datetime as dt
from typing import List, Optional, Tuple

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from handoff.db import as_local, session_scope
from handoff.models import AGENT_STATUSES, ROLES, Agent, AgentSession
from handoff.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    token_hash,
    verify_password,
)
from handoff.views import AgentView

SESSION_HOURS = 12  # one long shift; then log in again
SESSION_IDLE_MINUTES = 120  # a console left alone this long logs out
#: A request refreshes the session's last_seen_at at most this often (not a write per request).
SEEN_EVERY_SECONDS = 60
#: Roles whose accounts take customers' chats (count as online agents).
QUEUE_ROLES = ("agent", "owner")


class AgentError(ValueError):
    """A bad username, display name or password, or a duplicate agent."""


def _clean_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-" for c in name):
        raise AgentError("username: 1-64 characters, letters, digits, '.', '_' or '-'")
    return name


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AgentError(f"password: at least {MIN_PASSWORD_LENGTH} characters")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AgentError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def create_agent(
    username: str,
    display_name: str,
    password: str,
    url: Optional[str] = None,
    role: str = "agent",
) -> AgentView:
    name = _clean_username(username)
    display = (display_name or "").strip() or name
    if len(display) > 120:
        raise AgentError("display name: at most 120 characters")
    _check_password(password)
    _check_role(role)
    try:
        with session_scope(url) as session:
            agent = Agent(
                username=name,
                display_name=display,
                password_hash=hash_password(password),
                status="away",
                is_active=True,
                role=role,
            )
            session.add(agent)
            session.flush()
            return AgentView.of(agent)
    except IntegrityError as exc:
        raise AgentError(f"an agent named {name!r} exists already") from exc


def set_password(username: str, password: str, url: Optional[str] = None) -> bool:
    _check_password(password)
    with session_scope(url) as session:
        result = session.execute(
            update(Agent)
            .where(Agent.username == _clean_username(username))
            .values(password_hash=hash_password(password))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            # A new password logs the agent out everywhere.
            agent_id = session.execute(
                select(Agent.id).where(Agent.username == _clean_username(username))
            ).scalar_one()
            session.execute(delete(AgentSession).where(AgentSession.agent_id == agent_id))
        return bool(result.rowcount)


def set_role(username: str, role: str, url: Optional[str] = None) -> bool:
    """Change an account's role; it takes effect on the account's next request."""
    _check_role(role)
    values = {"role": role}
    if role not in QUEUE_ROLES:
        values["status"] = "away"  # content staff never count as an agent customers wait for
    with session_scope(url) as session:
        result = session.execute(
            update(Agent)
            .where(Agent.username == _clean_username(username))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def set_active(username: str, active: bool, url: Optional[str] = None) -> bool:
    with session_scope(url) as session:
        result = session.execute(
            update(Agent)
            .where(Agent.username == _clean_username(username))
            .values(is_active=active, status="away")
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def list_agents(url: Optional[str] = None) -> List[AgentView]:
    with session_scope(url) as session:
        agents = session.execute(select(Agent).order_by(Agent.display_name)).scalars().all()
        return [AgentView.of(a) for a in agents]


def get_agent(agent_id: int, url: Optional[str] = None) -> Optional[AgentView]:
    with session_scope(url) as session:
        agent = session.get(Agent, agent_id)
        return AgentView.of(agent) if agent else None


def authenticate(username: str, password: str, url: Optional[str] = None) -> Optional[AgentView]:
    """The agent when the password is right and the account active; else None.

    Takes as long for an unknown username as for a wrong password."""
    try:
        name = _clean_username(username)
    except AgentError:
        verify_password(password or "", None)
        return None
    with session_scope(url) as session:
        agent = session.execute(select(Agent).where(Agent.username == name)).scalar_one_or_none()
        stored = agent.password_hash if agent is not None else None
        view = AgentView.of(agent) if agent is not None else None
    if not verify_password(password or "", stored) or view is None or not view.is_active:
        return None
    return view


def set_status(
    agent_id: int, status: str, now: Optional[dt.datetime] = None, url: Optional[str] = None
) -> None:
    if status not in AGENT_STATUSES:
        raise AgentError(f"status must be one of {AGENT_STATUSES}")
    with session_scope(url) as session:
        session.execute(
            update(Agent)
            .where(Agent.id == agent_id)
            .values(status=status, last_seen=as_local(now))
            .execution_options(synchronize_session=False)
        )


def touch(agent_id: int, now: Optional[dt.datetime] = None, url: Optional[str] = None) -> None:
    """The agent's console is open (keeps an online agent counted as online)."""
    with session_scope(url) as session:
        session.execute(
            update(Agent)
            .where(Agent.id == agent_id)
            .values(last_seen=as_local(now))
            .execution_options(synchronize_session=False)
        )


# --- console sessions -------------------------------------------------------------------


def _expired(now: dt.datetime):
    """SQL condition: the session is past its absolute end or idle too long."""
    idle_since = now - dt.timedelta(minutes=SESSION_IDLE_MINUTES)
    return or_(
        AgentSession.expires_at <= now,
        func.coalesce(AgentSession.last_seen_at, AgentSession.created_at) < idle_since,
    )


def purge_sessions(now: Optional[dt.datetime] = None, url: Optional[str] = None) -> int:
    """Delete expired (absolute or idle) sessions; returns how many."""
    with session_scope(url) as session:
        result = session.execute(
            delete(AgentSession)
            .where(_expired(as_local(now)))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


def create_session(
    agent_id: int, now: Optional[dt.datetime] = None, url: Optional[str] = None
) -> Tuple[str, str]:
    """A new login: (cookie token, CSRF token). Expired sessions are purged on the way."""
    now = as_local(now)
    token, csrf = new_token(), new_token()
    with session_scope(url) as session:
        session.execute(
            delete(AgentSession).where(_expired(now)).execution_options(synchronize_session=False)
        )
        session.add(
            AgentSession(
                token_hash=token_hash(token),
                agent_id=agent_id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + dt.timedelta(hours=SESSION_HOURS),
                last_seen_at=now,
            )
        )
    return token, csrf


def load_session(
    token: Optional[str], now: Optional[dt.datetime] = None, url: Optional[str] = None
) -> Optional[Tuple[AgentView, str]]:
    """(account, CSRF token) for a live session of an active account, else None.

    Each call is a request: it keeps the session from going idle. A session past its end
    or idle too long is deleted here."""
    if not token or len(token) > 200:
        return None
    now = as_local(now)
    with session_scope(url) as session:
        row = session.execute(
            select(AgentSession).where(AgentSession.token_hash == token_hash(token))
        ).scalar_one_or_none()
        if row is None:
            return None
        last = row.last_seen_at or row.created_at
        idle = now - last > dt.timedelta(minutes=SESSION_IDLE_MINUTES)
        if row.expires_at <= now or idle:
            session.delete(row)
            return None
        if not row.agent.is_active:
            return None
        if (now - last).total_seconds() >= SEEN_EVERY_SECONDS:
            row.last_seen_at = now
        return AgentView.of(row.agent), row.csrf_token


def end_session(token: Optional[str], url: Optional[str] = None) -> None:
    if not token:
        return
    with session_scope(url) as session:
        session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash(token)))
