"""The e-mail digest: each user with an address hears what needs them, at most once a day.

One digest per user (active, with an e-mail address, who has not turned it off on the profile
page) in three sections, most urgent first:

- *due soon or overdue*: findings assigned to them, still to deal with, due within
  ``digest_due_soon_days`` days or already past their date;
- *assigned to you*: the other findings assigned to them that are still to deal with;
- *new*: findings they may see (a department lead: on or against their department's documents,
  :func:`web.queries.visible_findings`) first found since their last digest (the first digest
  looks back :data:`FIRST_LOOKBACK`), still to deal with, and not assigned to them (those are
  listed above already).

A user with nothing in any section gets no e-mail. The text lists at most :data:`MAX_LISTED`
findings (kind, document, the one-line reason, an absolute link), then links to the rest; an HTML
alternative says the same. Sending (:func:`send_digests`) records ``User.digest_sent_at`` only
once the server has accepted that user's message, so a failure is retried next time and does not
stop the others; each digest and each failure is audited. ``flask --app web send-digest`` runs it.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Callable, Iterator, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from web.assignment import TO_DEAL_WITH
from web.audit import record
from web.digest_settings import DigestSettings
from web.models import Document, Finding, User, utcnow
from web.queries import visible_findings
from web.views_support import SEVERITY_RANK

MAX_LISTED = 20
FIRST_LOOKBACK = timedelta(days=7)
WHY_MAX = 140

Link = Callable[..., str]  # link("findings.detail", finding_id=3) -> "https://touchpoint.example/findings/3"


def link_builder(app: Flask, base_url: str) -> Link:
    """Absolute links to the app's pages under ``base_url`` (a path prefix is kept), built from its routes."""
    parts = urlsplit(base_url)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return lambda endpoint, **values: adapter.build(endpoint, values, force_external=True)


# --- what one user's digest says ----------------------------------------------------------------

@dataclass(frozen=True)
class Digest:
    """What is waiting for ``user``; ``due`` and ``assigned`` never share a finding."""

    user: User
    since: datetime
    due_by: date
    today: date
    due: list[Finding]
    assigned: list[Finding]
    new: list[Finding]

    @property
    def empty(self) -> bool:
        return not (self.due or self.assigned or self.new)

    def summary(self) -> str:
        """``1 due soon or overdue, 2 assigned to you, 3 new`` (the parts that are not zero)."""
        parts = ((len(self.due), "due soon or overdue"), (len(self.assigned), "assigned to you"),
                 (len(self.new), "new"))
        return ", ".join(f"{count} {label}" for count, label in parts if count)


def _aware(moment: datetime) -> datetime:
    """SQLite hands stored times back without their zone; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _loaded(query: Select) -> Select:
    return query.options(joinedload(Finding.document).joinedload(Document.department))


def _urgency(finding: Finding) -> tuple:
    return (-SEVERITY_RANK.get(finding.severity, 0), -finding.score, finding.id)


def compose_digest(session: Session, user: User, settings: DigestSettings, now: datetime | None = None,
                   today: date | None = None) -> Digest | None:
    """``user``'s digest as of ``now`` (default: the current time), or None when it would say nothing."""
    now, today = now or utcnow(), today or date.today()
    since = _aware(user.digest_sent_at) if user.digest_sent_at else now - FIRST_LOOKBACK
    due_by = today + timedelta(days=settings.digest_due_soon_days)
    mine = _loaded(select(Finding).where(Finding.assignee_id == user.id, Finding.status.in_(TO_DEAL_WITH)))
    assigned = sorted(session.scalars(mine).unique(), key=_urgency)
    due = sorted((f for f in assigned if f.due_on is not None and f.due_on <= due_by),
                 key=lambda f: (f.due_on, _urgency(f)))
    new = _loaded(visible_findings(user).where(Finding.created_at > since, Finding.status.in_(TO_DEAL_WITH),
                                               Finding.assignee_id.is_distinct_from(user.id)))
    digest = Digest(user=user, since=since, due_by=due_by, today=today, due=due,
                    assigned=[f for f in assigned if f not in due],
                    new=sorted(session.scalars(new).unique(), key=_urgency))
    return None if digest.empty else digest


# --- the e-mail ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One finding as the e-mail lists it."""

    when: str  # "due 2026-12-07", "OVERDUE: was due 2026-12-01" or ""
    kind: str
    document: str
    why: str
    link: str


@dataclass(frozen=True)
class Section:
    title: str
    total: int
    lines: list[Line]
    more_link: str

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


def _day(moment: date) -> str:
    """4 Dec 2026"""
    return f"{moment.day} {moment:%b %Y}"


def _one_line(text: str, limit: int = WHY_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def _line(finding: Finding, link: Link, today: date) -> Line:
    when = ""
    if finding.due_on is not None:
        when = (f"OVERDUE: was due {finding.due_on.isoformat()}" if finding.due_on < today
                else f"due {finding.due_on.isoformat()}")
    document = f"{finding.document.title} ({finding.document.department.name})"
    return Line(when=when, kind=finding.kind, document=_one_line(document, 120),
                why=_one_line(finding.explanation or "no reason given"),
                link=link("findings.detail", finding_id=finding.id))


def sections(digest: Digest, link: Link) -> list[Section]:
    """The non-empty sections, most urgent first, listing at most :data:`MAX_LISTED` findings in all."""
    user = digest.user
    scope = user.department.name if user.role == "department_lead" and user.department else None
    since = (f"since your last digest ({_day(digest.since)} {_aware(digest.since):%H:%M} UTC)"
             if user.digest_sent_at else f"in the last {FIRST_LOOKBACK.days} days")
    wanted = [(f"Due by {digest.due_by.isoformat()} or overdue", digest.due, link("findings.index", assignee="me")),
              ("Also assigned to you, still open" if digest.due else "Assigned to you, still open", digest.assigned,
               link("findings.index", assignee="me")),
              (f"New for {scope} {since}" if scope else f"New {since}", digest.new,
               link("findings.index", sort="date"))]
    result, room = [], MAX_LISTED
    for title, findings, more_link in wanted:
        if findings:
            shown = findings[:room]
            room -= len(shown)
            result.append(Section(title, len(findings), [_line(f, link, digest.today) for f in shown], more_link))
    return result


def subject(digest: Digest) -> str:
    return f"Touchpoint digest: {digest.summary()}"


def intro(digest: Digest) -> str:
    return f"Touchpoint digest of {_day(digest.today)}: {digest.summary()}."


def digest_text(digest: Digest, found: list[Section], link: Link) -> str:
    """The plain-text body."""
    out = [f"Hello {_one_line(digest.user.display_name, 80)},", "",
           intro(digest), ""]
    for section in found:
        out.append(f"{section.title} ({section.total})")
        for line in section.lines:
            out.append(f"- {line.when + ': ' if line.when else ''}[{line.kind}] {line.document}: {line.why}")
            out.append(f"  {line.link}")
        if section.more:
            out.append(f"  ...and {section.more} more: {section.more_link}")
        out.append("")
    out += ["-- ", "You get this because your Touchpoint account has this address and wants the digest.",
            f"Change the address or stop the digest on your profile page: {link('auth.profile')}"]
    return "\n".join(out) + "\n"


def digest_message(digest: Digest, settings: DigestSettings, link: Link) -> EmailMessage:
    """The e-mail to ``digest.user``: plain text with an HTML alternative (needs an app context)."""
    found = sections(digest, link)
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = settings.mail_from
    message["To"] = Address(display_name=_one_line(digest.user.display_name, 80), addr_spec=digest.user.email or "")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    message.set_content(digest_text(digest, found, link))
    html = current_app.jinja_env.get_template("email/digest.html").render(
        intro=intro(digest), sections=found, subject=message["Subject"], profile=link("auth.profile"),
        name=_one_line(digest.user.display_name, 80))
    message.add_alternative(html, subtype="html")
    return message


def preview(message: EmailMessage) -> str:
    """What ``--dry-run`` prints for one message: its headers and plain text."""
    body = message.get_body(preferencelist=("plain",))
    return f"To: {message['To']}\nSubject: {message['Subject']}\n\n{body.get_content() if body else ''}"


# --- sending ------------------------------------------------------------------------------------

class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends over one SMTP connection, opened on first use (STARTTLS and login as configured) and
    opened again after a failure that may have broken it. Use it as a context manager."""

    def __init__(self, settings: DigestSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_starttls:  # raises when the server cannot: never fall back to sending in the clear
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
            raise  # the server said no to this message; the connection is still good
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def __enter__(self) -> "SmtpMailer":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def describe_failure(error: BaseException) -> str:
    """A short reason for the audit log and the command's output."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        reasons = [f"{code} {_text(reply)}" for code, reply in error.recipients.values()]
        return _one_line("recipient refused: " + "; ".join(reasons), 300)
    if isinstance(error, smtplib.SMTPResponseException):
        return _one_line(f"{error.smtp_code} {_text(error.smtp_error)}", 300)
    return _one_line(f"{type(error).__name__}: {error}", 300)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


@dataclass
class DigestReport:
    """What a run did: ``sent`` and ``failed`` name each user; the rest are counts."""

    dry_run: bool = False
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    previews: list[EmailMessage] = field(default_factory=list)
    nothing_new: int = 0
    no_address: int = 0
    opted_out: int = 0
    too_soon: int = 0

    def summary(self) -> str:
        done = f"{len(self.previews)} would be sent" if self.dry_run else f"{len(self.sent)} sent"
        counts = (f"{done}, {len(self.failed)} failed, "
                  f"{self.nothing_new} with nothing to tell, {self.too_soon} had one less than the interval ago, "
                  f"{self.no_address} without an e-mail address, {self.opted_out} turned it off")
        return f"Digest: {counts}."


def _recipients(session: Session, report: DigestReport, settings: DigestSettings, now: datetime) -> Iterator[User]:
    """Active users who want a digest now, counting those left out."""
    interval = timedelta(hours=settings.digest_interval_hours)
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
        if not user.email:
            report.no_address += 1
        elif not user.wants_digest:
            report.opted_out += 1
        elif user.digest_sent_at is not None and now - _aware(user.digest_sent_at) < interval:
            report.too_soon += 1
        else:
            yield user


def send_digests(session: Session, settings: DigestSettings, link: Link, dry_run: bool = False,
                 mailer: Mailer | None = None, now: datetime | None = None,
                 today: date | None = None) -> DigestReport:
    """Compose and send every user's digest. ``dry_run`` composes only (``report.previews``): nothing
    is sent or recorded. Otherwise each accepted message sets that user's ``digest_sent_at`` to
    ``now`` and is audited, committed user by user; a refused or failed one is audited, reported in
    ``report.failed`` and left for next time, and the others still go."""
    now = now or utcnow()
    report = DigestReport(dry_run=dry_run)
    with SmtpMailer(settings) as default_mailer:  # connects only when a message goes
        outbox = mailer or default_mailer
        for user in list(_recipients(session, report, settings, now)):
            digest = compose_digest(session, user, settings, now, today)
            if digest is None:
                report.nothing_new += 1
                continue
            message = digest_message(digest, settings, link)
            if dry_run:
                report.previews.append(message)
                continue
            who = f"{user.username} <{user.email}>"
            try:
                outbox.send(message)
            except (smtplib.SMTPException, OSError) as error:
                reason = describe_failure(error)
                report.failed.append(f"{who}: {reason}")
                record(None, "digest_failed", "user", user.id, f"to {user.email}: {reason}", session=session)
                session.commit()
                continue
            user.digest_sent_at = now
            record(None, "send_digest", "user", user.id, f"to {user.email}: {digest.summary()}", session=session)
            session.commit()
            report.sent.append(f"{who}: {digest.summary()}")
    return report
