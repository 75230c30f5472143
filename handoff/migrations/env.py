"""Alembic environment for the handoff tables, driven by ``handoff.migrate``.

Own history, own version table (``handoff_alembic_version``): the handoff tables upgrade
independently of the shop's tables even when both live in one database. Only tables named
``handoff_*`` are compared, so autogenerate never touches the shop's (or Rasa's) tables.
"""

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from handoff.migrate import VERSION_TABLE
from handoff.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table":
        return bool(name) and name.startswith("handoff_") and name != VERSION_TABLE
    return True


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        version_table=VERSION_TABLE,
        include_object=_include_object,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
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


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
