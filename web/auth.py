"""Logging in and out, the current user, API tokens, and who may do what."""
from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import (Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from web.audit import record
from web.db import get_session
from web.login_limit import clear_failures, locked_for, record_failure
from web.models import Department, Document, Finding, User

bp = Blueprint("auth", __name__)

View = TypeVar("View", bound=Callable)

# A real hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


# --- passwords and tokens ---------------------------------------------------------------------

def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """A new API token for ``user`` (replacing any old one); only its hash is stored."""
    token = "tp_" + secrets.token_urlsafe(32)
    user.api_token_hash = hash_token(token)
    return token


def authenticate(username: str, password: str) -> User | None:
    user = get_session().scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


# --- the current user -------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.before_request(load_user)
    app.context_processor(lambda: {"current_user": g.get("user"), "can": Permissions})


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def load_user() -> None:
    """Who is asking: from an API bearer token, else the session cookie (``g.user``, or None)."""
    g.user = None
    g.token_auth = False
    token = _bearer_token()
    if token is not None and request.blueprint == "api":
        user = get_session().scalar(select(User).where(User.api_token_hash == hash_token(token)))
        if user is None or not user.active:
            abort(401, description="The API token is not valid.")
        g.user, g.token_auth = user, True
        return
    user_id = session.get("user_id")
    if user_id is not None:
        user = get_session().get(User, user_id)
        if user is not None and user.active and session.get("session_version") == user.session_version:
            g.user = user
        else:
            session.clear()


def start_session(user: User) -> None:
    """Log ``user`` in on this browser; the cookie holds the user's current session version."""
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session.permanent = False


def revoke_sessions(user: User) -> None:
    """End every session ``user`` has, on every browser: a replayed old cookie no longer works.

    Flask's sessions live in signed cookies, so the server cannot delete them; it counts instead,
    and a cookie whose version is not the user's current one is refused."""
    user.session_version = (user.session_version or 0) + 1


def login_required(view: View) -> View:
    """Unauthenticated: 401 for the API, a redirect to the login page otherwise."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            if request.blueprint == "api":
                abort(401, description="Log in or send 'Authorization: Bearer <token>'.")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[View], View]:
    """Logged in with one of ``roles``, or 403."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class Permissions:
    """The permission rules in one place (also available in templates as ``can``)."""

    @staticmethod
    def see_all(user: User | None) -> bool:
        return user is not None and user.role in ("admin", "quality_officer")

    @staticmethod
    def review(user: User | None) -> bool:
        return Permissions.see_all(user)

    @staticmethod
    def manage_protocols(user: User | None) -> bool:
        return Permissions.see_all(user)

    @staticmethod
    def administer(user: User | None) -> bool:
        return user is not None and user.role == "admin"

    @staticmethod
    def upload_to(user: User | None, department: Department | None) -> bool:
        if user is None or department is None:
            return False
        return user.role == "admin" or (user.role == "department_lead" and user.department_id == department.id)

    @staticmethod
    def upload_documents(user: User | None) -> bool:
        return user is not None and user.role in ("admin", "department_lead")

    @staticmethod
    def view_document(user: User | None, document: Document) -> bool:
        if Permissions.see_all(user):
            return True
        return user is not None and user.department_id == document.department_id

    @staticmethod
    def view_finding(user: User | None, finding: Finding) -> bool:
        """Findings on a document the user may see, or against one (another department's clash)."""
        if Permissions.view_document(user, finding.document):
            return True
        return finding.source_document is not None and Permissions.view_document(user, finding.source_document)


def safe_next(target: str | None) -> str:
    """``target`` when it is a same-origin relative path, else the dashboard.

    Browsers drop tabs and newlines inside URLs and read a backslash as ``/``, so "/<tab>/evil.example"
    and "/<backslash>evil.example" would both leave the site: any control character, whitespace or
    backslash refuses the target, as does anything with a scheme or host."""
    if not target or any(ord(char) < 0x21 or ord(char) == 0x7F or char == "\\" for char in target):
        return url_for("dashboard.index")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return url_for("dashboard.index")


# --- views ------------------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username, address = request.form.get("username", ""), request.remote_addr or "unknown"
        db = get_session()
        wait = locked_for(db, username, address)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            flash(f"Too many failed logins for this account or from this address. Try again in {minutes} "
                  f"minute{'s' if minutes != 1 else ''}, or ask an administrator to reset your password.", "error")
            return render_template("login.html"), 429
        user = authenticate(username, request.form.get("password", ""))
        if user is not None:
            clear_failures(db, username)
            db.commit()
            start_session(user)
            return redirect(safe_next(request.args.get("next")))
        record_failure(db, username, address)
        db.commit()
        flash("Unknown username or wrong password.", "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.post("/logout")
def logout():
    if g.get("user") is not None:
        revoke_sessions(g.user)
        get_session().commit()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _profile(token: str | None = None, **extra):
    digest = current_app.extensions["touchpoint_digest_settings"]
    return render_template("profile.html", token=token, digest_on=digest.digest_enabled,
                           due_soon_days=digest.digest_due_soon_days, **extra)


@bp.get("/profile")
@login_required
def profile():
    return _profile()


@bp.post("/profile/password")
@login_required
def change_password():
    from web.accounts import AccountError, change_own_password

    form = request.form
    try:
        change_own_password(g.user, form.get("current_password", ""), form.get("new_password", ""),
                            form.get("confirm_password", ""))
    except AccountError as error:
        get_session().rollback()
        flash(str(error), "error")
        return _profile(), 400
    record(g.user, "change_password", "user", g.user.id, "own password changed; other sessions ended")
    get_session().commit()
    start_session(g.user)  # this browser stays logged in; every other session has ended
    flash("Your password is changed. Every other session you had is logged out.", "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/token")
@login_required
def new_token():
    token = issue_token(g.user)
    record(g.user, "create_token", "user", g.user.id, "new API token")
    get_session().commit()
    return _profile(token)


@bp.post("/profile/email")
@login_required
def update_email():
    """The user's own e-mail address and whether they want the digest."""
    from web.accounts import AccountError, set_digest_preferences

    typed, wants = request.form.get("email", ""), request.form.get("wants_digest") == "on"
    try:
        set_digest_preferences(g.user, typed, wants)
    except AccountError as error:
        get_session().rollback()
        flash(str(error), "error")
        return _profile(typed_email=typed[:254]), 400
    record(g.user, "update_email", "user", g.user.id,
           f"e-mail {g.user.email or 'removed'}; digest {'wanted' if wants else 'not wanted'}")
    get_session().commit()
    flash("Your e-mail settings are saved.", "success")
    return redirect(url_for("auth.profile"))
