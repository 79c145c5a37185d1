"""Storing uploaded document and protocol versions (with their statements) and checking them.

Every function here adds to the given session and flushes; callers commit, so a refused
upload leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import logging
import re
from pathlib import PurePosixPath
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from checker.records import ROLE_DOCUMENT, ROLE_PROTOCOL, DocumentError, Statement
from web.audit import record
from web.models import (CheckRun, Department, Document, DocumentVersion, Protocol, ProtocolVersion,
                        StoredStatement, User)

log = logging.getLogger(__name__)


class UploadError(ValueError):
    """An upload was refused; the message says why, in words for the uploader."""


def get_engine(app: Flask | None = None) -> Any:
    """The app's engine (``app.extensions["touchpoint_engine"]``), built on first use."""
    app = app or current_app
    engine = app.extensions.get("touchpoint_engine")
    if engine is None:
        from checker.engine import Engine

        engine = app.extensions["touchpoint_engine"] = Engine(app.extensions["touchpoint_settings"])
    return engine


def supported_suffixes() -> tuple[str, ...]:
    from checker.reader import SUPPORTED_SUFFIXES

    return tuple(sorted(SUPPORTED_SUFFIXES))


def clean_filename(filename: str | None) -> str:
    """A safe file name keeping a supported suffix (``../Über Plan.MD`` -> ``Uber_Plan.md``;
    a name with nothing safe left becomes ``document.<suffix>``), or :class:`UploadError`."""
    original = PurePosixPath((filename or "").replace("\\", "/")).name
    if not original:
        raise UploadError("Choose a file to upload.")
    suffix = PurePosixPath(original).suffix.lower()
    if suffix not in supported_suffixes():
        allowed = ", ".join(supported_suffixes())
        raise UploadError(f"{original}: files of type '{suffix or 'none'}' are not accepted (allowed: {allowed}).")
    stem = secure_filename(original[: -len(suffix)])[:200] or "document"
    return stem + suffix


def title_from_filename(filename: str) -> str:
    stem = re.sub(r"[-_]+", " ", PurePosixPath(filename).stem).strip()
    return stem[:1].upper() + stem[1:] if stem else filename


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "department"


TEXT_SUFFIXES = (".md", ".markdown", ".txt")


def _read(engine: Any, path: str, data: bytes, role: str, department: str = "") -> list[Statement]:
    """The file's statements, or :class:`UploadError` when it is empty, unreadable or beyond the
    upload limits (checked before the costly work: a limit refused costs no embedding)."""
    name = PurePosixPath(path).name
    if not data:
        raise UploadError(f"{name}: the file is empty.")
    limits = _settings(engine)
    if PurePosixPath(name).suffix.lower() in TEXT_SUFFIXES and len(data) > limits.upload_text_max_bytes:
        raise UploadError(f"{name}: a text file of {len(data) // 1024} kB is larger than the limit of "
                          f"{limits.upload_text_max_bytes // 1024} kB for text and Markdown; split it into documents.")
    try:
        statements = engine.read(path, data, role=role, department=department)
    except DocumentError as error:
        raise UploadError(f"{PurePosixPath(path).name}: {error.reason}") from None
    except Exception:  # a reader bug must not turn a user's file into an error page
        log.exception("reading %s failed unexpectedly", path)
        raise UploadError(f"{PurePosixPath(path).name}: the file could not be read (it may be damaged).") from None
    _check_statements(name, statements, limits)
    return statements


def _settings(engine: Any = None) -> Any:
    """The app's settings; outside a request or command (a script storing files) the engine's own."""
    if not has_app_context() and engine is not None:
        return engine.settings
    return current_app.extensions["touchpoint_settings"]


def _check_statements(name: str, statements: list[Statement], limits: Any) -> None:
    if len(statements) > limits.upload_max_statements:
        raise UploadError(f"{name}: {len(statements)} statements are more than the limit of "
                          f"{limits.upload_max_statements} per file; split it into documents.")
    longest = max((len(statement.text) for statement in statements), default=0)
    if longest > limits.statement_max_chars:
        raise UploadError(f"{name}: one sentence is {longest} characters long (the limit is "
                          f"{limits.statement_max_chars}); the file does not read as patient information.")


def check_same_type(current_filename: str, new_filename: str) -> None:
    """A new version keeps its document's file type: a .docx uploaded over a .md is most likely the
    wrong file, and the stored versions would no longer compare like for like."""
    old, new = PurePosixPath(current_filename).suffix.lower(), PurePosixPath(new_filename).suffix.lower()
    if old != new and {old, new} != {".md", ".markdown"} and {old, new} != {".html", ".htm"}:
        raise UploadError(f"{new_filename}: this is a {new} file, but the document is a {old} file. "
                          f"Upload the new version as {old}, or upload {new_filename} as a new document.")


def _stored(statements: list[Statement]) -> list[StoredStatement]:
    return [StoredStatement(position=s.position, text=s.text, start=s.start, end=s.end,
                            context=list(s.context), scope=s.scope, text_key=s.key) for s in statements]


def _version_fields(filename: str, data: bytes, user: User | None) -> dict[str, Any]:
    return dict(filename=filename, content=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                uploaded_by_id=user.id if user is not None else None)


def add_document_version(session: Session, engine: Any, department: Department, filename: str | None,
                         data: bytes, user: User | None, document: Document | None = None,
                         title: str | None = None) -> tuple[DocumentVersion, bool]:
    """Read and store a new version of ``document`` (or of the department's document with that
    file name, created if new). Returns ``(version, created)``; ``created`` is False when the
    bytes equal the current version's (nothing is stored then). Raises :class:`UploadError`."""
    name = clean_filename(filename)
    if department.retired_at is not None:
        raise UploadError(f"The department {department.name} is retired; an administrator can restore it.")
    if document is None:
        document = session.scalar(select(Document).where(
            Document.department_id == department.id, Document.filename == name))
    if document is not None and document.retired_at is not None:
        raise UploadError(f"{document.title} is retired; restore it before uploading a new version.")
    if document is not None and document.current is not None \
            and document.current.sha256 == hashlib.sha256(data).hexdigest():
        return document.current, False
    if document is not None:
        check_same_type(document.filename, name)
    statements = _read(engine, f"documents/{department.slug}/{name}", data, ROLE_DOCUMENT, department.slug)
    if document is None:
        document = Document(department=department, filename=name, title=title or title_from_filename(name))
        session.add(document)
    elif title:
        document.title = title
    return _append_version(session, document, DocumentVersion, name, data, user, statements, "document"), True


def _append_version(session: Session, owner: Any, version_class: type, name: str, data: bytes,
                    user: User | None, statements: list, kind: str) -> Any:
    """Store the next version of a document or protocol with its statements, and audit it."""
    version = version_class(number=len(owner.versions) + 1, **_version_fields(name, data, user))
    version.statements = _stored(statements)
    owner.versions.append(version)
    session.flush()
    record(user, f"upload_{kind}", kind, owner.id,
           f"version {version.number} ({name}, {version.size} bytes, {len(statements)} statements)",
           session=session)
    return version


def add_protocol_version(session: Session, engine: Any, filename: str | None, data: bytes,
                         user: User | None, protocol: Protocol | None = None,
                         title: str | None = None) -> tuple[ProtocolVersion, bool]:
    """Like :func:`add_document_version`, for protocols (matched by file name)."""
    name = clean_filename(filename)
    if protocol is None:
        protocol = session.scalar(select(Protocol).where(Protocol.filename == name))
    if protocol is not None and protocol.retired_at is not None:
        raise UploadError(f"{protocol.title} is retired; restore it before uploading a new version.")
    if protocol is not None and protocol.current is not None \
            and protocol.current.sha256 == hashlib.sha256(data).hexdigest():
        return protocol.current, False
    if protocol is not None:
        check_same_type(protocol.filename, name)
    statements = _read(engine, f"protocols/{name}", data, ROLE_PROTOCOL)
    if protocol is None:
        protocol = Protocol(filename=name, title=title or title_from_filename(name))
        session.add(protocol)
    elif title:
        protocol.title = title
    return _append_version(session, protocol, ProtocolVersion, name, data, user, statements, "protocol"), True


def checked_run(session: Session, engine: Any, kind: str, user: User | None,
                document_ids: set[int] | None = None, version: DocumentVersion | None = None) -> CheckRun:
    """Commit what is pending, then do a check in this process at once (``flask --app web demo``;
    the web's requests queue theirs with :func:`queued_check`), under the one check lock that the
    nightly batch takes too (waiting up to ``check_lock_wait_seconds``). A check that crashes, or
    cannot get the lock, leaves a ``failed`` run saying why; what was uploaded stays saved."""
    from web.queue import run_now

    return run_now(current_app._get_current_object(), session, kind, user, document_ids, version, engine)


def queued_check(session: Session, kind: str, user: User | None, document_ids: set[int] | None = None,
                 version: DocumentVersion | None = None) -> CheckRun:
    """Commit what is pending with a ``queued`` run and hand it to the task queue (``web.queue``):
    a worker does it; the request does not wait. ``document_ids`` ``None`` checks everything."""
    from web.queue import submit

    return submit(current_app._get_current_object(), session, kind, user, document_ids, version)


def upload_document(session: Session, engine: Any, department: Department, filename: str | None,
                    data: bytes, user: User | None, document: Document | None = None,
                    title: str | None = None) -> tuple[DocumentVersion, CheckRun | None]:
    """Store a document version and queue its check against protocols and other departments.
    Returns the version and the check run, ``queued`` (``None`` when the file equals the current
    version). On :class:`UploadError` the session is rolled back: nothing is saved."""
    try:
        version, created = add_document_version(session, engine, department, filename, data, user,
                                                document, title)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise UploadError("Someone uploaded this file at the same moment; try again.") from None
    except Exception:
        session.rollback()
        raise
    if not created:
        return version, None
    resolving = version if version.number > 1 else None
    return version, queued_check(session, "upload", user, {version.document_id}, resolving)


def upload_protocol(session: Session, engine: Any, filename: str | None, data: bytes, user: User | None,
                    protocol: Protocol | None = None,
                    title: str | None = None) -> tuple[ProtocolVersion, CheckRun | None]:
    """Store a protocol version, then queue a check of every document (like :func:`upload_document`)."""
    try:
        version, created = add_protocol_version(session, engine, filename, data, user, protocol, title)
    except IntegrityError:
        session.rollback()
        raise UploadError("Someone uploaded this file at the same moment; try again.") from None
    except Exception:
        session.rollback()
        raise
    if not created:
        return version, None
    return version, queued_check(session, "upload", user, None)
