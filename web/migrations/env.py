"""Alembic environment for Touchpoint's web database.

Run programmatically by ``web.db.upgrade`` (which hands over a connection in
``config.attributes["connection"]``); ``sqlalchemy.url`` is used otherwise.
"""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from web.models import Base
from web.search import include_name

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      include_name=include_name)  # the search index (b011) is no model
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as owned:
        _configure_and_run(owned)


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
