"""Error pages: HTML with our own template, JSON for the API (never HTML there)."""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request", 401: "Not logged in", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 413: "File too large", 500: "Something went wrong",
}


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _message(error: HTTPException) -> str:
    if error.code == 413:
        limit = request.max_content_length or 0
        return f"The upload is larger than the limit of {limit // 1024 // 1024 or 1} MB."
    if error.code == 500:
        default = InternalServerError.description
        if error.description and error.description != default:
            return error.description
        return "An unexpected error occurred. It has been logged."
    return error.description or TITLES.get(error.code or 500, "Error")


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if isinstance(error, CSRFError):
        message = "The form expired or was not sent from this site. Go back, reload and try again."
    else:
        message = _message(error)
    if wants_json():
        return jsonify(error=TITLES.get(code, error.name), message=message, status=code), code
    _know_the_user()
    return render_template("error.html", code=code, title=TITLES.get(code, error.name), message=message), code


def _know_the_user() -> None:
    """An error raised before the user was loaded (a CSRF failure, an upload over the size limit)
    still shows the page with the user's navigation, so nobody looks logged out."""
    if "user" in g:
        return
    from web.auth import load_user

    try:
        load_user()
    except Exception:  # the error page must render whatever went wrong with the session
        g.user = None


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    if isinstance(error, (OperationalError, ProgrammingError)) and _missing_table(error):
        return handle_http_error(InternalServerError(
            description="The database is not set up yet: run 'flask --app web init-db' (or 'flask --app web demo')."))
    return handle_http_error(InternalServerError())


def _missing_table(error: Exception) -> bool:
    text = str(error).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
