"""Logging in and out: safe redirects after login, sessions that end on logout and on a password change."""
from __future__ import annotations

import pytest

from web.models import AuditEntry, User
from web_support import PASSWORD, login

COOKIE = "touchpoint_session"

# The usual ways out of a site through a "next" parameter; each must land on our dashboard.
OPEN_REDIRECTS = [
    "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example", "%2F%2Fevil.example", "/%5Cevil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " /evil", "http:/evil.example", "/ /evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_off_the_site(client, seed, target):
    response = client.post(f"/login?next={target}", data={"username": "lead", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/findings", "/findings?status=open&kind=numeric", "/documents/3"])
def test_login_returns_to_the_page_asked_for(client, seed, target):
    response = client.post("/login", query_string={"next": target}, data={"username": "lead", "password": PASSWORD})
    assert response.headers["Location"] == target


def _replay(client, cookie: str):
    client.set_cookie(COOKIE, cookie)
    return client.get("/")


def test_a_session_cookie_copied_before_logout_no_longer_works(client, seed):
    login(client, "lead")
    stolen = client.get_cookie(COOKIE).value
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert _replay(client, stolen).status_code == 302


def test_logging_out_ends_the_users_sessions_on_other_browsers_too(app, seed):
    first, second = app.test_client(), app.test_client()
    login(first, "lead")
    login(second, "lead")
    first.post("/logout")
    assert second.get("/").status_code == 302


def test_an_admin_changing_a_password_ends_that_users_sessions(app, seed, db):
    lead, admin = app.test_client(), app.test_client()
    login(lead, "lead")
    login(admin, "admin")
    response = admin.post(f"/admin/users/{seed['lead']}", data={
        "role": "department_lead", "department": "surgery", "active": "on", "display_name": "Lead",
        "password": "a-brand-new-password"})
    assert response.status_code == 302
    assert lead.get("/").status_code == 302
    login(lead, "lead", "a-brand-new-password")
    assert lead.get("/").status_code == 200


def test_changing_your_own_password_keeps_this_browser_and_ends_the_others(app, seed, db):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "officer")
    login(elsewhere, "officer")
    response = here.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "another-long-one", "confirm_password": "another-long-one"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    here.post("/logout")
    assert here.post("/login", data={"username": "officer", "password": PASSWORD}).status_code == 401
    login(here, "officer", "another-long-one")
    actions = [entry.action for entry in db.query(AuditEntry).filter_by(user_id=seed["officer"])]
    assert "change_password" in actions


@pytest.mark.parametrize("form, message", [
    ({"current_password": "wrong-password", "new_password": "another-long-one", "confirm_password": "another-long-one"},
     "current password is not right"),
    ({"current_password": PASSWORD, "new_password": "another-long-one", "confirm_password": "another-long-two"},
     "confirmation differ"),
    ({"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"}, "at least 8"),
    ({"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD}, "must differ"),
])
def test_a_refused_password_change_says_why_and_changes_nothing(client, seed, db, form, message):
    login(client, "officer")
    before = db.get(User, seed["officer"]).password_hash
    response = client.post("/profile/password", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, seed["officer"]).password_hash == before
    assert client.get("/").status_code == 200


def test_the_profile_page_labels_every_password_input(client, seed):
    login(client, "lead")
    page = client.get("/profile").get_data(as_text=True)
    for name in ("current_password", "new_password", "confirm_password"):
        assert f'name="{name}"' in page
    assert page.count("<label>") >= 3


def test_an_admin_is_told_when_their_own_demotion_is_refused(client, seed, db):
    login(client, "admin")
    response = client.post(f"/admin/users/{seed['admin']}", data={"role": "quality_officer", "display_name": "Admin"},
                           follow_redirects=True)
    assert "not your own role or access" in response.get_data(as_text=True)
    db.expire_all()
    admin = db.get(User, seed["admin"])
    assert admin.role == "admin" and admin.active


def _try(client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_ten_wrong_passwords_lock_the_account_out_even_with_the_right_one(client, seed):
    for attempt in range(10):
        assert _try(client, "officer", f"wrong-{attempt}", address=f"203.0.113.{attempt}").status_code == 401
    locked = _try(client, "officer", "correct-horse-1", address="203.0.113.99")
    assert locked.status_code == 429 and "Too many failed logins" in locked.get_data(as_text=True)
    assert _try(client, "admin", "correct-horse-1", address="203.0.113.99").status_code == 302  # other accounts


def test_ten_failures_from_one_address_lock_that_address_out(client, seed):
    for attempt in range(10):
        _try(client, f"nobody-{attempt}", "guess")
    assert _try(client, "lead", "correct-horse-1").status_code == 429
    assert _try(client, "lead", "correct-horse-1", address="192.0.2.1").status_code == 302


def test_a_successful_login_clears_the_accounts_failures(client, seed):
    for attempt in range(9):
        _try(client, "officer", "wrong", address=f"203.0.113.{attempt}")
    assert _try(client, "officer", "correct-horse-1", address="192.0.2.2").status_code == 302
    for attempt in range(9):
        _try(client, "officer", "wrong", address=f"203.0.114.{attempt}")
    assert _try(client, "officer", "correct-horse-1", address="192.0.2.3").status_code == 302
