"""Run the handoff migrations programmatically (``python -m handoff upgrade``)."""

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from handoff.config import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "handoff_alembic_version"


def alembic_config(url: Optional[str] = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_table", VERSION_TABLE)
    # ConfigParser interpolates '%' (URL-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _migrate(url: Optional[str], step) -> None:
    """Run an Alembic command on one connection, in one transaction.

    SQLite: batch mode rebuilds a table (copy, drop the old one, rename). With foreign keys
    on, that DROP deletes through ``ON DELETE CASCADE`` / ``SET NULL`` (every login of the
    agents gone, every conversation unassigned), so they are off while migrating, which
    SQLite only allows outside a transaction, and checked before the commit."""
    from handoff.db import get_engine

    url = url or database_url()
    config = alembic_config(url)
    with get_engine(url).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(url: Optional[str] = None, revision: str = "head") -> Optional[str]:
    """Migrate the handoff tables at ``url`` up to ``revision``; returns the revision reached."""
    _migrate(url, lambda config: command.upgrade(config, revision))
    return current_revision(url)


def downgrade(url: Optional[str] = None, revision: str = "-1") -> Optional[str]:
    """Migrate the handoff tables at ``url`` down to ``revision``; returns the revision reached."""
    _migrate(url, lambda config: command.downgrade(config, revision))
    return current_revision(url)


def current_revision(url: Optional[str] = None) -> Optional[str]:
    from handoff.db import get_engine

    with get_engine(url or database_url()).connect() as connection:
        return MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()


def drop_all(url: Optional[str] = None) -> None:
    """Drop the handoff tables and their version table (nothing else)."""
    from handoff.db import get_engine
    from handoff.models import Base

    with get_engine(url or database_url()).begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
