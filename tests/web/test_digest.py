"""The e-mail digest: what each user is told, that it goes once, and what happens when it cannot.

Every test that sends starts a real SMTP server (aiosmtpd's ``Controller`` on 127.0.0.1, a free
port) and reads what it received. Findings are inserted directly, so what the engine finds does
not matter; the documents they are on belong to the seeded departments (surgery, cardiology).
"""
from __future__ import annotations

import socket
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import inspect, select

from checker.settings import SettingsError
from web import create_app
from web.db import downgrade, session_factory, upgrade
from web.digest import MAX_LISTED, link_builder, send_digests
from web.digest_settings import DigestSettings, load_digest_settings
from web.models import AuditEntry, Document, Finding, User, utcnow
from web_support import build_app, login, seed_data

BASE_URL = "https://touchpoint.example.org/tp"
SENDER = "touchpoint@example.org"
LEAD, OFFICER, CARDIO = "lead@example.org", "officer@example.org", "cardio@example.org"


# --- a local SMTP server ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the test server received; addresses in ``refuse`` are refused at RCPT TO."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]

    def recipients(self) -> list[str]:
        return sorted(address for _, addresses in self.envelopes for address in addresses)


@contextmanager
def smtp_server(**options: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    inbox.port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    with smtp_server() as inbox:
        yield inbox


def digest_settings(port: int, **changes: Any) -> DigestSettings:
    values = dict(digest_enabled=True, base_url=BASE_URL, mail_from=SENDER, smtp_host="127.0.0.1", smtp_port=port,
                  smtp_timeout_seconds=10)
    return load_digest_settings(environ={}, **{**values, **changes})


@pytest.fixture
def app(database_url, engine, engine_settings, smtp):
    """The conftest's app, with the digest on and sending to ``smtp``."""
    app = build_app(database_url, engine, engine_settings, TOUCHPOINT_DIGEST_SETTINGS=digest_settings(smtp.port))
    yield app
    app.extensions["touchpoint_db"].dispose()


# --- the world: two documents, addresses for the lead and the officer ---------------------------

@pytest.fixture
def world(db, seed) -> dict[str, int]:
    surgery = Document(department_id=seed["surgery"], title="Day surgery leaflet", filename="day.md")
    cardiology = Document(department_id=seed["cardiology"], title="Heart clinic sheet", filename="heart.md")
    db.add_all([surgery, cardiology])
    db.commit()
    _address(db, lead=LEAD, officer=OFFICER)
    return {**seed, "surgery_doc": surgery.id, "cardio_doc": cardiology.id}


def _address(db, **addresses: str | None) -> None:
    for username, address in addresses.items():
        db.scalar(select(User).where(User.username == username)).email = address
    db.commit()


def _finding(db, document_id: int, why: str, **values: Any) -> int:
    row = dict(fingerprint="digest-" + uuid.uuid4().hex, kind="numeric", severity="high", score=0.9,
               explanation=why, document_id=document_id, statement_text="x", statement_key="k", statement_start=0,
               statement_end=1, source_role="protocol", source_path="protocols/fasting.md", source_text="y",
               source_start=0, source_end=1, status="open")
    finding = Finding(**{**row, **values})
    db.add(finding)
    db.commit()
    return finding.id


def _text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # as sent: CRLF


def _html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _user(db, username: str) -> User:
    db.expire_all()
    return db.scalar(select(User).where(User.username == username))


def _invoke(other, *args: str):
    """``send-digest`` on another app than the fixture's (whose app context the ``db`` fixture holds,
    and which Flask's commands would otherwise use)."""
    with other.app_context():
        return other.test_cli_runner().invoke(args=list(args))


def _audit(db, action: str, user_id: int) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.target_id == user_id)))


# --- what is sent -------------------------------------------------------------------------------

def test_each_user_with_an_address_gets_their_findings_with_links_and_a_rerun_sends_nothing(runner, db, world,
                                                                                              smtp):
    finding = _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert smtp.recipients() == [LEAD, OFFICER]
    assert all(sender == SENDER for sender, _ in smtp.envelopes)
    [message] = smtp.to(LEAD)
    assert message["Subject"] == "Touchpoint digest: 1 new"
    assert message["From"] == SENDER and message["Auto-Submitted"] == "auto-generated"
    text = _text(message)
    assert "Hello Lead," in text
    assert "New for Surgery in the last 7 days (1)" in text  # the first digest
    assert "- [numeric] Day surgery leaflet (Surgery): 4 hours vs 6 hours" in text
    assert f"  {BASE_URL}/findings/{finding}\n" in text
    assert f"profile page: {BASE_URL}/profile" in text
    assert f'<a href="{BASE_URL}/findings/{finding}">Day surgery leaflet (Surgery)</a>' in _html(message)
    assert "sent to lead <lead@example.org>: 1 new" in result.output and "Digest: 2 sent" in result.output
    assert _user(db, "lead").digest_sent_at is not None
    assert "to lead@example.org: 1 new" in _audit(db, "send_digest", world["lead"])[0].detail

    again = runner.invoke(args=["send-digest"])
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 2
    assert "Digest: 0 sent" in again.output and "2 had one less than the interval ago" in again.output


def test_the_next_digest_tells_only_what_is_new_since_the_last_one(app, runner, db, world, smtp):
    _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    assert runner.invoke(args=["send-digest"]).exit_code == 0
    _finding(db, world["surgery_doc"], "1 hour vs 2 hours")
    settings = app.extensions["touchpoint_digest_settings"]
    report = send_digests(db, settings, link_builder(app, BASE_URL), now=utcnow() + timedelta(days=1))
    assert len(report.sent) == 2 and not report.failed
    first, second = smtp.to(LEAD)
    assert "4 hours vs 6 hours" in _text(first)
    assert "1 hour vs 2 hours" in _text(second) and "4 hours vs 6 hours" not in _text(second)
    assert "New for Surgery since your last digest (" in _text(second)


def test_findings_due_soon_or_overdue_come_first_with_their_dates(runner, db, world, smtp):
    today, lead, doc = date.today(), world["lead"], world["surgery_doc"]
    _finding(db, doc, "due in two days", assignee_id=lead, due_on=today + timedelta(days=2))
    _finding(db, doc, "was due yesterday", assignee_id=lead, due_on=today - timedelta(days=1))
    _finding(db, doc, "due next month", assignee_id=lead, due_on=today + timedelta(days=30))
    _finding(db, doc, "dismissed already", assignee_id=lead, due_on=today, status="dismissed")
    assert runner.invoke(args=["send-digest"]).exit_code == 0
    [message] = smtp.to(LEAD)
    assert message["Subject"] == "Touchpoint digest: 2 due soon or overdue, 1 assigned to you"
    text = _text(message)
    due = f"Due by {(today + timedelta(days=3)).isoformat()} or overdue (2)"
    assert text.index(due) < text.index("Also assigned to you, still open (1)")
    assert "New for Surgery" not in text  # new, but listed once: as assigned to the lead
    overdue = f"- OVERDUE: was due {(today - timedelta(days=1)).isoformat()}: [numeric] Day surgery leaflet"
    soon = f"- due {(today + timedelta(days=2)).isoformat()}: [numeric] Day surgery leaflet"
    assert text.index(overdue) < text.index(soon) < text.index("Also assigned")
    assert f"due {(today + timedelta(days=30)).isoformat()}: [numeric]" in text
    assert "dismissed already" not in text
    assert f"{BASE_URL}/findings?assignee=me" not in text  # everything is listed: no "and N more"
    [officers] = smtp.to(OFFICER)
    assert officers["Subject"] == "Touchpoint digest: 3 new"


def test_a_lead_hears_only_of_findings_on_or_against_their_departments_documents(runner, db, world, smtp):
    _address(db, cardio=CARDIO)
    _finding(db, world["surgery_doc"], "on our leaflet")
    _finding(db, world["cardio_doc"], "their sheet against our leaflet", source_role="document",
             source_document_id=world["surgery_doc"], source_path="documents/surgery/day.md")
    _finding(db, world["cardio_doc"], "only a cardiology matter")
    assert runner.invoke(args=["send-digest"]).exit_code == 0
    lead, cardio, officer = (_text(smtp.to(address)[0]) for address in (LEAD, CARDIO, OFFICER))
    assert "on our leaflet" in lead and "their sheet against our leaflet" in lead
    assert "only a cardiology matter" not in lead and "New for Surgery in the last 7 days" in lead
    assert "only a cardiology matter" in cardio and "their sheet against our leaflet" in cardio
    assert "on our leaflet" not in cardio and "New for Cardiology in the last 7 days" in cardio
    assert all(why in officer for why in ("on our leaflet", "their sheet against", "only a cardiology matter"))


def test_users_without_an_address_who_turned_it_off_or_with_nothing_to_tell_get_no_e_mail(runner, db, world, smtp):
    _finding(db, world["cardio_doc"], "a cardiology matter")  # the lead of surgery has nothing to hear
    _finding(db, world["surgery_doc"], "dismissed", status="dismissed")
    db.scalar(select(User).where(User.username == "admin")).email = "admin@example.org"
    db.scalar(select(User).where(User.username == "admin")).wants_digest = False
    db.commit()
    result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert smtp.recipients() == [OFFICER]  # cardio has no address, admin turned it off
    assert "1 with nothing to tell" in result.output and "1 without an e-mail address" in result.output
    assert "1 turned it off" in result.output
    assert _user(db, "lead").digest_sent_at is None


def test_a_long_digest_lists_twenty_findings_and_links_to_the_rest(runner, db, world, smtp):
    ids = [_finding(db, world["surgery_doc"], f"{n} hours vs 6 hours", score=0.5 + n / 100) for n in range(25)]
    assert runner.invoke(args=["send-digest"]).exit_code == 0
    [message] = smtp.to(LEAD)
    assert message["Subject"] == "Touchpoint digest: 25 new"
    text = _text(message)
    listed = [i for i in ids if f"{BASE_URL}/findings/{i}\n" in text]
    assert len(listed) == MAX_LISTED == 20
    assert set(listed) == set(ids[5:])  # the highest scores first
    assert f"...and 5 more: {BASE_URL}/findings?sort=date" in text


def test_the_html_alternative_escapes_what_the_documents_say(runner, db, world, smtp):
    _finding(db, world["surgery_doc"], "<script>alert(1)</script> vs 2 hours")
    assert runner.invoke(args=["send-digest"]).exit_code == 0
    html = _html(smtp.to(LEAD)[0])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; vs 2 hours" in html


def test_a_dry_run_prints_the_digests_and_sends_and_records_nothing(runner, db, world, smtp):
    finding = _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    result = runner.invoke(args=["send-digest", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "To: Lead <lead@example.org>\nSubject: Touchpoint digest: 1 new" in result.output
    assert f"{BASE_URL}/findings/{finding}" in result.output and "2 would be sent" in result.output
    assert smtp.messages == []
    assert _user(db, "lead").digest_sent_at is None and not _audit(db, "send_digest", world["lead"])


def test_with_the_digest_off_the_command_says_so_and_sends_nothing(database_url, engine, engine_settings, db, world,
                                                                   smtp):
    _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    off = build_app(database_url, engine, engine_settings)  # the defaults: off
    for args in (["send-digest"], ["send-digest", "--dry-run"]):
        result = _invoke(off, *args)
        assert result.exit_code == 0, result.output
        assert "The e-mail digest is off" in result.output
    off.extensions["touchpoint_db"].dispose()
    assert smtp.messages == [] and _user(db, "lead").digest_sent_at is None


# --- when sending fails -----------------------------------------------------------------------

def test_a_refused_recipient_is_reported_and_retried_next_time_while_the_others_get_theirs(runner, db, world, smtp):
    _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    smtp.refuse.add(LEAD)
    result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 1
    assert "failed to send to lead <lead@example.org>: recipient refused: 550" in result.stderr
    assert smtp.recipients() == [OFFICER]
    assert _user(db, "lead").digest_sent_at is None and _user(db, "officer").digest_sent_at is not None
    assert "550 5.1.1 No such mailbox here" in _audit(db, "digest_failed", world["lead"])[0].detail

    smtp.refuse.clear()
    again = runner.invoke(args=["send-digest"])
    assert again.exit_code == 0, again.output
    assert smtp.recipients() == [LEAD, OFFICER]  # the lead now, the officer not twice
    assert _user(db, "lead").digest_sent_at is not None


@pytest.mark.parametrize("problem", ["starttls", "no server"])
def test_when_the_server_cannot_be_used_nothing_is_sent_or_marked_and_the_command_fails(
        problem, database_url, engine, engine_settings, db, world, smtp):
    _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    changes = {"smtp_starttls": True} if problem == "starttls" else {"smtp_port": _free_port()}
    broken = build_app(database_url, engine, engine_settings,
                       TOUCHPOINT_DIGEST_SETTINGS=digest_settings(smtp.port, **changes))
    result = _invoke(broken, "send-digest")
    broken.extensions["touchpoint_db"].dispose()
    assert result.exit_code == 1
    assert result.stderr.count("failed to send to") == 2
    assert ("STARTTLS extension not supported" if problem == "starttls" else "ConnectionRefusedError") in result.stderr
    assert smtp.messages == []  # asked for STARTTLS: never in the clear
    assert _user(db, "lead").digest_sent_at is None and _user(db, "officer").digest_sent_at is None


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (auth_data.login, auth_data.password) == (b"digest", b"s3cret-pass")
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
@pytest.mark.parametrize("password,delivered", [("s3cret-pass", True), ("wrong", False)])
def test_the_digest_logs_in_to_the_smtp_server_with_the_configured_account(
        password, delivered, database_url, engine, engine_settings, db, world):
    _finding(db, world["surgery_doc"], "4 hours vs 6 hours")
    with smtp_server(authenticator=_authenticator, auth_require_tls=False, auth_required=True) as inbox:
        settings = digest_settings(inbox.port, smtp_username="digest", smtp_password=password)
        app = build_app(database_url, engine, engine_settings, TOUCHPOINT_DIGEST_SETTINGS=settings)
        result = _invoke(app, "send-digest")
        app.extensions["touchpoint_db"].dispose()
    assert (result.exit_code == 0) == delivered, result.output
    assert inbox.recipients() == ([LEAD, OFFICER] if delivered else [])
    if not delivered:
        assert "535" in result.stderr


# --- addresses: the profile page and the users page ---------------------------------------------

def test_a_user_sets_changes_and_removes_their_own_address_on_the_profile_page(client, seed, db, login_as):
    login_as("cardio")
    page = client.get("/profile").get_data(as_text=True)
    assert "<label>E-mail address" in page and 'name="email"' in page
    assert '<label class="check"><input type="checkbox" name="wants_digest" checked> Send me the digest' in page
    response = client.post("/profile/email", data={"email": " cardio@example.org ", "wants_digest": "on"})
    assert response.status_code == 302
    user = _user(db, "cardio")
    assert (user.email, user.wants_digest) == (CARDIO, True)
    assert "e-mail cardio@example.org; digest wanted" in _audit(db, "update_email", seed["cardio"])[0].detail
    assert client.post("/profile/email", data={"email": CARDIO}).status_code == 302  # the box left unticked
    assert (_user(db, "cardio").email, _user(db, "cardio").wants_digest) == (CARDIO, False)
    assert 'value="cardio@example.org"' in client.get("/profile").get_data(as_text=True)
    assert client.post("/profile/email", data={"email": "", "wants_digest": "on"}).status_code == 302
    assert _user(db, "cardio").email is None


BAD_ADDRESSES = ["not-an-address", "a@b", "x@example", "two@example.org, three@example.org", "Name <x@example.org>",
                 "x@example.org\r\nBcc: evil@example.org", "a\x00b@example.org", "ü@example.org",
                 "x" * 250 + "@example.org"]


def test_a_bad_address_is_refused_with_a_clear_message_and_changes_nothing(client, seed, db, login_as):
    login_as("lead")
    client.post("/profile/email", data={"email": LEAD, "wants_digest": "on"})
    for value in BAD_ADDRESSES:
        response = client.post("/profile/email", data={"email": value})
        assert response.status_code == 400, value
        if "\x00" not in value:  # the app refuses any request with a NUL before the form is read
            assert "That is not an e-mail address: give one like name@hospital.org" in response.get_data(as_text=True)
        user = _user(db, "lead")
        assert (user.email, user.wants_digest) == (LEAD, True), value


def test_the_e_mail_form_needs_its_csrf_token(database_url, engine, engine_settings):
    app = build_app(database_url, engine, engine_settings, WTF_CSRF_ENABLED=True)
    seed_data(app)
    client = app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "lead", "password": "correct-horse-1", "csrf_token": token})
    assert client.post("/profile/email", data={"email": LEAD}).status_code == 400
    form = client.get("/profile").get_data(as_text=True).split('action="/profile/email"')[1].split("</form>")[0]
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/profile/email", data={"email": LEAD, "csrf_token": token}).status_code == 302
    with app.app_context(), session_factory(app)() as session:
        assert session.scalar(select(User.email).where(User.username == "lead")) == LEAD
    app.extensions["touchpoint_db"].dispose()


def test_an_admin_sets_a_users_address_on_the_users_page(client, seed, db, login_as):
    login_as("admin")
    assert 'aria-label="e-mail address"' in client.get("/admin/users").get_data(as_text=True)
    form = {"role": "department_lead", "department": str(seed["surgery"]), "display_name": "Lead", "active": "on"}
    assert client.post(f"/admin/users/{seed['lead']}", data={**form, "email": LEAD}).status_code == 302
    assert _user(db, "lead").email == LEAD
    refused = client.post(f"/admin/users/{seed['lead']}", data={**form, "email": "lead at example"})
    assert refused.status_code == 400 and "That is not an e-mail address" in refused.get_data(as_text=True)
    assert client.post(f"/admin/users/{seed['lead']}", data=form).status_code == 302  # no field: unchanged
    assert _user(db, "lead").email == LEAD
    created = client.post("/admin/users", data={"username": "nurse", "password": "long-enough-1",
                                                "role": "quality_officer", "email": "nurse@example.org"})
    assert created.status_code == 302 and _user(db, "nurse").email == "nurse@example.org"


# --- settings and the migration -----------------------------------------------------------------

def test_the_digest_is_off_by_default_and_its_settings_come_from_the_environment():
    defaults = load_digest_settings(environ={})
    assert (defaults.digest_enabled, defaults.digest_due_soon_days, defaults.smtp_port) == (False, 3, 25)
    settings = load_digest_settings(environ={
        "TOUCHPOINT_DIGEST_ENABLED": "yes", "TOUCHPOINT_BASE_URL": "https://tp.example.org",
        "TOUCHPOINT_MAIL_FROM": SENDER, "TOUCHPOINT_SMTP_HOST": "mail.example.org", "TOUCHPOINT_SMTP_PORT": "587",
        "TOUCHPOINT_SMTP_STARTTLS": "true", "TOUCHPOINT_SMTP_USERNAME": "u", "TOUCHPOINT_SMTP_PASSWORD": "p w",
        "TOUCHPOINT_DIGEST_DUE_SOON_DAYS": "5"})
    assert (settings.digest_enabled, settings.smtp_port, settings.smtp_starttls, settings.smtp_password,
            settings.digest_due_soon_days) == (True, 587, True, "p w", 5)


@pytest.mark.parametrize("variables,named", [
    ({"TOUCHPOINT_SMTP_PORT": "smtp"}, "TOUCHPOINT_SMTP_PORT"),
    ({"TOUCHPOINT_SMTP_PORT": "0"}, "TOUCHPOINT_SMTP_PORT"),
    ({"TOUCHPOINT_DIGEST_DUE_SOON_DAYS": "-1"}, "TOUCHPOINT_DIGEST_DUE_SOON_DAYS"),
    ({"TOUCHPOINT_DIGEST_ENABLED": "sometimes"}, "TOUCHPOINT_DIGEST_ENABLED"),
    ({"TOUCHPOINT_SMTP_STARTTLS": "2"}, "TOUCHPOINT_SMTP_STARTTLS"),
    ({"TOUCHPOINT_BASE_URL": "touchpoint.example.org"}, "TOUCHPOINT_BASE_URL"),
    ({"TOUCHPOINT_MAIL_FROM": "touchpoint"}, "TOUCHPOINT_MAIL_FROM"),
    ({"TOUCHPOINT_SMTP_USERNAME": "u"}, "TOUCHPOINT_SMTP_PASSWORD"),
    ({"TOUCHPOINT_DIGEST_ENABLED": "1", "TOUCHPOINT_MAIL_FROM": SENDER}, "TOUCHPOINT_BASE_URL"),
    ({"TOUCHPOINT_DIGEST_ENABLED": "1", "TOUCHPOINT_BASE_URL": BASE_URL}, "TOUCHPOINT_MAIL_FROM"),
])
def test_a_bad_digest_setting_fails_loudly_naming_its_variable(variables, named):
    with pytest.raises(SettingsError, match=named):
        load_digest_settings(environ=variables)


def test_the_app_does_not_start_with_a_bad_digest_setting(monkeypatch, tmp_path, engine_settings):
    monkeypatch.setenv("TOUCHPOINT_SMTP_PORT", "99999")
    with pytest.raises(SettingsError, match="TOUCHPOINT_SMTP_PORT"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "k",
                    "TOUCHPOINT_SETTINGS": engine_settings})


DIGEST_COLUMNS = {"email", "wants_digest", "digest_sent_at"}


def test_migration_b009_adds_the_digest_columns_to_users_and_takes_them_away(app, seed):
    database = app.extensions["touchpoint_db"]
    downgrade(app, "b008")
    assert not DIGEST_COLUMNS & {c["name"] for c in inspect(database).get_columns("users")}
    upgrade(app)
    assert DIGEST_COLUMNS <= {c["name"] for c in inspect(database).get_columns("users")}
    with app.app_context(), session_factory(app)() as session:  # users from before want it until they say not
        assert set(session.scalars(select(User.wants_digest))) == {True}
        assert set(session.scalars(select(User.email))) == {None}
    login(app.test_client(), "lead")
