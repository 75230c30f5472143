"""Alembic environment for the handoff tables, driven by ``handoff.migrate``.

Own history, own version table (``handoff_alembic_version``): the handoff tables upgrade
independently of the shop's tables even when both live in one database. Only tables named
``handoff_*`` are compared, so autogenerate never touches the shop's (or Rasa's) tables.
"""

from handoff.migrate import VERSION_TABLE
from handoff.models import Base
from seba.db.alembic_env import run_migrations


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table":
        return bool(name) and name.startswith("handoff_") and name != VERSION_TABLE
    return True


run_migrations(Base.metadata, version_table=VERSION_TABLE, include_object=_include_object)
