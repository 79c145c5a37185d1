"""Security headers on every response, and no caching of what holds patient-document data.

The templates carry no inline script or style, so the content security policy allows only this
site's own files. ``Strict-Transport-Security`` goes out only where the deployment says it is
served over HTTPS (``session_cookie_secure``, on in the production recipe): sent over plain HTTP
it would lock a development server out of browsers.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'; object-src 'none'")
HSTS = "max-age=31536000; includeSubDomains"
# Exports, downloads and the API return findings and document text: never kept by a shared cache
# or the browser's disk cache.
NO_STORE_PREFIXES = ("/api/", "/findings/export")


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if _https_deployment():
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _holds_data(request.path, response):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def _https_deployment() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def _holds_data(path: str, response: Response) -> bool:
    attachment = "attachment" in response.headers.get("Content-Disposition", "")
    return attachment or path.startswith(NO_STORE_PREFIXES)
