"""Administration: users and departments (admins only)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from web.accounts import AccountError, create_user, find_department, get_or_create_department, update_user
from web.audit import record
from web.auth import roles_required
from web.db import get_session
from web.models import ROLE_LABELS, ROLES, AuditEntry, Department, User
from web.views_support import page_number, paginate, parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _departments() -> list[Department]:
    return list(get_session().scalars(select(Department).order_by(Department.name)))


def _users_page(status: int = 200):
    users = list(get_session().scalars(select(User).order_by(User.username)))
    return render_template("admin/users.html", users=users, departments=_departments(), roles=ROLES,
                           role_labels=ROLE_LABELS), status


@bp.get("/users")
@roles_required("admin")
def users():
    return _users_page()


@bp.post("/users")
@roles_required("admin")
def add_user():
    form = request.form
    session = get_session()
    try:
        user = create_user(session, form.get("username", ""), form.get("password", ""), form.get("role", ""),
                           find_department(session, form.get("department")), form.get("display_name"),
                           form.get("email"))
    except AccountError as error:
        session.rollback()
        flash(str(error), "error")
        return _users_page(400)
    record(g.user, "create_user", "user", user.id, f"{user.username} ({user.role})")
    session.commit()
    flash(f"User {user.username} created.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>")
@roles_required("admin")
def edit_user(user_id: int):
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = request.form
    myself = user.id == g.user.id  # nobody locks themselves out
    active = form.get("active") == "on" or myself
    role = user.role if myself else form.get("role", user.role)
    try:
        update_user(user, role, find_department(session, form.get("department")),
                    active, form.get("display_name", ""), form.get("password", ""), form.get("email"))
    except AccountError as error:
        session.rollback()
        flash(str(error), "error")
        return _users_page(400)
    record(g.user, "update_user", "user", user.id, f"role={user.role} active={user.active} email={user.email or '-'}")
    session.commit()
    if myself and (form.get("role", user.role) != user.role or form.get("active") != "on"):
        flash(f"User {user.username} updated, but not your own role or access: another administrator "
              "must change those.", "error")
    else:
        flash(f"User {user.username} updated.", "success")
    return redirect(url_for("admin.users"))


@bp.get("/departments")
@roles_required("admin")
def departments():
    return render_template("admin/departments.html", departments=_departments())


@bp.post("/departments")
@roles_required("admin")
def add_department():
    session = get_session()
    try:
        department = get_or_create_department(session, request.form.get("name", ""), request.form.get("slug"))
    except AccountError as error:
        flash(str(error), "error")
        return render_template("admin/departments.html", departments=_departments()), 400
    record(g.user, "create_department", "department", department.id, department.name)
    session.commit()
    flash(f"Department {department.name} saved.", "success")
    return redirect(url_for("admin.departments"))


@bp.get("/audit")
@roles_required("admin")
def audit():
    """The audit log, newest first; ``?user=<id>`` and ``?action=`` narrow it."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    user_id = parse_id(request.args.get("user"))
    action = (request.args.get("action") or "").strip()[:64]
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if action:
        query = query.where(AuditEntry.action == action)
    page = paginate(get_session(), query, page_number(request.args.get("page")))
    actions = sorted(get_session().scalars(select(AuditEntry.action).distinct()))
    return render_template("admin/audit.html", page=page, actions=actions, action=action,
                           users=list(get_session().scalars(select(User).order_by(User.username))), user_id=user_id)
