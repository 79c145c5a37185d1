"""Where a check run stands, in words and as JSON, for the pages that poll while it is pending
(``/runs/<id>/status``, ``/documents/<id>/status``, ``/api/runs/<id>``; the page's script is
``web/static/check_status.js``)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web.models import CheckRun, Document, utcnow


def runs_ahead(session: Session, run: CheckRun) -> int:
    """Runs queued or running before ``run`` (checks take turns: they share one lock)."""
    return session.scalar(select(func.count()).select_from(CheckRun).where(
        CheckRun.status.in_(("queued", "running")), CheckRun.id < run.id)) or 0


def status_line(session: Session, run: CheckRun) -> str:
    """``queued, 2 checks ahead``, ``checking (started 4 s ago)``, ``done: 3 new, ...``, ``failed: ...``."""
    if run.status == "queued":
        ahead = runs_ahead(session, run)
        return "queued" + (f", {ahead} check{'s' if ahead != 1 else ''} ahead" if ahead else
                           ": a worker takes it next")
    if run.status == "running":
        if run.kind == "nightly":
            from web.batch import progress_text

            return progress_text(run, session) or "checking"
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=utcnow().tzinfo)
        return f"checking (started {max(0, int((utcnow() - started).total_seconds()))} s ago)"
    if run.status == "succeeded":
        return (f"done: {run.findings_new} new, {run.findings_unchanged} unchanged, {run.findings_resolved} resolved, "
                f"{run.findings_reopened} reopened findings")
    return f"{run.status}: {run.error or 'no reason recorded'}"


def run_dict(session: Session, run: CheckRun) -> dict[str, Any]:
    """A run's state for JSON: ``pending`` is true while it is queued or running."""
    return {"id": run.id, "kind": run.kind, "status": run.status, "pending": run.pending,
            "line": status_line(session, run), "error": run.error, "attempts": run.attempts,
            "findings_new": run.findings_new, "findings_unchanged": run.findings_unchanged,
            "findings_resolved": run.findings_resolved, "findings_reopened": run.findings_reopened}


def pending_runs_for(session: Session, document: Document) -> list[CheckRun]:
    """Queued or running runs whose findings may change ``document``'s: those checking everything
    and those whose scope names it (there are few pending runs, so the scope is read here)."""
    runs = session.scalars(select(CheckRun).where(CheckRun.status.in_(("queued", "running")))
                           .order_by(CheckRun.id)).all()
    return [run for run in runs if run.scope is None or document.id in run.scope]


def document_status(session: Session, document: Document) -> dict[str, Any]:
    """``pending``, a ``line`` for the page, and the pending runs, for ``/documents/<id>/status``."""
    runs = pending_runs_for(session, document)
    if runs:
        line = "Checking this document: " + status_line(session, runs[-1])
    else:
        line = "Checked: the findings below are up to date."
    return {"document_id": document.id, "pending": bool(runs), "line": line,
            "runs": [run_dict(session, run) for run in runs]}
