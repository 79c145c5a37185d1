"""Touchpoint's web app: department leads upload documents, quality officers review findings.

``flask --app web run`` serves it; ``flask --app web demo`` fills it with the example files.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from checker.settings import Settings, load_settings

csrf = CSRFProtect()

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# In a checkout, instance/ (database, secret key) sits next to web/; installed, under the CWD.
BASE_DIR = PROJECT_ROOT if (PROJECT_ROOT / "setup.cfg").exists() else Path.cwd()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides Flask config keys, e.g. ``TESTING``, ``DATABASE_URL``,
    ``WTF_CSRF_ENABLED``, ``SECRET_KEY``, ``TOUCHPOINT_SETTINGS`` (a :class:`Settings`),
    ``INSTANCE_PATH`` (where a generated secret key is kept), ``TOUCHPOINT_DIGEST_SETTINGS`` (a
    :class:`web.digest_settings.DigestSettings`; by default read from the environment, so a bad
    SMTP or digest setting stops the app at start-up), ``TOUCHPOINT_QUEUE_SETTINGS`` (a
    :class:`web.queue_settings.QueueSettings`, likewise)."""
    from web import queue
    from web.digest_settings import load_digest_settings
    from web.queue_settings import load_queue_settings

    config = dict(config or {})
    app = Flask(__name__, instance_path=str(config.pop("INSTANCE_PATH", BASE_DIR / "instance")))
    settings: Settings = config.pop("TOUCHPOINT_SETTINGS", None) or load_settings()
    digest_settings = config.pop("TOUCHPOINT_DIGEST_SETTINGS", None) or load_digest_settings()
    queue_settings = config.pop("TOUCHPOINT_QUEUE_SETTINGS", None) or load_queue_settings()
    app.extensions["touchpoint_digest_settings"] = digest_settings
    _configure(app, settings, config)
    if settings.proxy_hops:  # behind nginx: the client's address and scheme come from X-Forwarded-*
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    _init_extensions(app)
    queue.init_app(app, queue_settings, BASE_DIR)  # checks run on the task queue's workers
    _register_blueprints(app)
    __import__("web.batch").batch.register_batch_commands(app)  # nightly batch: CLI, check-now, progress
    return app


def _configure(app: Flask, settings: Settings, overrides: dict[str, Any]) -> None:
    from web.db import resolve_database_url

    app.extensions["touchpoint_settings"] = settings
    app.config.update(
        DATABASE_URL=settings.database_url,
        MAX_CONTENT_LENGTH=settings.upload_max_bytes,
        PAGE_SIZE=settings.page_size,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="touchpoint_session",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(overrides)
    app.config["DATABASE_URL"] = resolve_database_url(app.config["DATABASE_URL"], BASE_DIR)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or _persistent_secret_key(Path(app.instance_path))


def _persistent_secret_key(instance: Path) -> str:
    """A random key generated once and kept in ``instance/secret_key`` (readable by owner only)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def _init_extensions(app: Flask) -> None:
    from web import auth, db, errors, headers, views_support

    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    views_support.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from web import admin, api, auth, dashboard, documents, findings, help, protocols, retiring, runs, trends
    from web.cli import register_commands

    for module in (auth, dashboard, documents, findings, protocols, retiring, runs, trends, help, admin, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)
    register_commands(app)
