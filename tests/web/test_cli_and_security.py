"""Command-line tools (init-db, create-user, create-token, demo) and the safety basics:
login, session cookies, secret key, CSRF, error pages."""
from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from web import create_app
from web.models import Base, CheckRun, User
from web_support import LEAFLET_MD, PROTOCOL_MD, build_app, login, seed_data


def _table_counts(db) -> dict[str, int]:
    db.expire_all()
    return {table.name: db.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


# --- commands ---------------------------------------------------------------------------------

def test_init_db_can_run_twice(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "up to date" in result.output


def test_create_user_makes_a_user_who_can_log_in(runner, client, db):
    result = runner.invoke(args=["create-user", "dana", "--role", "department_lead", "--department", "Day Surgery",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "dana"))
    assert user.department.slug == "day-surgery" and user.password_hash != "a-long-password"
    login(client, "dana", "a-long-password")
    assert "Day Surgery" in client.get("/").get_data(as_text=True)


def test_create_user_asks_for_the_password_when_none_is_given(runner, db):
    result = runner.invoke(args=["create-user", "olu", "--role", "quality_officer"],
                           input="secret-enough\nsecret-enough\n")
    assert result.exit_code == 0, result.output
    assert db.scalar(select(User).where(User.username == "olu")).role == "quality_officer"


@pytest.mark.parametrize("args,message", [
    (["create-user", "x1", "--role", "department_lead", "--password", "long-enough"], "needs a department"),
    (["create-user", "x2", "--role", "admin", "--password", "short"], "at least 8"),
    (["create-user", "bad name!", "--role", "admin", "--password", "long-enough"], "Usernames"),
    (["create-user", "x3", "--role", "wizard", "--password", "long-enough"], "wizard"),
    (["create-token", "nobody"], "No user named"),
])
def test_commands_refuse_bad_input_with_a_message(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_create_user_refuses_a_taken_username(runner):
    args = ["create-user", "sam", "--role", "admin", "--password", "long-enough"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "taken" in again.output


@pytest.fixture
def example_tree(tmp_path: Path) -> tuple[Path, Path]:
    protocols = tmp_path / "protocols"
    documents = tmp_path / "documents"
    (documents / "day-surgery").mkdir(parents=True)
    (documents / "cardiology").mkdir(parents=True)
    protocols.mkdir()
    (protocols / "fasting.md").write_bytes(PROTOCOL_MD)
    (protocols / "README").write_text("not a protocol")
    (protocols / "README.md").write_text("# Protocols\n\nHow to write one: do not eat for 2 hours.\n")
    (documents / "day-surgery" / "leaflet.md").write_bytes(LEAFLET_MD)
    (documents / "cardiology" / "leaflet.md").write_bytes(LEAFLET_MD.replace(b"4 hours", b"3 hours"))
    (documents / "cardiology" / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    return protocols, documents


def test_the_demo_loads_checks_and_creates_users_and_a_second_run_duplicates_nothing(runner, client, db,
                                                                                       example_tree):
    protocols, documents = example_tree
    args = ["demo", "--protocols", str(protocols), "--documents", str(documents)]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "admin-demo" in first.output and "officer-demo" in first.output and "lead-demo" in first.output
    assert "broken.docx" in first.output
    counts = _table_counts(db)
    assert counts["protocols"] == 1 and counts["documents"] == 2 and counts["users"] == 3
    assert counts["check_runs"] == 1 and counts["findings"] >= 2
    second = runner.invoke(args=args)
    assert second.exit_code == 0, second.output
    assert "Nothing changed" in second.output
    assert _table_counts(db) == counts
    login(client, "lead", "lead-demo")
    lead = db.scalar(select(User).where(User.username == "lead"))
    assert lead.department.slug == "cardiology"
    run = db.scalar(select(CheckRun))
    assert any("broken.docx" in path for path in run.errors)


def test_the_demo_works_without_example_folders(runner, tmp_path):
    result = runner.invoke(args=["demo", "--protocols", str(tmp_path / "none"), "--documents", str(tmp_path / "no")])
    assert result.exit_code == 0, result.output
    assert "lead-demo" in result.output


# --- login, sessions, keys --------------------------------------------------------------------

def test_a_wrong_password_or_an_inactive_user_cannot_log_in(client, seed, db):
    assert client.post("/login", data={"username": "lead", "password": "wrong"}).status_code == 401
    assert client.post("/login", data={"username": "ghost", "password": "wrong"}).status_code == 401
    db.get(User, seed["lead"]).active = False
    db.commit()
    assert client.post("/login", data={"username": "lead", "password": "correct-horse-1"}).status_code == 401


def test_a_deactivated_user_loses_their_session(client, seed, db):
    login(client, "lead")
    assert client.get("/").status_code == 200
    db.get(User, seed["lead"]).active = False
    db.commit()
    assert client.get("/").status_code == 302


def test_login_only_redirects_to_local_pages(client, seed):
    response = client.post("/login?next=https://evil.example/", data={"username": "lead", "password": "correct-horse-1"})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/findings", data={"username": "lead", "password": "correct-horse-1"})
    assert response.headers["Location"] == "/findings"


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_http_only_and_same_site_lax_and_secure_when_configured(
        database_url, engine, engine_settings, secure):
    app = build_app(database_url, engine, engine_settings.replace(session_cookie_secure=secure))
    seed_data(app)
    response = app.test_client().post("/login", data={"username": "lead", "password": "correct-horse-1"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) == secure
    app.extensions["touchpoint_db"].dispose()


def test_a_secret_key_is_generated_once_and_kept_private_in_the_instance_folder(tmp_path, engine_settings):
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "INSTANCE_PATH": str(tmp_path / "instance"),
              "TOUCHPOINT_SETTINGS": engine_settings.replace(secret_key="")}
    first = create_app(dict(config)).config["SECRET_KEY"]
    second = create_app(dict(config)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_forms_without_a_csrf_token_are_refused(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings, WTF_CSRF_ENABLED=True)
    seed_data(app)
    client = app.test_client()
    response = client.post("/login", data={"username": "lead", "password": "correct-horse-1"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    ok = client.post("/login", data={"username": "lead", "password": "correct-horse-1", "csrf_token": token})
    assert ok.status_code == 302
    assert client.post("/runs").status_code == 400
    app.extensions["touchpoint_db"].dispose()


# --- error pages ------------------------------------------------------------------------------

def test_unknown_pages_get_our_404_page(client, seed, login_as):
    login_as("lead")
    for url in ("/nowhere", "/documents/999999", "/findings/424242", "/protocols/31337", "/documents/999/versions/1/download"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Back to the dashboard" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_our_500_page_without_details(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body and "secret internals" not in body
    app.extensions["touchpoint_db"].dispose()


def test_a_database_without_tables_gets_a_page_saying_how_to_set_it_up(tmp_path, engine_settings):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "SECRET_KEY": "k", "WTF_CSRF_ENABLED": False,
                      "TOUCHPOINT_SETTINGS": engine_settings})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 500
    assert "flask --app web init-db" in response.get_data(as_text=True)


def test_an_admin_cannot_demote_or_deactivate_themselves(client, seed, login_as, db):
    login_as("admin")
    response = client.post(f"/admin/users/{seed['admin']}", data={"role": "quality_officer", "display_name": "A"})
    assert response.status_code == 302
    db.expire_all()
    admin = db.get(User, seed["admin"])
    assert admin.role == "admin" and admin.active


def test_pages_forbid_scripts_frames_and_sniffing(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_an_error_before_the_user_is_loaded_still_shows_their_navigation(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings.replace(upload_max_bytes=2048), WTF_CSRF_ENABLED=True)
    seed_data(app)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "officer", "password": "correct-horse-1", "csrf_token": token})
    refused = client.post("/runs")  # no CSRF token: refused before the user is loaded
    assert refused.status_code == 400
    assert "Officer" in refused.get_data(as_text=True)
    too_big = client.post("/documents/upload", data={"file": (io.BytesIO(b"x" * 4096), "big.md")},
                          content_type="multipart/form-data")
    assert too_big.status_code == 413
    assert "Officer" in too_big.get_data(as_text=True)
    app.extensions["touchpoint_db"].dispose()


def test_the_database_pool_size_is_a_setting(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings.replace(db_pool_size=12, db_max_overflow=3))
    pool = app.extensions["touchpoint_db"].pool
    if database_url.startswith("postgresql"):
        assert pool.size() == 12
    app.extensions["touchpoint_db"].dispose()
