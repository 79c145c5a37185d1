"""The Alembic migrations build exactly the schema the models describe, and can be undone."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from web.db import downgrade, upgrade
from web.models import Base
from web.search import include_name


def _differences(app) -> list:
    with app.extensions["touchpoint_db"].connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        return compare_metadata(context, Base.metadata)


def test_the_migrated_schema_matches_the_models(app):
    assert _differences(app) == []


def test_the_migrations_go_down_to_nothing_and_up_again(app):
    downgrade(app, "base")
    assert set(inspect(app.extensions["touchpoint_db"]).get_table_names()) <= {"alembic_version"}
    upgrade(app)
    assert {"findings", "documents", "check_runs", "audit_log"} <= set(
        inspect(app.extensions["touchpoint_db"]).get_table_names())
    assert _differences(app) == []
