"""Creating and changing users and departments (shared by the admin pages, CLI and demo)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.auth import check_password, hash_password, revoke_sessions
from web.digest_settings import is_email_address
from web.library import slugify
from web.models import ROLES, Department, User
from web.views_support import parse_id

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,80}$")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """Invalid user or department data; the message says what to fix."""


def get_or_create_department(session: Session, name: str, slug: str | None = None) -> Department:
    name = " ".join(name.split())[:200]
    if not name:
        raise AccountError("A department needs a name.")
    slug = slugify(slug or name)[:80]
    department = session.scalar(select(Department).where(Department.slug == slug))
    if department is None:
        department = Department(slug=slug, name=name)
        session.add(department)
        session.flush()
    return department


def find_department(session: Session, value: str | int | None) -> Department | None:
    """A department by id, slug or name."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if parse_id(text) is not None:
        found = session.get(Department, parse_id(text))
        if found is not None:
            return found
    return session.scalar(select(Department).where((Department.slug == slugify(text)) | (Department.name == text)))


def validate_role(role: str, department: Department | None) -> None:
    if role not in ROLES:
        raise AccountError(f"Role must be one of {', '.join(ROLES)}.")
    if role == "department_lead" and department is None:
        raise AccountError("A department lead needs a department.")


def clean_email(value: str | None) -> str | None:
    """An e-mail address as typed, trimmed; None when empty (no address). Raises :class:`AccountError`
    for anything that is not one plain address (the message never repeats the value)."""
    text = (value or "").strip()
    if not text:
        return None
    if not is_email_address(text):
        raise AccountError("That is not an e-mail address: give one like name@hospital.org, or leave it empty.")
    return text


def create_user(session: Session, username: str, password: str, role: str,
                department: Department | None = None, display_name: str | None = None,
                email: str | None = None) -> User:
    """A new active user; raises :class:`AccountError` on bad input or a taken username."""
    username = username.strip()
    if not USERNAME.match(username):
        raise AccountError("Usernames are 2-80 letters, digits or . _ @ -")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"The username {username!r} is taken.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")
    validate_role(role, department)
    user = User(username=username, email=clean_email(email),
                display_name=(display_name or username).strip()[:200] or username,
                role=role, department_id=department.id if department and role == "department_lead" else None,
                password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user


def update_user(user: User, role: str, department: Department | None, active: bool,
                display_name: str, password: str = "", email: str | None = None) -> None:
    """An administrator's change; ``email`` None leaves the address as it is, "" removes it.
    Raises :class:`AccountError` (and changes nothing) on bad input."""
    validate_role(role, department)
    if password and len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")
    if email is not None:
        user.email = clean_email(email)
    user.role = role
    user.department_id = department.id if department is not None and role == "department_lead" else None
    user.active = active
    user.display_name = display_name.strip()[:200] or user.display_name
    if password:
        set_password(user, password)


def set_password(user: User, password: str) -> None:
    """A new password for ``user``; every session the user has ends (see ``revoke_sessions``)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")
    user.password_hash = hash_password(password)
    revoke_sessions(user)


def change_own_password(user: User, current: str, new: str, confirmation: str) -> None:
    """The user's own change: the current password proves it is them; raises :class:`AccountError`."""
    if not check_password(user, current):
        raise AccountError("Your current password is not right.")
    if new != confirmation:
        raise AccountError("The new password and its confirmation differ.")
    if new == current:
        raise AccountError("The new password must differ from the current one.")
    set_password(user, new)


def set_digest_preferences(user: User, email: str | None, wants_digest: bool) -> None:
    """A user's own e-mail address ("" or None: none) and whether they want the e-mail digest."""
    user.email = clean_email(email)
    user.wants_digest = wants_digest
