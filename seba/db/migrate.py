"""Run the Alembic migrations programmatically (no alembic.ini needed)."""

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from seba.db import database_url, get_engine
from seba.db.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(url: Optional[str] = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates '%' (URL-encoded passwords contain it).
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade(url: Optional[str] = None, revision: str = "head") -> Optional[str]:
    """Migrate the database at ``url`` up to ``revision``; returns the revision reached."""
    url = url or database_url()
    config = alembic_config(url)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(url)


def downgrade(url: Optional[str] = None, revision: str = "base") -> Optional[str]:
    """Migrate down to ``revision`` (``base``: no shop tables left)."""
    url = url or database_url()
    config = alembic_config(url)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    return current_revision(url)


def current_revision(url: Optional[str] = None) -> Optional[str]:
    """The revision the database is at, None when it was never migrated."""
    with get_engine(url or database_url()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def drop_all(url: Optional[str] = None) -> None:
    """Drop the shop's tables and Alembic's version table (other tables are left alone)."""
    with get_engine(url or database_url()).begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
