"""The handoff migrations on a real SQLite database: upgrading a database that is in use."""

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from handoff import agents, migrate
from handoff.db import dispose, get_engine
from tests.handoff.helpers import PASSWORD


@pytest.fixture
def h0002_url(tmp_path, shop_settings):
    """A handoff database at h0002 with one account and one session, as before roles."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "h0002")
    with get_engine(url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO handoff_agents (username, display_name, password_hash, status, "
                "is_active, created_at) VALUES ('rina', 'রিনা', 'scrypt$x', 'online', 1, "
                "'2026-11-30 10:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO handoff_agent_sessions (token_hash, agent_id, csrf_token, created_at, "
                "expires_at) VALUES ('abc', 1, 'csrf', '2026-11-30 10:00:00', "
                "'2026-11-30 22:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO handoff_tickets (conversation_id, channel, language, reason, state, "
                "created_at, assigned_at, agent_id) VALUES ('c-1', 'telegram', 'bn', "
                "'verification_locked', 'assigned', '2026-11-30 10:05:00', "
                "'2026-11-30 10:06:00', 1)"
            )
        )
    yield url
    dispose(url)


def test_h0003_gives_existing_accounts_the_agent_role(h0002_url):
    assert migrate.upgrade(h0002_url, "h0003") == "h0003"
    with get_engine(h0002_url).connect() as connection:
        assert connection.execute(
            text("SELECT username, role, status FROM handoff_agents")
        ).all() == [("rina", "agent", "online")]
        # Rebuilding handoff_agents (batch mode) must not cascade into the rows that point
        # at it: her conversation stays hers, her login stays valid.
        assert connection.execute(text("SELECT agent_id, state FROM handoff_tickets")).all() == [
            (1, "assigned")
        ]
        assert connection.execute(text("SELECT agent_id FROM handoff_agent_sessions")).all() == [
            (1,)
        ]
    # The database refuses a role the console does not know.
    with pytest.raises(IntegrityError), get_engine(h0002_url).begin() as connection:
        connection.execute(text("UPDATE handoff_agents SET role = 'boss'"))
    names = {
        c["name"] for c in inspect(get_engine(h0002_url)).get_check_constraints("handoff_agents")
    }
    assert "ck_handoff_agents_role" in names


def test_head_keeps_the_session_and_adds_the_login_failures(h0002_url):
    migrate.upgrade(h0002_url)
    assert migrate.current_revision(h0002_url) == migrate.head_revision()
    tables = set(inspect(get_engine(h0002_url)).get_table_names())
    assert "handoff_login_failures" in tables
    with get_engine(h0002_url).connect() as connection:
        row = connection.execute(
            text("SELECT token_hash, last_seen_at FROM handoff_agent_sessions")
        ).one()
    assert row == ("abc", None)  # idle time counts from created_at until the next request
    # The upgraded database works with today's code.
    created = agents.create_agent("mita", "Mita", PASSWORD, role="content", url=h0002_url)
    assert created.role == "content"
    assert {a.username: a.role for a in agents.list_agents(url=h0002_url)} == {
        "rina": "agent",
        "mita": "content",
    }


def test_downgrade_to_h0002_and_up_again(h0002_url):
    migrate.upgrade(h0002_url)
    assert migrate.downgrade(h0002_url, "h0002") == "h0002"
    columns = {c["name"] for c in inspect(get_engine(h0002_url)).get_columns("handoff_agents")}
    assert "role" not in columns
    assert "handoff_login_failures" not in inspect(get_engine(h0002_url)).get_table_names()
    migrate.upgrade(h0002_url)
    assert {a.role for a in agents.list_agents(url=h0002_url)} == {"agent"}
    with get_engine(h0002_url).connect() as connection:
        assert connection.execute(text("SELECT agent_id FROM handoff_tickets")).all() == [(1,)]
