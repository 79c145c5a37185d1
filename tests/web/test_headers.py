"""Security headers on every page; nothing with findings or documents in it may be cached."""
from __future__ import annotations

from web_support import build_app, login, seed_data


def test_every_page_carries_the_security_headers(client, seed):
    for response in (client.get("/login"), client.get("/nowhere")):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers


def test_exports_and_the_api_are_never_cached(client, seed):
    login(client, "officer")
    for url in ("/findings/export.csv", "/findings/export.json", "/api/findings"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    client.post("/logout")
    assert client.get("/api/findings").headers["Cache-Control"] == "no-store"


def test_the_csv_export_names_its_charset_once(client, seed):
    login(client, "officer")
    response = client.get("/findings/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_an_https_deployment_sends_hsts(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings.replace(session_cookie_secure=True))
    seed_data(app)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    app.extensions["touchpoint_db"].dispose()
