"""Alembic environment of the shop's tables, driven by seba.db.migrate."""

from seba.db.alembic_env import run_migrations
from seba.db.models import Base

run_migrations(Base.metadata)
