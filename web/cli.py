"""``flask --app web ...`` commands: init-db, create-user, create-token, send-digest, demo, worker."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from checker.corpus import is_content_file
from web import BASE_DIR
from web.accounts import AccountError, create_user, find_department, get_or_create_department
from web.audit import record
from web.auth import issue_token
from web.db import session_factory, upgrade
from web.digest import link_builder, preview, send_digests
from web.library import (UploadError, add_document_version, add_protocol_version, checked_run, get_engine,
                         supported_suffixes)
from web.models import CheckRun, Department, User

DEMO_USERS = (("admin", "admin-demo", "admin", "Demo administrator"),
              ("officer", "officer-demo", "quality_officer", "Demo quality officer"),
              ("lead", "lead-demo", "department_lead", "Demo department lead"))


def register_commands(app: Flask) -> None:
    from web.worker import worker_command

    for command in (init_db, create_user_command, create_token, send_digest, demo, worker_command):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade(current_app)
    click.echo(f"Database is up to date: {_safe_url()}")


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "quality_officer", "department_lead"]), required=True)
@click.option("--department", help="Department name or slug (department leads; created if new).")
@click.option("--display-name", help="Name shown in the app (default: the username).")
@click.option("--email", help="Where the e-mail digest goes (optional).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(username: str, role: str, department: str | None, display_name: str | None,
                        email: str | None, password: str) -> None:
    """Create a user who can log in."""
    upgrade(current_app)
    with session_factory()() as session:
        found = find_department(session, department) if department else None
        if department and found is None:
            found = get_or_create_department(session, department)
        try:
            user = create_user(session, username, password, role, found, display_name, email)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        record(None, "create_user", "user", user.id, f"{user.username} ({user.role}) from the command line",
               session=session)
        session.commit()
    click.echo(f"Created {role} {username}" + (f" of {found.name}" if found else ""))


@click.command("create-token")
@with_appcontext
@click.argument("username")
def create_token(username: str) -> None:
    """Print a new API token for USERNAME (replaces the old one)."""
    with session_factory()() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"No user named {username!r}.")
        token = issue_token(user)
        record(None, "create_token", "user", user.id, "new API token from the command line", session=session)
        session.commit()
    click.echo(token)


@click.command("send-digest")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Print the e-mails that would go out; send and record nothing.")
def send_digest(dry_run: bool) -> None:
    """E-mail each user their digest: findings due soon, assigned to them, new for them.
    Exit status 1 when a message could not be sent (the others still are)."""
    settings = current_app.extensions["touchpoint_digest_settings"]
    if not settings.digest_enabled:
        click.echo("The e-mail digest is off (TOUCHPOINT_DIGEST_ENABLED is not true): nothing sent.")
        return
    upgrade(current_app)
    with session_factory()() as session:
        report = send_digests(session, settings, link_builder(current_app, settings.base_url), dry_run=dry_run)
    for message in report.previews:
        click.echo(preview(message) + "\n" + "=" * 72)
    for line in report.sent:
        click.echo(f"sent to {line}")
    for line in report.failed:
        click.echo(f"failed to send to {line}", err=True)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)


@click.command("demo")
@with_appcontext
@click.option("--protocols", "protocols_dir", type=click.Path(file_okay=False, path_type=Path),
              default=BASE_DIR / "protocols", show_default=True)
@click.option("--documents", "documents_dir", type=click.Path(file_okay=False, path_type=Path),
              default=BASE_DIR / "examples" / "documents", show_default=True,
              help="One folder per department.")
def demo(protocols_dir: Path, documents_dir: Path) -> None:
    """Migrate, load the example protocols and documents, check them, create demo users.
    Running it again adds only what changed."""
    upgrade(current_app)
    engine = get_engine()
    with session_factory()() as session:
        errors: dict[str, str] = {}
        changed = _load_protocols(session, engine, protocols_dir, errors)
        departments, documents_changed = _load_documents(session, engine, documents_dir, errors)
        changed = documents_changed or changed
        if changed or session.scalar(select(CheckRun.id).limit(1)) is None:
            click.echo("Checking every document against the protocols (first run loads the model)...")
            run = checked_run(session, engine, "manual", None, None)
            run.errors = {**(run.errors or {}), **errors}
            session.commit()
            click.echo(f"Check run #{run.id} {run.status}: {run.findings_new} new findings, "
                       f"{run.findings_resolved} resolved." + (f" Error: {run.error}" if run.error else ""))
        else:
            click.echo("Nothing changed since the last demo run; no new check.")
        _demo_users(session, departments)
    for path, message in errors.items():
        click.echo(f"skipped {path}: {message}", err=True)
    click.echo(f"\nDatabase: {_safe_url()}\nStart the app with: flask --app web run  (then open http://127.0.0.1:5000/)")


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in supported_suffixes() and is_content_file(p))


def _load_protocols(session: Session, engine, folder: Path, errors: dict[str, str]) -> bool:
    if not folder.is_dir():
        click.echo(f"No protocols folder at {folder}", err=True)
    changed = False
    for path in _files(folder):
        try:
            _, created = add_protocol_version(session, engine, path.name, path.read_bytes(), None)
        except UploadError as error:
            session.rollback()
            errors[str(path)] = str(error)
            continue
        session.commit()
        changed = changed or created
    click.echo(f"Protocols: {len(_files(folder))} files in {folder}")
    return changed


def _load_documents(session: Session, engine, folder: Path, errors: dict[str, str]) -> tuple[list[Department], bool]:
    if not folder.is_dir():
        click.echo(f"No example documents folder at {folder}", err=True)
        return [], False
    changed, departments = False, []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        department = get_or_create_department(session, sub.name.replace("-", " ").replace("_", " ").title(), sub.name)
        session.commit()
        departments.append(department)
        for path in _files(sub):
            try:
                _, created = add_document_version(session, engine, department, path.name, path.read_bytes(), None)
            except UploadError as error:
                session.rollback()
                errors[str(path)] = str(error)
                continue
            session.commit()
            changed = changed or created
        click.echo(f"Department {department.name}: {len(_files(sub))} documents")
    return departments, changed


def _demo_users(session: Session, departments: list[Department]) -> None:
    lead_department = departments[0] if departments else get_or_create_department(session, "General")
    click.echo("\nDemo users (username / password):")
    for username, password, role, name in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            department = lead_department if role == "department_lead" else None
            user = create_user(session, username, password, role, department, name)
            record(None, "create_user", "user", user.id, f"{username} ({role}) by the demo", session=session)
            session.commit()
        suffix = f" — {user.department.name}" if user.department else ""
        click.echo(f"  {username:<8} / {password:<13} {user.role_label}{suffix}")
