"""What every Alembic environment of the project does (seba.db's and handoff's).

Driven programmatically: the caller either shares a connection
(``config.attributes["connection"]``) or sets ``sqlalchemy.url``. SQLite gets batch
mode so later ALTERs work (copy-and-move).
"""

from typing import Any

from alembic import context
from sqlalchemy import MetaData, create_engine
from sqlalchemy.pool import NullPool


def run_migrations(target_metadata: MetaData, **configure: Any) -> None:
    """Run the migrations of the calling env.py, online or offline."""
    config = context.config

    def _configure(**kwargs: Any) -> None:
        context.configure(target_metadata=target_metadata, compare_type=True, **configure, **kwargs)

    def _run(connection) -> None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        url = config.get_main_option("sqlalchemy.url")
        _configure(
            url=url,
            literal_binds=True,
            dialect_opts={"paramstyle": "named"},
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()
