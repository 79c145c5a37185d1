"""Fixtures for the web app tests, Flask-tutorial style: ``app``, ``client``, ``runner``.

Every app-backed test runs twice: on a fresh SQLite file and on a fresh PostgreSQL schema
(``TOUCHPOINT_TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/test``; those
runs are skipped, saying why, when the server cannot be reached). The schema is always made
by the Alembic migrations. One real engine (``engine`` of ``tests/conftest.py``, model loaded
once) serves the whole session and is injected into each app.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from checker.settings import Settings
from web.db import session_factory
from web_support import DATABASE_KINDS, build_app, fresh_database, login, seed_data


@pytest.fixture(scope="session")
def engine_settings(settings: Settings) -> Settings:
    """The session's settings (``tests/conftest.py``: environment ignored, cache in a temp dir).
    The session's one real ``engine`` fixture comes from there too, so the model loads once."""
    return settings


@pytest.fixture(params=DATABASE_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def app(database_url: str, engine: Any, engine_settings: Settings) -> Iterator[Flask]:
    app = build_app(database_url, engine, engine_settings)
    yield app
    app.extensions["touchpoint_db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask):
    """A session on the app's database (closed after the test)."""
    with app.app_context(), session_factory(app)() as session:
        yield session


@pytest.fixture
def seed(app: Flask) -> dict[str, int]:
    return seed_data(app)


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str], FlaskClient]:
    """Log the test client in as one of the seeded users (logging out first)."""

    def _login(username: str) -> FlaskClient:
        client.post("/logout")
        login(client, username)
        return client

    return _login
