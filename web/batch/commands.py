"""Entry points: ``touchpoint nightly`` (:func:`nightly_main`, :func:`nightly_cli`), ``flask --app
web nightly``, ``POST /runs/check-now`` (queues the batch as a job for a worker) and the runs page's
progress line."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any, Optional, Sequence

import click
from sqlalchemy import Engine as DatabaseEngine
from sqlalchemy.orm import Session

from checker.settings import Settings, load_settings
from web.batch.base import (DEFAULT_WORKERS, EXIT_DOCUMENT_ERRORS, EXIT_FAILED, EXIT_LOCKED, EXIT_OK, RUN_KIND,
                            BatchOutcome, BatchRefused, log)
from web.batch.run import NightlyBatch
from web.batch_models import BatchRunProgress
from web.models import CheckRun


def migrate_database(database: DatabaseEngine) -> None:
    """Bring the schema to the newest migration (the batch's tables included)."""
    from alembic import command

    from web.db import alembic_config

    with database.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def make_database(settings: Settings) -> DatabaseEngine:
    from web import PROJECT_ROOT
    from web.db import make_engine, resolve_database_url

    return make_engine(resolve_database_url(settings.database_url, PROJECT_ROOT))


def run_nightly(settings: Settings | None = None, *, database: DatabaseEngine | None = None, checker: Any = None,
                user_id: Optional[int] = None, force: bool = False, progress: bool | None = None,
                stop_event: Optional[threading.Event] = None, **options: Any) -> BatchOutcome:
    """Run the batch once (raises :class:`BatchRefused` when another run holds the lock)."""
    settings = settings or load_settings()
    database = database or make_database(settings)
    batch = NightlyBatch(settings, database, checker, user_id=user_id, force=force, progress=progress,
                         stop_event=stop_event, **options)
    return batch.run()


def _exit_code(outcome: BatchOutcome) -> int:
    if outcome.status != "succeeded":
        return EXIT_FAILED
    return EXIT_DOCUMENT_ERRORS if outcome.errors else EXIT_OK


def _summary(outcome: BatchOutcome) -> str:
    text = (f"Nightly run #{outcome.run_id} {outcome.status}: {outcome.documents_checked} of "
            f"{outcome.documents_total} documents checked ({outcome.documents_skipped} unchanged, skipped), "
            f"{outcome.statements_checked} statements; embeddings {outcome.embeddings_computed} computed, "
            f"{outcome.embeddings_reused} reused; findings {outcome.findings_new} new, "
            f"{outcome.findings_unchanged} unchanged, {outcome.findings_resolved} resolved, "
            f"{outcome.findings_reopened} reopened")
    if outcome.interrupted_runs:
        text += f"; marked run(s) {', '.join(f'#{r}' for r in outcome.interrupted_runs)} interrupted"
    if outcome.errors:
        text += f"; {len(outcome.errors)} document(s) failed: " + ", ".join(sorted(outcome.errors))
    if outcome.reason:
        text += f"; {outcome.reason}"
    return text


class _Signals:
    """SIGTERM (systemd stop, kill) and SIGINT end the run after the current chunk, as interrupted."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> "_Signals":
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, _frame: Any) -> None:
        if self.event.is_set():  # second signal: stop now
            raise KeyboardInterrupt
        log.warning("received %s: stopping after the current chunk", signal.Signals(number).name)
        self.event.set()

    def __exit__(self, *exc_info: Any) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity < 0 else logging.DEBUG if verbosity > 0 else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("web").setLevel(level)


def nightly_main(argv: Sequence[str] | None = None) -> int:
    """``touchpoint nightly``: run the batch once. Exit status 0 done, 1 failed or interrupted,
    2 done but some documents failed, 3 another run is in progress."""
    parser = argparse.ArgumentParser(prog="touchpoint nightly", description="Re-check every document "
                                     "against the protocols and each other (only what changed).")
    parser.add_argument("--database-url", help="database (default: TOUCHPOINT_DATABASE_URL / DATABASE_URL)")
    parser.add_argument("--force", action="store_true", help="re-check every document, changed or not")
    parser.add_argument("--progress", dest="progress", action="store_true", default=None,
                        help="show a progress bar (default: when stderr is a terminal)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="processes that judge aligned statements (default: the CPU cores, at most 4)")
    parser.add_argument("--chunk-documents", type=int, default=40,
                        help="documents per transaction (default 40; also at most ~1500 statements)")
    parser.add_argument("-q", "--quiet", action="count", default=0, help="only warnings and errors")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="also debug messages")
    args = parser.parse_args(list(argv) if argv is not None else None)
    _configure_logging(args.verbose - args.quiet)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = load_settings(**overrides)
    database = make_database(settings)
    migrate_database(database)
    stop = threading.Event()
    with _Signals(stop):
        try:
            outcome = run_nightly(settings, database=database, force=args.force, progress=args.progress,
                                  stop_event=stop, chunk_documents=max(1, args.chunk_documents),
                                  workers=args.workers)
        except BatchRefused as refused:
            print(f"touchpoint nightly: {refused}", file=sys.stderr)
            return EXIT_LOCKED
    print(_summary(outcome), file=sys.stderr if outcome.status != "succeeded" else sys.stdout)
    return _exit_code(outcome)


# --- the web side: CLI command, "Check everything now", progress line -----------------------

def progress_text(run: CheckRun, session: Session | None = None) -> str:
    """A line for the runs page while a nightly run is going, e.g.
    "checking: 412 / 3,000 statements, 14% (40 of 1,800 documents due)"; empty otherwise."""
    if run is None or run.status != "running" or run.kind != RUN_KIND:
        return ""
    if session is None:
        from web.db import get_session

        session = get_session()
    row = session.get(BatchRunProgress, run.id)
    if row is None:
        return "starting"
    due = f" ({row.documents_due:,} of {row.documents_total:,} documents due)" if row.documents_total else ""
    if row.phase in ("embedding", "aligning", "checking") and row.total:
        return f"{row.phase}: {row.done:,} / {row.total:,} statements, {100 * row.done // row.total}%{due}"
    return {"planned": "planned" + due, "starting": "starting"}.get(row.phase, row.phase)


@click.command(name="nightly", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                                "help_option_names": []})
@click.pass_context
def nightly_cli(ctx: click.Context) -> None:
    """Run the nightly batch over the web app's database (same as `flask --app web nightly`)."""
    sys.exit(nightly_main(list(ctx.args)))


def register_batch_commands(app: Any) -> None:
    """``flask --app web nightly``, ``POST /runs/check-now`` and the ``batch_progress`` template
    function (``{{ batch_progress(run) }}``)."""
    import click
    from flask import Blueprint, current_app, flash, g, jsonify, redirect, url_for
    from flask.cli import with_appcontext

    from web.auth import roles_required
    from web.db import get_session
    from web.jobs import heartbeat_seconds

    @click.command("nightly")
    @click.option("--force", is_flag=True, help="Re-check every document, changed or not.")
    @click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
    @click.option("--workers", type=int, default=DEFAULT_WORKERS, show_default=True,
                  help="Processes that judge aligned statements.")
    @with_appcontext
    def nightly_command(force: bool, progress: bool | None, workers: int) -> None:
        """Re-check every document against the protocols and each other (only what changed)."""
        _configure_logging(0)
        settings = current_app.extensions["touchpoint_settings"]
        database = current_app.extensions["touchpoint_db"]
        migrate_database(database)
        stop = threading.Event()
        with _Signals(stop):
            try:
                outcome = run_nightly(settings, database=database, force=force, progress=progress,
                                      stop_event=stop, checker=_app_checker(current_app), workers=workers,
                                      heartbeat_seconds=heartbeat_seconds(current_app))
            except BatchRefused as refused:
                raise click.ClickException(str(refused)) from None
        click.echo(_summary(outcome), err=outcome.status != "succeeded")
        code = _exit_code(outcome)
        if code:
            raise SystemExit(code)

    app.cli.add_command(nightly_command)
    bp = Blueprint("batch", __name__, url_prefix="/runs")

    @bp.post("/check-now")
    @roles_required("admin")
    def check_now():
        """Queue the nightly batch as a job (``web.jobs``): a worker does it, adopting the queued run."""
        from web.queue import submit

        run = submit(current_app._get_current_object(), get_session(), RUN_KIND, g.user, None)
        flash(f"Check run #{run.id} {'queued' if run.status == 'queued' else run.status}: every document is "
              "re-checked by a worker (only what changed). This page shows its progress.",
              "error" if run.status in ("failed", "interrupted") else "success")
        return redirect(url_for("runs.detail", run_id=run.id))

    @bp.get("/<int:run_id>/progress")
    @roles_required("admin", "quality_officer")
    def progress(run_id: int):
        run = get_session().get(CheckRun, run_id)
        if run is None:
            return jsonify(error="no such run"), 404
        row = get_session().get(BatchRunProgress, run_id)
        return jsonify(id=run.id, status=run.status, phase=row.phase if row else None,
                       done=row.done if row else None, total=row.total if row else None,
                       line=progress_text(run))

    app.register_blueprint(bp)
    app.jinja_env.globals["batch_progress"] = progress_text


def _app_checker(app: Any) -> Any:
    from web.library import get_engine

    return get_engine(app)
