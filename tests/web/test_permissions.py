"""Who may use which route: every route against every role (and nobody logged in).

One app per database kind serves the whole module (the requests are independent enough);
a finding on the surgery leaflet is inserted directly, so the matrix does not depend on
what the engine finds.
"""
from __future__ import annotations

import uuid
from io import BytesIO
from typing import Any, Iterator

import pytest
from flask import Flask

from web.db import session_factory
from web.models import CheckRun, Finding
from web_support import (DATABASE_KINDS, LEAFLET_MD, build_app, document_id_from, fresh_database, login, seed_data,
                         upload)

ROLES = ("anonymous", "admin", "officer", "lead", "cardio")
EVERYONE = {"admin", "officer", "lead", "cardio"}
STAFF = {"admin", "officer"}
SURGERY_VIEWERS = {"admin", "officer", "lead"}
SURGERY_UPLOADERS = {"admin", "lead"}
UPLOADERS = {"admin", "lead", "cardio"}

NOTE = b"# Note\n\nPlease bring your glasses and a book to read while you wait for the clinic.\n"


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def world(request: pytest.FixtureRequest, tmp_path_factory, engine, engine_settings) -> Iterator[dict[str, Any]]:
    """A seeded app with a surgery leaflet (one finding), a cardiology document and a run."""
    with fresh_database(request.param, tmp_path_factory.mktemp("matrix")) as url:
        app = build_app(url, engine, engine_settings)
        ids = seed_data(app)
        client = app.test_client()
        login(client, "lead")
        ids["surgery_doc"] = document_id_from(upload(client, ids["surgery"], "leaflet.md", LEAFLET_MD))
        login(client, "cardio")
        ids["cardio_doc"] = document_id_from(upload(client, ids["cardiology"], "note.md", NOTE))
        ids.update(_finding_and_run(app, ids))
        yield {"app": app, "ids": ids}
        app.extensions["touchpoint_db"].dispose()


def _finding_and_run(app: Flask, ids: dict[str, int]) -> dict[str, int]:
    with app.app_context(), session_factory(app)() as session:
        run_id = session.query(CheckRun.id).order_by(CheckRun.id).first()[0]
        finding = Finding(fingerprint="matrix-" + uuid.uuid4().hex, kind="quantity", severity="high", score=0.9,
                          explanation="4 hours vs 6 hours", document_id=ids["surgery_doc"], statement_text="x",
                          statement_key="k", statement_start=0, statement_end=1, source_role="protocol",
                          source_path="protocols/fasting.md", source_protocol_id=ids["protocol"], source_text="y",
                          source_start=0, source_end=1, status="open", first_seen_run_id=run_id,
                          last_seen_run_id=run_id)
        session.add(finding)
        session.commit()
        result = {"finding": finding.id, "run": run_id}
        return result


def _file(name: str = "extra.md") -> dict[str, Any]:
    return {"file": (BytesIO(NOTE.replace(b"book", uuid.uuid4().hex.encode())), name)}


# (method, url template, form data factory, roles allowed)
ROUTES: list[tuple[str, str, Any, set[str]]] = [
    ("GET", "/", None, EVERYONE),
    ("GET", "/profile", None, EVERYONE),
    ("POST", "/profile/token", lambda ids: {}, EVERYONE),
    ("POST", "/profile/email", lambda ids: {"email": "", "wants_digest": "on"}, EVERYONE),
    ("GET", "/documents", None, EVERYONE),
    ("GET", "/documents/upload", None, UPLOADERS),
    ("POST", "/documents/upload", lambda ids: {"department": str(ids["surgery"]), **_file(f"{uuid.uuid4().hex}.md")},
     SURGERY_UPLOADERS),
    ("GET", "/documents/{surgery_doc}", None, SURGERY_VIEWERS),
    ("GET", "/documents/{cardio_doc}", None, {"admin", "officer", "cardio"}),
    ("POST", "/documents/{surgery_doc}/versions", lambda ids: _file("leaflet.md"), SURGERY_UPLOADERS),
    ("GET", "/documents/{surgery_doc}/versions/1/download", None, SURGERY_VIEWERS),
    ("GET", "/findings", None, EVERYONE),
    ("GET", "/findings/export.csv", None, EVERYONE),
    ("GET", "/findings/export.json", None, EVERYONE),
    ("GET", "/findings/{finding}", None, SURGERY_VIEWERS),
    ("POST", "/findings/{finding}/confirm", lambda ids: {}, STAFF),
    ("POST", "/findings/{finding}/dismiss", lambda ids: {"reason": "not applicable"}, STAFF),
    ("POST", "/findings/{finding}/resolve", lambda ids: {}, STAFF),
    ("POST", "/findings/{finding}/reopen", lambda ids: {}, STAFF),
    ("POST", "/findings/{finding}/assign", lambda ids: {"assignee": ""}, STAFF),
    ("POST", "/findings/bulk", lambda ids: {"action": "confirm", "ids": str(ids["finding"])}, STAFF),
    ("POST", "/findings/{finding}/comments", lambda ids: {"body": "looked at it"}, SURGERY_VIEWERS),
    ("GET", "/protocols", None, EVERYONE),
    ("GET", "/protocols/{protocol}", None, EVERYONE),
    ("GET", "/protocols/{protocol}/versions/1/download", None, EVERYONE),
    ("GET", "/protocols/upload", None, STAFF),
    ("POST", "/protocols/upload", lambda ids: _file(f"{uuid.uuid4().hex}.md"), STAFF),
    ("POST", "/protocols/{protocol}/versions", lambda ids: _file("fasting.md"), STAFF),
    ("POST", "/protocols/{protocol}/restore", lambda ids: {}, STAFF),
    ("POST", "/documents/{surgery_doc}/restore", lambda ids: {}, SURGERY_UPLOADERS),
    ("POST", "/admin/departments/{surgery}/restore", lambda ids: {}, {"admin"}),
    ("GET", "/trends", None, EVERYONE),
    ("GET", "/help", None, EVERYONE),
    ("GET", "/trends.csv", None, EVERYONE),
    ("GET", "/runs", None, STAFF),
    ("GET", "/runs/{run}", None, STAFF),
    ("POST", "/runs", lambda ids: {}, STAFF),
    ("GET", "/admin/users", None, {"admin"}),
    ("POST", "/admin/users", lambda ids: {"username": "u" + uuid.uuid4().hex[:8], "password": "long-enough-1",
                                          "role": "quality_officer"}, {"admin"}),
    ("POST", "/admin/users/{cardio}", lambda ids: {"role": "department_lead", "department": str(ids["cardiology"]),
                                                   "display_name": "Cardio", "active": "on"}, {"admin"}),
    ("GET", "/admin/departments", None, {"admin"}),
    ("GET", "/admin/audit?action=upload_document", None, {"admin"}),
    ("POST", "/admin/departments", lambda ids: {"name": "Dept " + uuid.uuid4().hex[:6]}, {"admin"}),
    ("GET", "/api/findings", None, EVERYONE),
    ("GET", "/api/findings/{finding}", None, SURGERY_VIEWERS),
    ("POST", "/api/documents", lambda ids: {"department": "surgery", **_file(f"{uuid.uuid4().hex}.md")},
     SURGERY_UPLOADERS),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,template,form,allowed", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_each_route_admits_exactly_the_roles_allowed_to_use_it(world, method, template, form, allowed, role):
    app, ids = world["app"], world["ids"]
    client = app.test_client()
    if role != "anonymous":
        login(client, role)
    url = template.format(**ids)
    kwargs = {"data": form(ids), "content_type": "multipart/form-data"} if form else {}
    response = client.open(url, method=method, **kwargs)
    if role == "anonymous":
        expected = 401 if url.startswith("/api/") else 302
        assert response.status_code == expected
        if expected == 302:
            assert "/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 201, 302, 303), response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 403
    if url.startswith("/api/"):
        assert response.is_json


@pytest.mark.parametrize("role,visible", [("lead", {"surgery"}), ("cardio", {"cardiology"}),
                                          ("officer", {"surgery", "cardiology"})])
def test_lists_show_only_the_departments_a_user_may_see(world, role, visible):
    client = world["app"].test_client()
    login(client, role)
    documents = client.get("/documents").get_data(as_text=True)
    assert ("leaflet.md" in documents) == ("surgery" in visible)
    assert ("note.md" in documents) == ("cardiology" in visible)
    api = client.get("/api/findings").get_json()
    assert {f["department"] for f in api["findings"]} <= visible
