"""Helpers and sample files for the web tests (used by conftest and the test modules)."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from checker.settings import Settings
from web import create_app
from web.accounts import create_user, get_or_create_department
from web.db import resolve_database_url, session_factory, upgrade
from web.digest_settings import load_digest_settings
from web.queue_settings import load_queue_settings
from web.library import add_protocol_version

POSTGRES_URL = resolve_database_url(
    os.environ.get("TOUCHPOINT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"), Path.cwd())
DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
PASSWORD = "correct-horse-1"

PROTOCOL_MD = b"""# Fasting before day surgery

## Food

- Do not eat any food for 6 hours before your arrival time.
- You may drink clear fluids until 2 hours before your arrival time.

## Going home

- An adult must take you home and stay with you for the first 24 hours.
"""

LEAFLET_MD = b"""# Your day surgery

## Before you come in

- Do not eat any food for 4 hours before your arrival time.
- Bring a list of your usual medicines with you.
- You may drink clear fluids until 2 hours before your arrival time.
"""

# --- databases and apps -----------------------------------------------------------------------

_postgres_state: dict[str, str | None] = {}


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per session."""
    if "reason" not in _postgres_state:
        try:
            probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with probe.connect() as connection:
                connection.execute(text("SELECT 1"))
            probe.dispose()
            _postgres_state["reason"] = None
        except Exception as error:  # noqa: BLE001 - any failure means "skip, and say why"
            _postgres_state["reason"] = f"PostgreSQL at {POSTGRES_URL} is unreachable: {type(error).__name__}: {error}"
    return _postgres_state["reason"]


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database: a new SQLite file in ``folder``, or a new PostgreSQL schema that is
    dropped afterwards. Skips the test (saying why) when PostgreSQL is unreachable."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'touchpoint.sqlite3'}"
        return
    reason = postgres_unreachable()
    if reason and os.environ.get("TOUCHPOINT_REQUIRE_POSTGRES"):
        pytest.fail(f"{reason} (TOUCHPOINT_REQUIRE_POSTGRES is set, as in CI)")
    if reason:
        pytest.skip(reason)
    schema = f"tp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:  # a leaked session must fail the run, not hang it
            connection.execute(text("SET lock_timeout = '20s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build_app(database_url: str, engine: Any, settings: Settings, **config: Any) -> Flask:
    """An app on ``database_url`` with the schema migrated and ``engine`` injected; the digest's
    settings are the defaults (the environment ignored) unless ``TOUCHPOINT_DIGEST_SETTINGS`` is given;
    the queue is immediate (a check runs inside the request that queues it) unless
    ``TOUCHPOINT_QUEUE_SETTINGS`` is given."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "WTF_CSRF_ENABLED": False, "TOUCHPOINT_SETTINGS": settings,
                      "TOUCHPOINT_DIGEST_SETTINGS": load_digest_settings(environ={}),
                      "TOUCHPOINT_QUEUE_SETTINGS": load_queue_settings(environ={}, queue_url="immediate"), **config})
    app.extensions["touchpoint_engine"] = engine
    upgrade(app)
    return app


def seed_data(app: Flask) -> dict[str, int]:
    """Departments surgery and cardiology, protocol fasting.md, and a user per role (password
    PASSWORD): admin, officer, lead (surgery), cardio (lead of cardiology). Returns ids by name."""
    with app.app_context():
        session = session_factory(app)()
        try:
            return _seed(session, app.extensions["touchpoint_engine"])
        finally:
            session.close()


def _seed(session, engine: Any) -> dict[str, int]:
    surgery = get_or_create_department(session, "Surgery")
    cardiology = get_or_create_department(session, "Cardiology")
    users = {name: create_user(session, name, PASSWORD, role, department, name.title())
             for name, role, department in (("admin", "admin", None), ("officer", "quality_officer", None),
                                            ("lead", "department_lead", surgery),
                                            ("cardio", "department_lead", cardiology))}
    version, _ = add_protocol_version(session, engine, "fasting.md", PROTOCOL_MD, None)
    session.commit()
    ids = {name: user.id for name, user in users.items()}
    ids.update(surgery=surgery.id, cardiology=cardiology.id, protocol=version.protocol_id)
    return ids


# --- requests ---------------------------------------------------------------------------------

def login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed"


def upload(client: FlaskClient, department_id: int, filename: str, data: bytes, **extra: Any):
    return client.post("/documents/upload", content_type="multipart/form-data",
                       data={"department": str(department_id), "file": (BytesIO(data), filename), **extra})


def new_version(client: FlaskClient, document_id: int, filename: str, data: bytes):
    return client.post(f"/documents/{document_id}/versions", content_type="multipart/form-data",
                       data={"file": (BytesIO(data), filename)})


def document_id_from(response) -> int:
    """The document id a successful upload redirected to."""
    location = response.headers["Location"]
    return int(location.rstrip("/").rsplit("/", 1)[-1])


# --- sample files in every accepted format ----------------------------------------------------

LEAFLET_LINES = ("Do not eat any food for 4 hours before your arrival time.",
                 "Bring a list of your usual medicines with you.",
                 "You may drink clear fluids until 2 hours before your arrival time.")


def leaflet_txt() -> bytes:
    return ("YOUR DAY SURGERY\n\n" + "\n\n".join(LEAFLET_LINES) + "\n").encode()


def leaflet_html() -> bytes:
    items = "".join(f"<li>{line}</li>" for line in LEAFLET_LINES)
    return f"<!doctype html><html><body><h1>Your day surgery</h1><ul>{items}</ul></body></html>".encode()


def leaflet_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Your day surgery", level=1)
    for line in LEAFLET_LINES:
        document.add_paragraph(line)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def leaflet_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 780, "Your day surgery")
    page.setFont("Helvetica", 11)
    for index, line in enumerate(LEAFLET_LINES):
        page.drawString(72, 740 - 28 * index, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


LEAFLETS = {"md": lambda: LEAFLET_MD, "txt": leaflet_txt, "html": leaflet_html, "docx": leaflet_docx,
            "pdf": leaflet_pdf}
