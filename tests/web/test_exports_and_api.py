"""Finding exports (CSV, JSON) with filters, and the JSON API with token auth and JSON errors."""
from __future__ import annotations

import csv
import io
import json
from io import BytesIO

import pytest
from sqlalchemy import select

from web.models import Finding
from web_support import LEAFLET_MD, build_app, document_id_from, login, seed_data, upload


@pytest.fixture
def two_departments(client, seed, login_as, db) -> dict[str, int]:
    """A conflicting leaflet in surgery (its finding dismissed) and one in cardiology."""
    login_as("lead")
    surgery_doc = document_id_from(upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD))
    login_as("cardio")
    cardio_doc = document_id_from(upload(client, seed["cardiology"], "cardio-leaflet.md", LEAFLET_MD))
    surgery_finding = db.scalars(select(Finding).where(Finding.document_id == surgery_doc)).first()
    assert surgery_finding is not None
    login_as("officer")
    client.post(f"/findings/{surgery_finding.id}/dismiss", data={"reason": "=HYPERLINK(\"x\") is fine"})
    return {**seed, "surgery_doc": surgery_doc, "cardio_doc": cardio_doc, "finding": surgery_finding.id}


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_export_applies_the_filters_and_defuses_formulas(client, two_departments):
    rows = _csv(client.get("/findings/export.csv?status=dismissed"))
    assert rows and {r["status"] for r in rows} == {"dismissed"}
    assert {r["department"] for r in rows} == {"surgery"}
    assert rows[0]["status_reason"].startswith("'=")
    everything = _csv(client.get("/findings/export.csv"))
    assert {r["department"] for r in everything} == {"surgery", "cardiology"}


def test_the_json_export_applies_the_department_filter(client, two_departments):
    response = client.get("/findings/export.json?department=cardiology")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["count"] == len(data["findings"]) > 0
    assert {f["department"] for f in data["findings"]} == {"cardiology"}
    assert {"fingerprint", "statement_highlights", "source_highlights", "status"} <= set(data["findings"][0])


def test_the_exports_carry_the_comments_and_the_assignment(client, two_departments):
    finding = two_departments["finding"]
    client.post(f"/findings/{finding}/comments", data={"body": "Checked with the anaesthetist, -ok"})
    rows = {r["id"]: r for r in _csv(client.get("/findings/export.csv"))}
    assert rows[str(finding)]["comments"] == "Officer: Checked with the anaesthetist, -ok"
    assert rows[str(finding)]["assignee"] == ""
    data = json.loads(client.get("/findings/export.json").get_data(as_text=True))
    exported = next(f for f in data["findings"] if f["id"] == finding)
    assert [c["text"] for c in exported["comments"]] == ["Checked with the anaesthetist, -ok"]


def test_a_lead_exports_only_their_own_departments_findings(client, two_departments, login_as):
    login_as("cardio")
    rows = _csv(client.get("/findings/export.csv"))
    assert rows and {r["department"] for r in rows} == {"cardiology"}
    assert _csv(client.get("/findings/export.csv?department=surgery")) == []


def test_the_findings_page_filters_sorts_and_paginates(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings.replace(page_size=1))
    seed = seed_data(app)
    client = app.test_client()
    login(client, "lead")
    upload(client, seed["surgery"], "leaflet.md", LEAFLET_MD)
    upload(client, seed["surgery"], "other.md", LEAFLET_MD.replace(b"4 hours", b"3 hours"))
    login(client, "officer")
    first = client.get("/findings?sort=score&order=desc").get_data(as_text=True)
    assert "Page 1 of" in first and "Next" in first
    assert "Page 2 of" in client.get("/findings?sort=score&page=2").get_data(as_text=True)
    assert "No findings match" in client.get("/findings?status=dismissed").get_data(as_text=True)
    for junk in ("?page=abc", "?protocol=x", "?sort=DROP", "?status=nope&order=sideways", "?page=99999999999"):
        assert client.get("/findings" + junk).status_code == 200
    app.extensions["touchpoint_db"].dispose()


# --- the API ----------------------------------------------------------------------------------

def _token(runner, username: str) -> str:
    result = runner.invoke(args=["create-token", username])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_the_api_lists_findings_for_a_bearer_token(client, runner, two_departments):
    client.post("/logout")
    token = _token(runner, "cardio")
    response = client.get("/api/findings?per_page=1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["per_page"] == 1 and body["total"] >= 1 and len(body["findings"]) == 1
    assert {f["department"] for f in body["findings"]} == {"cardiology"}
    one = client.get(f"/api/findings/{body['findings'][0]['id']}", headers={"Authorization": f"Bearer {token}"})
    assert one.get_json()["id"] == body["findings"][0]["id"]


@pytest.mark.parametrize("headers,status", [({}, 401), ({"Authorization": "Bearer nonsense"}, 401),
                                            ({"Authorization": "Basic abc"}, 401)])
def test_api_calls_without_valid_credentials_get_a_json_401(client, seed, headers, status):
    response = client.get("/api/findings", headers=headers)
    assert response.status_code == status
    assert response.is_json and response.get_json()["status"] == status


def test_api_errors_are_json_not_html(client, runner, two_departments):
    client.post("/logout")
    cardio = {"Authorization": f"Bearer {_token(runner, 'cardio')}"}
    assert client.get("/api/findings/999999", headers=cardio).get_json()["status"] == 404
    forbidden = client.get(f"/api/findings/{two_departments['finding']}", headers=cardio)
    assert forbidden.status_code == 403 and forbidden.is_json
    officer = {"Authorization": f"Bearer {_token(runner, 'officer')}"}
    refused = client.post("/api/documents", headers=officer, data={"department": "surgery"})
    assert refused.status_code == 403 and refused.is_json
    assert client.get("/api/nothing-here", headers=cardio).get_json()["status"] == 404
    assert client.get("/api/documents", headers=cardio).status_code == 405


def test_the_api_uploads_a_document_with_a_token_without_csrf(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings, WTF_CSRF_ENABLED=True)
    seed_data(app)
    token = _token(app.test_cli_runner(), "lead")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/documents", headers=headers, content_type="multipart/form-data",
                          data={"department": "surgery", "file": (BytesIO(LEAFLET_MD), "leaflet.md")})
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["version"] == 1 and body["run"]["status"] == "succeeded" and body["run"]["findings_new"] >= 1
    bad = client.post("/api/documents", headers=headers, content_type="multipart/form-data",
                      data={"department": "surgery", "file": (BytesIO(b"PK\x03\x04junk"), "x.docx")})
    assert bad.status_code == 400 and "not a valid .docx" in bad.get_json()["message"]
    other = client.post("/api/documents", headers=headers, content_type="multipart/form-data",
                        data={"department": "cardiology", "file": (BytesIO(LEAFLET_MD), "leaflet.md")})
    assert other.status_code == 403 and other.is_json
    missing = client.post("/api/documents", headers=headers, data={"department": "surgery"})
    assert missing.status_code == 400 and missing.is_json
    app.extensions["touchpoint_db"].dispose()


def test_session_authenticated_api_posts_still_need_a_csrf_token(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings, WTF_CSRF_ENABLED=True)
    seed_data(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf_token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "lead", "password": "correct-horse-1", "csrf_token": csrf_token})
    response = client.post("/api/documents", content_type="multipart/form-data",
                           data={"department": "surgery", "file": (BytesIO(LEAFLET_MD), "leaflet.md")})
    assert response.status_code == 400 and response.is_json
    app.extensions["touchpoint_db"].dispose()


def test_an_api_upload_over_the_limit_is_a_json_413(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings.replace(upload_max_bytes=2048))
    seed_data(app)
    token = _token(app.test_cli_runner(), "lead")
    response = app.test_client().post("/api/documents", headers={"Authorization": f"Bearer {token}"},
                                      content_type="multipart/form-data",
                                      data={"department": "surgery", "file": (BytesIO(b"x. " * 3000), "big.txt")})
    assert response.status_code == 413 and response.is_json
    app.extensions["touchpoint_db"].dispose()
