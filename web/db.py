"""Database plumbing: one SQLAlchemy engine per app, one session per request, migrations."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _postgres_driver(url: str) -> str:
    """``postgres://`` and plain ``postgresql://`` use psycopg2 unless psycopg 3 is installed
    (SQLAlchemy 2.1 defaults to psycopg 3; our requirements ship psycopg2-binary)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg") is None:
        url = "postgresql+psycopg2://" + url[len("postgresql://"):]
    return url


def resolve_database_url(url: str, root: Path) -> str:
    """Relative SQLite paths are taken relative to ``root`` (the project), and their folder made;
    PostgreSQL URLs get a driver that is installed."""
    url = _postgres_driver(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    path = Path(parsed.database)
    if not path.is_absolute():
        path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """An engine on ``url``; a server database gets a pool of ``pool_size`` connections plus
    ``max_overflow`` more under load (SQLite files ignore both)."""
    pool = {} if url.startswith("sqlite") else {"pool_size": pool_size, "max_overflow": max_overflow}
    engine = create_engine(url, pool_pre_ping=True, **pool)
    if engine.dialect.name == "sqlite":
        _enable_sqlite_foreign_keys(engine)
    return engine


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory; close the request's session on teardown."""
    settings = app.extensions["touchpoint_settings"]
    engine = make_engine(app.config["DATABASE_URL"], settings.db_pool_size, settings.db_max_overflow)
    app.extensions["touchpoint_db"] = engine
    app.extensions["touchpoint_sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    return (app or current_app).extensions["touchpoint_sessions"]


def get_session() -> Session:
    """The session of the current request (or app context), created on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    return g.db_session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def alembic_config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(app: Flask | None = None, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` on the app's database."""
    engine: Engine = (app or current_app).extensions["touchpoint_db"]
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(app: Flask | None = None, revision: str = "base") -> None:
    engine: Engine = (app or current_app).extensions["touchpoint_db"]
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
